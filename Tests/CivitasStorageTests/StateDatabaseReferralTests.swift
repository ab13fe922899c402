import CivitasCodec
import CivitasGovernance
import CivitasLedger
@testable import CivitasStorage
import Testing

/// Referrals across the city in the state database (schema version 5): the
/// neighbours' referrals received here, newest first and by community, and
/// this community's referrals still waiting for an answer, oldest first (what
/// a gateway sends again).
@Suite struct StateDatabaseReferralTests {
    let c = StateTestCommunity()
    let north = StateTestCommunity.north
    let baihe = CommunityID("baihe")!
    /// A second neighbour, so the incoming referrals come from two chains.
    static let baiheChain = StateTestCommunity(seed: 2_000)

    /// The city with both neighbours.
    func federation() -> FederationDocument {
        try! FederationDocument(sequence: 1, communities: c.federation().communities + [FederationMember(
            community: baihe, genesisHash: Self.baiheChain.genesis.hash, validators: Self.baiheChain.validatorNodes.map(\.publicKey),
            caCertificate: Array("ca of baihe".utf8))])
    }

    /// `summary` referred to this community by `from`, proven at `height` of its chain.
    func incoming(from: CommunityID, height: UInt64, nonce: UInt64, _ summary: String) -> (Transaction, ReferralRelay) {
        let tx = StateTestCommunity.neighbourTransaction(.referral(Referral(toCommunity: c.community, kind: .request, reference: nil,
                                                                            summary: summary)), nonce: nonce, community: from)
        let record = from == north ? StateTestCommunity.neighbourRecord(tx, height: height)
            : StateTestCommunity.neighbourRecord(tx, height: height, signers: Self.baiheChain.validatorNodes, community: from,
                                                 genesisHash: Self.baiheChain.genesis.hash)
        return (tx, ReferralRelay(record: record))
    }

    @Test func incomingReferralsAreNewestFirstByCommunityAndUnansweredOnesOldestFirst() throws {
        var b = ChainBuilder(c)
        // Block 1: the city adopted; three referrals of ours (two to the north, one to Baihe).
        b.add("committee", .federationAdoption(FederationAdoption(document: federation())))
        let r1 = b.add("committee", .referral(Referral(toCommunity: north, kind: .request, reference: nil, summary: "r1")))
        let r2 = b.add("street", .referral(Referral(toCommunity: north, kind: .resource, reference: nil, summary: "r2")))
        let r3 = b.add("elders", .referral(Referral(toCommunity: baihe, kind: .request, reference: nil, summary: "r3")))
        b.seal()
        // Block 2: the north's referral (from its height 30) and Baihe's; a fourth of ours; the north received r1.
        let (n1, n1Relay) = incoming(from: north, height: 30, nonce: 1, "n1")
        let (b1, b1Relay) = incoming(from: baihe, height: 7, nonce: 2, "b1")
        b.add("street", .referralRelay(n1Relay))
        b.add("street", .referralRelay(b1Relay))
        let r4 = b.add("committee", .referral(Referral(toCommunity: north, kind: .request, reference: nil, summary: "r4")))
        b.add("street", .referralRelay(ReferralRelay(record: StateTestCommunity.neighbourRecord(
            c.neighbourReceipt(of: 1, in: b.blocks[0], nonce: 3), height: 31))))
        b.seal()
        // Block 3: the north's second referral, from a height below its first: the order is where it was recorded here.
        // The north answered r2 (without a receipt recorded yet); we answer n1.
        let (n2, n2Relay) = incoming(from: north, height: 12, nonce: 4, "n2")
        b.add("committee", .referralRelay(n2Relay))
        b.add("street", .referralRelay(ReferralRelay(record: StateTestCommunity.neighbourRecord(StateTestCommunity.neighbourTransaction(
            .referralAnswer(ReferralAnswer(referral: r2.id, fromCommunity: c.community, accepted: true, note: "yes")), nonce: 5), height: 32))))
        b.add("lifts", .referralAnswer(ReferralAnswer(referral: n1.id, fromCommunity: north, accepted: false, note: "no")))
        b.seal()

        try withScratch("referral-queries") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            var state = GovernanceState(genesis: c.genesis)
            for block in b.blocks {
                #expect(try db.applyExpectingNew(block).rejections == [], "block \(block.height)")
                #expect(state.apply(block.block)?.outcomes.allSatisfy { $0.rejectionReason == nil } == true)
            }

            // Newest first by where they were recorded here, whatever their height on the referring chain.
            #expect(try db.incomingReferrals().map(\.id) == [n2.id, b1.id, n1.id])
            #expect(try db.incomingReferrals(from: north).map(\.id) == [n2.id, n1.id])
            #expect(try db.incomingReferrals(from: baihe).map(\.id) == [b1.id])
            #expect(try db.incomingReferrals(from: CommunityID("lotus-south")!) == [])
            #expect(try db.incomingReferrals(limit: 2).map(\.id) == [n2.id, b1.id])
            #expect(try db.incomingReferrals(from: north, limit: 1).map(\.id) == [n2.id])
            #expect(try db.incomingReferrals(limit: 0) == [])
            // Answering changes its status, not its place.
            #expect(try db.incomingReferrals().map(\.status) == ["received", "received", "answered"])
            for entry in try db.incomingReferrals() {
                #expect(try db.incomingReferral(entry.id) == entry && state.incomingReferral(entry.id) == entry)
            }
            #expect(try db.incomingReferral(r1.id) == nil)

            // Unanswered: oldest first, a delivered one included, the answered one not.
            #expect(try db.referrals(id: r1.id)?.status == "delivered")
            #expect(try db.referrals(id: r2.id)?.status == "answered" && db.referrals(id: r2.id)?.delivered == nil)
            #expect(try db.referrals(id: r3.id)?.status == "referred")
            #expect(try db.unansweredReferrals().map(\.id) == [r1.id, r3.id, r4.id])
            #expect(try db.unansweredReferrals(limit: 2).map(\.id) == [r1.id, r3.id])
            #expect(try db.unansweredReferrals() == state.unansweredReferrals())
            #expect(try db.referrals().map(\.id) == [r4.id, r3.id, r2.id, r1.id])   // all of them, newest first
        }
    }
}
