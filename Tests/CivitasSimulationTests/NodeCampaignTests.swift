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

    /// A node ticks only where its driver has something to do and after its
    /// inputs: through crashes, partitions, loss and clock steps the run is
    /// the one where every node ticks at every grid point, with fewer events
    /// (a busy community's leader and validators have work at most ticks).
    @Test(arguments: [1, 2])
    func skippingIdleTicksChangesNothing(seed: UInt64) {
        var o = Self.options(seed: seed)
        o.clockStepEvery = 4
        o.clockSkewMillis = 1_000
        var reference = o
        reference.everyTick = true
        var a = NodeSimulation(options: o), b = NodeSimulation(options: reference)
        let skipping = a.run(), everyTick = b.run()
        #expect(skipping.passed && everyTick.passed, "\(skipping.summary)\n\(everyTick.summary)")
        #expect(skipping.digest == everyTick.digest, "\(skipping.summary)\n\(everyTick.summary)")
        #expect(skipping.crashes + skipping.partitions > 0 && skipping.clockSteps > 0)
        #expect(skipping.events < everyTick.events * 4 / 5, "\(skipping.events) events, \(everyTick.events) ticking every node")
    }

    /// Timers run on the monotonic clock, so a wall clock stepping back
    /// freezes nothing: the leader's clock goes back 30 s mid-run and blocks
    /// keep coming as before, block times never go back (the leader stamps the
    /// later of the previous block's time and its own), and every node ends
    /// with the same state. Nodes also start with their clocks up to 2 s apart.
    @Test func theLeadersClockSteppingBack30SecondsFreezesNothing() {
        var o = NodeSimulationOptions(seed: 11)
        o.faultSeconds = 12
        o.quietSeconds = 10
        o.crashEvery = 0
        o.partitionEvery = 0
        o.submissionsPerSecond = 30
        o.clockSkewMillis = 2_000
        var stepped = o
        stepped.clockSteps = [.init(second: 5, node: nil, millis: -30_000), .init(second: 8, node: 7, millis: 45_000)]
        var calm = NodeSimulation(options: o), step = NodeSimulation(options: stepped)
        let before = calm.run(), after = step.run()
        #expect(after.passed, "\(after.summary)\n\(after.trace.suffix(20).joined(separator: "\n"))")
        #expect(after.clockSteps == 2)
        func blocks(_ r: NodeSimulationReport, _ from: UInt64, _ to: UInt64) -> Int {
            r.firstApplied.filter { $0 > .start + .seconds(from) && $0 <= .start + .seconds(to) }.count
        }
        // The leader's timers did not stop, so nobody called an election…
        #expect(after.raftTerm == before.raftTerm, "term \(after.raftTerm) with the steps, \(before.raftTerm) without")
        // …and in the 5 s after the step the community applies about as many blocks as without it.
        let without = blocks(before, 5, 10), with = blocks(after, 5, 10)
        #expect(without > 10)
        #expect(with * 10 >= without * 9, "\(with) blocks in the 5 s after the step, \(without) without it")
        #expect(after.latencyP99Millis < 2_000, "p99 \(after.latencyP99Millis) ms")
        #expect(after.acknowledged == after.transactionsSubmitted)
    }

    /// Service-request deadlines are judged on block times, which every node
    /// agrees on, so with wall clocks 2 s apart, stepping by up to 30 s either
    /// way, and crashes, every node computes the same supervision figures (the
    /// final checks fail the run otherwise) — and the workload's assignments,
    /// answered 1-20 s later against 10 s and 30 s deadlines, produce both
    /// answers in time and breaches.
    @Test func deadlinesComeOutTheSameOnEveryNodeWhateverItsClock() {
        var o = NodeSimulationOptions(seed: 12)
        o.validators = 3
        o.observers = 4
        o.faultSeconds = 20
        o.quietSeconds = 20
        o.partitionEvery = 0
        o.submissionsPerSecond = 20
        o.clockSkewMillis = 2_000
        o.clockStepEvery = 4
        var simulation = NodeSimulation(options: o)
        let report = simulation.run()
        #expect(report.passed, "\(report.summary)\n\(report.trace.suffix(20).joined(separator: "\n"))")
        #expect(report.clockSteps > 0)
        #expect(report.supervision.count == 1)
        guard let lifts = report.supervision.first else {
            Issue.record("no provider had an assignment: \(report.summary)")
            return
        }
        #expect(lifts.assignments >= 20, "\(lifts)")
        #expect(lifts.responded > 0 && lifts.responded <= lifts.assignments, "\(lifts)")
        #expect(lifts.breaches > 0 && lifts.breaches < lifts.assignments, "\(lifts)")
    }
}
