import CivitasCodec
import CivitasLedger
import CivitasNode
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The kinds the board added (draft 12, endorsement 13, reward offer 14,
/// redemption 15) through `POST /v1/transactions`, malformed or oversized:
/// each is a 4xx naming what is wrong, and nothing reaches the node. (Forged,
/// replayed and rule-breaking ones need a node's state: BoardKindsNodeTests.)
@Suite struct BoardKindsSubmissionTests {
    let chain = TestChain()

    /// `payload` signed by `who`, correctly: the only fault is the payload's.
    func signed(_ who: String, _ payload: TransactionPayload) -> [UInt8] {
        let key = chain.key(who)
        return UnsignedTransaction(community: TestChain.community, signer: key.publicKey, nonce: 10, time: TestChain.start + 1,
                                   payload: payload).signed(with: key).encoded()
    }

    func terms(title: String = "A bench by gate 2", options: [String] = ["yes", "no"], pass: UInt32 = 5_001) -> ProposalTerms {
        ProposalTerms(title: title, description: "", options: options, eligibleRoles: RoleSet([.resident]), closing: .height(1_000),
                      quorumBasisPoints: 0, passBasisPoints: pass)
    }

    func offer(title: String = "Cinema ticket", description: String = "", price: UInt32 = 5, quantity: UInt32 = 2) -> TransactionPayload {
        .rewardOffer(RewardOffer(title: title, description: description, price: price, quantity: quantity))
    }

    /// Each case: a name, the bytes, and what the refusal must name.
    var malformed: [(String, [UInt8], String)] {
        let long = String(repeating: "长", count: 90)   // 270 bytes: over a title's 256
        let endorsement = signed("li", .endorsement(DraftEndorsement(draft: chain.openProposal)))
        let redemption = signed("zhao", .redemption(Redemption(offer: chain.request)))
        return [
            ("a draft with one option", signed("wang", .proposalDraft(ProposalDraft(terms: terms(options: ["yes"])))), "at least 2 options"),
            ("a draft with a pass threshold of 0", signed("wang", .proposalDraft(ProposalDraft(terms: terms(pass: 0)))), "pass threshold"),
            ("a draft's title over 256 bytes", signed("wang", .proposalDraft(ProposalDraft(terms: terms(title: long)))), "not a transaction"),
            ("a truncated draft", Array(signed("wang", .proposalDraft(ProposalDraft(terms: terms()))).dropLast(1)), "not a transaction"),
            ("an endorsement cut inside its draft ID", Array(endorsement.prefix(endorsement.count - 64 - 1)), "not a transaction"),
            ("an endorsement with a byte after it", endorsement + [0], "not a transaction"),
            ("a reward at price 0", signed("elders", offer(price: 0)), "price"),
            ("a reward over the largest price", signed("elders", offer(price: RewardOffer.maxPrice + 1)), "price"),
            ("a reward of 0 items", signed("elders", offer(quantity: 0)), "quantity"),
            ("a reward over the most items", signed("elders", offer(quantity: RewardOffer.maxQuantity + 1)), "quantity"),
            ("a reward's title over 256 bytes", signed("elders", offer(title: long)), "not a transaction"),
            ("a reward's description over 4,096 bytes", signed("elders", offer(description: String(repeating: "x", count: 4_097))),
             "not a transaction"),
            ("a redemption without its signature", Array(redemption.dropLast(64)), "not a transaction"),
            ("a redemption of kind 99 (no such kind)", Array(redemption.prefix(redemption.count - 64 - 33)) + [99] + Array(redemption.suffix(64 + 32)),
             "transaction kind"),
        ]
    }

    @Test func malformedBytesOfTheNewKindsAreRefusedWithTheirReasonAndNothingIsSubmitted() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withClientAPI(service) { client in
            for (name, bytes, reason) in malformed {
                for (type, body) in [("application/octet-stream", ByteBuffer(bytes: bytes)),
                                     ("application/json", ByteBuffer(string: "{\"transaction\":\"\(Hex.encode(bytes))\"}"))] {
                    let r = try await client.execute(uri: "/v1/transactions?wait=committed", method: .post, headers: [.contentType: type],
                                                     body: body)
                    #expect(r.status == .badRequest, "\(name) as \(type): \(r.status) \(r.text)")
                    #expect(r.reason.hasPrefix("not a transaction") && r.reason.contains(reason), "\(name) as \(type): \(r.reason)")
                }
            }
        }
        #expect(service.submissions.isEmpty)
    }

    @Test func theSameTransactionsWellFormedAreSubmitted() async throws {
        // The control for the test above: the fault, not the kind, is what was refused.
        let service = try FakeNodeService(chain: chain)
        let good = [signed("wang", .proposalDraft(ProposalDraft(terms: terms()))),
                    signed("li", .endorsement(DraftEndorsement(draft: chain.openProposal))),
                    signed("elders", offer()), signed("zhao", .redemption(Redemption(offer: chain.request)))]
        try await withClientAPI(service) { client in
            for bytes in good {
                let r = try await client.execute(uri: "/v1/transactions", method: .post, headers: [.contentType: "application/octet-stream"],
                                                 body: ByteBuffer(bytes: bytes))
                #expect(r.status == .accepted, "\(r.text)")
            }
        }
        #expect(service.submissions.map { $0.encoded() } == good)
    }

    @Test func anOversizedRewardOfferIsRefusedBeforeItIsRead() async throws {
        let service = try FakeNodeService(chain: chain)
        let settings = ClientAPI.Settings()
        let huge = signed("elders", offer(description: String(repeating: "x", count: settings.maxBodyBytes)))
        try await withClientAPI(service, settings: settings) { client in
            let r = try await client.execute(uri: "/v1/transactions", method: .post, headers: [.contentType: "application/octet-stream"],
                                             body: ByteBuffer(bytes: huge))
            #expect(r.status == .contentTooLarge)
            #expect(r.reason == "the body is \(huge.count) bytes, larger than \(settings.maxBodyBytes)")
        }
        #expect(service.submissions.isEmpty)
    }
}
