import CivitasCodec
import CivitasGovernance
import CivitasLedger
import Testing

/// Referrals across the city in the governance transition: a neighbour's
/// referral is received here once, from a record its validators certified
/// (checked against the adopted federation document); this community answers
/// it once; and for a referral this community made, the neighbour's receipt
/// and answer mark it delivered and answered, once each.
@Suite("Referral rules")
struct ReferralRulesTests {
    let c = GovernanceCommunity()
    static let neighbourResident = SigningKey(seed: Bytes32(Array(repeating: 0x7a, count: 32))!)

    func adopted() -> GovernanceDriver {
        var d = GovernanceDriver(c)
        d.add("committee", .federationAdoption(FederationAdoption(document: c.federation())))
        #expect(d.seal().outcomes == [.applied])
        return d
    }

    /// `payload` signed on the neighbour's chain.
    func neighbourTx(_ payload: TransactionPayload, nonce: UInt64 = 1) -> Transaction {
        UnsignedTransaction(community: GovernanceCommunity.neighbour, signer: Self.neighbourResident.publicKey, nonce: nonce,
                            time: GovernanceCommunity.startTime, payload: payload).signed(with: Self.neighbourResident)
    }

    /// `tx` proven in block `height` of the neighbour's chain (with `filler` before it), certified by `voters` of its validators.
    func proven(_ tx: Transaction, height: UInt64 = 9, filler: Int = 2, voters: [Int] = [0, 1, 2],
                signers: [SigningKey] = GovernanceCommunity.neighbourValidators) -> ProvenTransaction {
        let others = (0..<filler).map { neighbourTx(.notice(Notice(category: .general, title: "n\($0)", body: "b")),
                                                   nonce: UInt64(10 + $0)) }
        let block = Block(community: GovernanceCommunity.neighbour, height: height, previous: Hashing.sha256([1]),
                          time: GovernanceCommunity.startTime + 5, proposer: 0, transactions: others + [tx])
        let votes = voters.map { BlockVote(index: UInt32($0), key: signers[$0], headerHash: block.header.hash) }
        let sealed = SealedBlock(block: block, certificate: CommitCertificate(height: height, headerHash: block.header.hash, votes: votes))
        return ProvenTransaction(index: filler, of: sealed, genesisHash: GovernanceCommunity.neighbourGenesis)
    }

    func relay(_ record: ProvenTransaction) -> TransactionPayload { .referralRelay(ReferralRelay(record: record)) }

    let toUs = Referral(toCommunity: GovernanceCommunity.community, kind: .request, reference: nil, summary: "a wheelchair ramp at gate 2")

    // MARK: Receiving

    @Test func aNeighboursReferralIsReceivedOnceAndAnsweredOnce() {
        var d = adopted()
        let referral = neighbourTx(.referral(toUs))
        let record = proven(referral)
        #expect(d.check("wang", relay(record))?.hasPrefix("a referral relay may be issued only by residentsCommittee or streetOffice") == true)
        let receipt = d.add("street", relay(record))
        #expect(d.seal().outcomes == [.applied])
        let received = d.state.incomingReferral(referral.id)
        #expect(received == IncomingReferralEntry(
            id: referral.id, fromCommunity: GovernanceCommunity.neighbour, theirHeight: 9, theirTime: GovernanceCommunity.startTime + 5,
            referrer: Self.neighbourResident.publicKey.subjectID, kind: .request, reference: nil, summary: "a wheelchair ramp at gate 2",
            recordedHeight: 2, recordedTime: d.time, recordedIndex: 0, transaction: receipt.id))
        #expect(received?.status == "received")
        // The same record again (a second gateway, a resend) is refused, whoever relays it.
        #expect(d.check("committee", relay(record)) == "the referral \(referral.id.hex) of 'hehua-north' is already received")

        let answer = ReferralAnswer(referral: referral.id, fromCommunity: GovernanceCommunity.neighbour, accepted: true, note: "ramp builders on Monday")
        #expect(d.check("wang", .referralAnswer(answer))?.hasPrefix("a referral answer may be issued only by") == true)
        var other = answer
        other.fromCommunity = CommunityID("baihe")!
        #expect(d.check("lifts", .referralAnswer(other)) == "no referral \(referral.id.hex) of 'baihe' has been received here")
        let answered = d.add("lifts", .referralAnswer(answer))
        #expect(d.seal().outcomes == [.applied])
        let entry = d.state.incomingReferral(referral.id)
        #expect(entry?.answer == ReferralReply(accepted: true, note: "ramp builders on Monday", answerer: c.subject("lifts")))
        #expect(entry?.answerHeight == 3 && entry?.answerTransaction == answered.id && entry?.status == "answered")
        #expect(d.check("elders", .referralAnswer(answer)) == "the referral \(referral.id.hex) is already answered")
    }

    @Test func aRecordThatDoesNotProveItselfIsRefused() {
        var d = GovernanceDriver(c)
        let referral = neighbourTx(.referral(toUs))
        #expect(d.check("street", relay(proven(referral))) ==
            "no federation document is adopted: a neighbour's record is verified against the one the residents' committee adopted (kind 16)")
        d = adopted()
        // Certified by keys the document does not list.
        let forgers = (0..<3).map { SigningKey(seed: Bytes32(Array(repeating: 0x90 + UInt8($0), count: 32))!) }
        #expect(d.check("street", relay(proven(referral, signers: forgers)))?
            .contains("does not verify against federation document 1: commit certificate refused: bad signature from validator #0") == true)
        // Too few votes.
        #expect(d.check("street", relay(proven(referral, voters: [1])))?.contains("1 of 3 validators signed") == true)
        // A transaction swapped in under a genuine certificate.
        var swapped = proven(referral)
        swapped.transaction = neighbourTx(.referral(Referral(toCommunity: GovernanceCommunity.community, kind: .resource, reference: nil,
                                                             summary: "forged"))).encoded()
        #expect(d.check("street", relay(swapped)) ==
            "record of 'hehua-north' at height 9 does not verify against federation document 1: block refused: the transaction is not in block 9 of 'hehua-north'")
        // A genuine referral to another community, or a record that is no referral step.
        let elsewhere = neighbourTx(.referral(Referral(toCommunity: CommunityID("baihe")!, kind: .request, reference: nil, summary: "x")))
        #expect(d.check("street", relay(proven(elsewhere))) == "the referral \(elsewhere.id.hex) is to 'baihe', not to this community")
        let notice = neighbourTx(.notice(Notice(category: .general, title: "t", body: "b")))
        #expect(d.check("street", relay(proven(notice))) == "a referral relay carries a referral, a receipt of one or an answer, not a notice")
    }

    // MARK: Referring

    @Test func aReferralThisCommunityMadeIsDeliveredAndAnsweredOnceEach() {
        var d = adopted()
        let referral = d.add("committee", .referral(Referral(toCommunity: GovernanceCommunity.neighbour, kind: .request, reference: nil,
                                                               summary: "a plumber for No. 5")))
        #expect(d.seal().outcomes == [.applied])
        #expect(d.state.referral(referral.id)?.status == "referred")
        #expect(d.state.unansweredReferrals().map(\.id) == [referral.id])

        // The neighbour recorded it (its receipt carries our record of it), then answered.
        let ours = SealedBlock(block: d.blocks[1], certificate: CommitCertificate(height: 2, headerHash: d.blocks[1].header.hash, votes: []))
        let receipt = neighbourTx(relay(ProvenTransaction(index: 0, of: ours, genesisHash: c.genesis.hash)))
        let relayedReceipt = d.add("street", relay(proven(receipt, height: 12)))
        #expect(d.seal().outcomes == [.applied])
        let delivered = d.state.referral(referral.id)
        #expect(delivered?.delivered == ReferralStep(theirHeight: 12, theirTransaction: receipt.id, recordedHeight: 3, recordedTime: d.time,
                                                     transaction: relayedReceipt.id))
        #expect(delivered?.status == "delivered")
        #expect(d.check("committee", relay(proven(receipt, height: 12))) == "the referral \(referral.id.hex) is already recorded as delivered")

        let answer = neighbourTx(.referralAnswer(ReferralAnswer(referral: referral.id, fromCommunity: GovernanceCommunity.community,
                                                                accepted: false, note: "no plumber free this week")), nonce: 2)
        d.add("street", relay(proven(answer, height: 13)))
        #expect(d.seal().outcomes == [.applied])
        let answered = d.state.referral(referral.id)
        #expect(answered?.answer == ReferralReply(accepted: false, note: "no plumber free this week",
                                                  answerer: Self.neighbourResident.publicKey.subjectID))
        #expect(answered?.answered?.theirHeight == 13 && answered?.status == "answered")
        #expect(d.state.unansweredReferrals().isEmpty)
        #expect(d.check("street", relay(proven(answer, height: 13))) == "the referral \(referral.id.hex) is already recorded as answered")

        // An answer to a referral this community never made to that neighbour.
        let stray = neighbourTx(.referralAnswer(ReferralAnswer(referral: Hashing.sha256([9]), fromCommunity: GovernanceCommunity.community,
                                                               accepted: true, note: "?")), nonce: 3)
        #expect(d.check("street", relay(proven(stray))) == "the answer \(stray.id.hex) of 'hehua-north' is not to a referral this community made to it")
    }
}
