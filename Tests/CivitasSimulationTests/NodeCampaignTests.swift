import CivitasSimulation
import Testing

/// The node campaign in CI: 5 validators and 10 observers on the real
/// `NodeCore` through the whole pipeline (mempool, Raft, blocks, certificates,
/// apply) with crashes, partitions, loss and duplication. Every run checks that
/// each height has one block on every node, only certified blocks are applied
/// and in order, every node ends with the same state, no transaction a client
/// saw committed is lost or moved, and every submitted transaction commits
/// once faults stop. `civitas sim node --seed N --trace` replays a failure.
@Suite struct NodeCampaignTests {
    static func options(seed: UInt64) -> NodeSimulationOptions {
        var o = NodeSimulationOptions.drawn(seed: seed)
        o.faultSeconds = 12
        o.quietSeconds = 16
        o.submissionsPerSecond = min(o.submissionsPerSecond, 30)
        return o
    }

    @Test(arguments: [1, 2, 3, 4])
    func aCommunityUnderFaultsAppliesOneChainAndLosesNothing(seed: UInt64) {
        var sim = NodeSimulation(options: Self.options(seed: seed))
        let report = sim.run()
        #expect(report.passed, "\(report.summary)\nreplay: civitas sim node --seed \(seed) --fault-seconds 12 --quiet-seconds 16 --trace")
        // The run did real work under real faults.
        #expect(report.height > 20)
        #expect(report.acknowledged > 100)
        #expect(report.acknowledged == report.transactionsSubmitted)
        #expect(report.crashes + report.partitions > 0)
    }

    @Test func aRunIsAPureFunctionOfItsSeed() {
        var o = Self.options(seed: 7)
        o.faultSeconds = 6
        o.quietSeconds = 10
        var a = NodeSimulation(options: o)
        var b = NodeSimulation(options: o)
        let first = a.run(), second = b.run()
        #expect(first.passed && second.passed)
        #expect(first.digest == second.digest)
        #expect(first.events == second.events)
        var other = o
        other.seed = 8
        var c = NodeSimulation(options: other)
        #expect(c.run().digest != first.digest)
    }
}
