import CivitasSimulation
import Testing

/// The node campaign as a city: three communities of 3 validators, an
/// observer and a gateway, every node the product's node driver, federated by
/// one document each residents' committee adopts on its own chain. Besides
/// the community faults (crashes — gateways too — partitions, loss), a
/// community is cut off from the city now and then and the city's links lose
/// and duplicate messages; committees refer cases to each other and a social
/// organisation answers each. After the quiet phase every community must
/// have anchored every checkpoint of each neighbour (matching that chain), and
/// every referral must be received and answered, each step recorded once on
/// each side — what a partition between communities must not lose.
@Suite struct CityCampaignTests {
    static func options(seed: UInt64) -> NodeSimulationOptions {
        var o = NodeSimulationOptions(seed: seed)
        o.communities = 3
        o.validators = 3
        o.observers = 1
        o.faultSeconds = 15
        o.quietSeconds = 25
        o.submissionsPerSecond = 10
        o.cityCutEvery = 5
        o.referralEvery = 2
        return o
    }

    @Test(arguments: [1, 2])
    func aCityUnderFaultsAnchorsItsNeighboursAndAnswersEveryReferralOnce(seed: UInt64) {
        var sim = NodeSimulation(options: Self.options(seed: seed))
        let report = sim.run()
        #expect(report.passed, "\(report.summary)\n\(report.citySummary)\nreplay: civitas sim node --communities 3 --validators 3 --observers 1 --seed \(seed) --trace")
        // Real work under real city faults.
        #expect(report.cityCuts > 0)
        #expect(report.referralsMade > 0 && report.referralsAnswered == report.referralsMade, "\(report.citySummary)")
        // Each of the 3 communities anchored both neighbours, more than once.
        #expect(report.anchors > 6, "\(report.citySummary)")
        #expect(report.acknowledged == report.transactionsSubmitted)
    }

    @Test func aCityRunIsAPureFunctionOfItsSeed() {
        var o = Self.options(seed: 5)
        o.faultSeconds = 6
        o.quietSeconds = 20
        var a = NodeSimulation(options: o)
        var b = NodeSimulation(options: o)
        let first = a.run(), second = b.run()
        #expect(first.passed && second.passed, "\(first.summary)")
        #expect(first.digest == second.digest)
    }
}
