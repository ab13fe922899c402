import CivitasGossip
import CivitasSimulation
import Testing

/// Issue #5: simulator runs at 500 nodes and more, where every message reaches
/// every live node under 10% loss and churn.
@Suite("Dissemination at scale (simulated)")
struct DisseminationSimulationTests {
    @Test func fiveHundredNodesWithTenPercentLossAndChurnReachEveryLiveNode() {
        var sim = GossipSimulation(options: GossipSimulationOptions(nodes: 500, seed: 5, loss: 0.10, churn: 0.10, messages: 12))
        let report = sim.run()
        #expect(report.crashedNodes == 50)
        #expect(report.messagesLost > 0)
        #expect(report.requiredDeliveries > 12 * 400)
        #expect(report.complete, "\(report.summary)")
        print(report.summary)
    }

    @Test func aRunIsAPureFunctionOfItsSeed() {
        func run(_ seed: UInt64) -> String {
            var sim = GossipSimulation(options: GossipSimulationOptions(nodes: 120, seed: seed, loss: 0.10, churn: 0.10, messages: 6))
            return sim.run().summary
        }
        let a = run(11), b = run(11), c = run(12)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func withoutLossOrChurnTheTreeDeliversAboutOneCopyPerNode() {
        var sim = GossipSimulation(options: GossipSimulationOptions(nodes: 300, seed: 2, messages: 30))
        let report = sim.run()
        #expect(report.complete)
        #expect(report.payloadCopiesPerDelivery <= 1.2, "\(report.summary)")
        #expect(report.maxHopsTo100 >= 3 && report.maxHopsTo100 < 40)
    }
}
