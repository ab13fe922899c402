import CivitasCodec
import CivitasLedger
import CivitasNode
import CivitasPilot
import Foundation
import Testing

/// The kinds the board added (draft, endorsement, reward offer, redemption)
/// on a real node (`civitas node run`, as the page reaches it): a forged
/// signature, a replayed nonce, malformed or oversized bytes, and what the
/// rules refuse are each a 4xx with the reason, and nothing of them is
/// stored; a committed transaction sent again is answered with its place and
/// stored once.
@Suite struct BoardKindsNodeTests {
    /// Signs and posts transactions to the community's one node as the page does.
    struct Submitter {
        let community: BoardCommunity
        let client: NodeHTTPClient

        func nextNonce(_ key: SigningKey) async throws -> UInt64 {
            try JSONDecoder().decode(SubjectBody.self, from: try await client.get("/v1/subjects/\(key.publicKey.raw.hex)").body).nextNonce
        }

        func sign(_ key: SigningKey, _ payload: TransactionPayload, nonce: UInt64) -> Transaction {
            UnsignedTransaction(community: community.pilot.community, signer: key.publicKey, nonce: nonce,
                                time: Timestamp(Date().timeIntervalSince1970 * 1000), payload: payload).signed(with: key)
        }

        /// Posts and waits for the commit: an admitted transaction is answered only once it is in a block.
        func post(_ bytes: [UInt8]) async throws -> (status: Int, text: String) {
            let answer = try await client.post("/v1/transactions?wait=committed&timeout_ms=10000", body: Data(bytes),
                                               contentType: "application/octet-stream")
            return (answer.status, String(decoding: answer.body, as: UTF8.self))
        }

        func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
            try JSONDecoder().decode(type, from: try await client.get(path).body)
        }
    }

    @Test func forgedReplayedMalformedAndRuleBreakingInputIsRefusedWithAReasonAndNothingIsStored() async throws {
        try await BoardCommunity.with("refuse", offset: 3) { community in
            guard let client = NodeHTTPClient(base: community.url) else { throw PilotFailure("bad URL \(community.url)") }
            let node = Submitter(community: community, client: client)
            let (wang, li, zhao, elders) = (try community.pilot.key("wang"), try community.pilot.key("li"), try community.pilot.key("zhao"),
                                            try community.pilot.key("elders"))

            // Recorded first: 20 points each for Wang and Zhao, a reward at 15, Wang's draft with Li's endorsement (one of
            // the two it needs), and Wang's redemption, which leaves him 5 points.
            for volunteer in [wang, zhao] {
                try await community.record(.volunteerRecord(VolunteerRecord(volunteer: volunteer.publicKey.subjectID, activity: "x",
                                                                            minutes: 120, day: 1)), as: "elders")
            }
            let offer = try await community.record(.rewardOffer(RewardOffer(title: "Cinema", description: "", price: 15, quantity: 5)),
                                                   as: "elders")
            let terms = ProposalTerms(title: "A bench by gate 2", description: "", options: ["yes", "no"], eligibleRoles: RoleSet([.resident]),
                                      closing: .time(Timestamp(Date().timeIntervalSince1970 * 1000) + 3_600_000), quorumBasisPoints: 0,
                                      passBasisPoints: 5_001)
            let draft = try await community.record(.proposalDraft(ProposalDraft(terms: terms)), as: "wang")
            let endorsement = try await community.record(.endorsement(DraftEndorsement(draft: draft.id)), as: "li")
            let redeemed = node.sign(wang, .redemption(Redemption(offer: offer.id)), nonce: try await node.nextNonce(wang))
            let first = try await node.post(redeemed.encoded())
            #expect(first.status == 200 && first.text.contains("\"applied\":true"), "\(first.text)")

            func forged(_ key: SigningKey, _ payload: TransactionPayload) async throws -> Transaction {
                var tx = node.sign(key, payload, nonce: try await node.nextNonce(key))
                tx.signature = Signature(Array(repeating: 7, count: 64))!
                return tx
            }
            func fresh(_ key: SigningKey, _ payload: TransactionPayload) async throws -> Transaction {
                node.sign(key, payload, nonce: try await node.nextNonce(key))
            }
            /// Another transaction under a nonce `key` has used already.
            func replayed(_ key: SigningKey, _ payload: TransactionPayload) async throws -> Transaction {
                node.sign(key, payload, nonce: try await node.nextNonce(key) - 1)
            }
            let unknown = Hashing.sha256(Array("nothing".utf8))
            let bench = TransactionPayload.proposalDraft(ProposalDraft(terms: terms))
            // The mempool checks the signature last, after the nonce and the rules: each forged one here would be
            // admitted with a true signature, so its refusal is the signature's.
            let refused: [(String, Transaction, Int, String)] = [
                ("a draft with a forged signature", try await forged(zhao, bench), 422, "signature"),
                ("an endorsement with a forged signature", try await forged(zhao, .endorsement(DraftEndorsement(draft: draft.id))), 422,
                 "signature"),
                ("a reward offer with a forged signature", try await forged(elders, .rewardOffer(RewardOffer(title: "Free", description: "",
                                                                                                            price: 1, quantity: 9))),
                 422, "signature"),
                ("a redemption with a forged signature", try await forged(zhao, .redemption(Redemption(offer: offer.id))), 422, "signature"),
                ("a draft under a used nonce", try await replayed(wang, bench), 409, "nonce already used (replay)"),
                ("an endorsement under a used nonce", try await replayed(li, .endorsement(DraftEndorsement(draft: unknown))), 409,
                 "nonce already used (replay)"),
                ("a reward offer under a used nonce", try await replayed(elders, .rewardOffer(RewardOffer(title: "Again", description: "",
                                                                                                         price: 1, quantity: 1))),
                 409, "nonce already used (replay)"),
                ("a redemption under a used nonce", try await replayed(wang, .redemption(Redemption(offer: unknown))), 409,
                 "nonce already used (replay)"),
                ("Li's endorsement again, under a new nonce", try await fresh(li, .endorsement(DraftEndorsement(draft: draft.id))), 422,
                 "has already endorsed draft"),
                ("the proposer's own endorsement", try await fresh(wang, .endorsement(DraftEndorsement(draft: draft.id))), 422,
                 "the proposer of draft \(draft.id.hex) cannot endorse it"),
                ("an endorsement of an unknown draft", try await fresh(zhao, .endorsement(DraftEndorsement(draft: unknown))), 422,
                 "endorsement of unknown draft"),
                ("an organisation's draft", try await fresh(elders, bench), 422, "a draft proposal may be issued only by resident"),
                ("a resident's reward offer", try await fresh(li, .rewardOffer(RewardOffer(title: "t", description: "", price: 1, quantity: 1))),
                 422, "a reward offer may be issued only by socialOrganization"),
                ("a redemption beyond the balance", try await fresh(wang, .redemption(Redemption(offer: offer.id))), 422,
                 "holds 5 points; reward \(offer.id.hex) costs 15"),
                ("a redemption of an unknown offer", try await fresh(zhao, .redemption(Redemption(offer: unknown))), 422,
                 "redemption of unknown reward offer"),
                ("the publisher's own redemption", try await fresh(elders, .redemption(Redemption(offer: offer.id))), 422,
                 "the publisher of reward \(offer.id.hex) cannot redeem it"),
            ]
            for (name, tx, status, reason) in refused {
                let (code, text) = try await node.post(tx.encoded())
                #expect(code == status, "\(name): HTTP \(code) \(text)")
                let body = try? JSONDecoder().decode(SubmitBody.self, from: Data(text.utf8))
                #expect(body?.status == "rejected" && body?.reason?.contains(reason) == true, "\(name): \(text)")
            }

            // Bytes that are no transaction, through the node's own server.
            let long = String(repeating: "长", count: 90)
            let malformed: [(String, [UInt8], Int, String)] = [
                ("a price of 0", try await fresh(elders, .rewardOffer(RewardOffer(title: "t", description: "", price: 0, quantity: 1))).encoded(),
                 400, "not a transaction"),
                ("a title over 256 bytes", try await fresh(elders, .rewardOffer(RewardOffer(title: long, description: "", price: 1,
                                                                                            quantity: 1))).encoded(), 400, "not a transaction"),
                ("a truncated redemption", Array(redeemed.encoded().dropLast(3)), 400, "not a transaction"),
                ("an oversized reward offer", try await fresh(elders, .rewardOffer(RewardOffer(title: "t", description: String(repeating: "x", count: 300_000),
                                                                                               price: 1, quantity: 1))).encoded(),
                 413, "larger than"),
            ]
            for (name, bytes, status, reason) in malformed {
                let (code, text) = try await node.post(bytes)
                #expect(code == status, "\(name): HTTP \(code) \(text.prefix(300))")
                let error = try? JSONDecoder().decode(ErrorBody.self, from: Data(text.utf8))
                #expect(error?.error.contains(reason) == true, "\(name): \(text.prefix(300))")
            }

            // A committed transaction sent again is answered where it is, not recorded twice.
            for tx in [endorsement, redeemed] {
                let (code, text) = try await node.post(tx.encoded())
                let body = try? JSONDecoder().decode(SubmitBody.self, from: Data(text.utf8))
                #expect(code == 200 && body?.status == "committed" && body?.id == tx.id.hex, "\(tx.kind) again: HTTP \(code) \(text)")
            }

            // Nothing of it was stored: no refused transaction is known here, and every figure is as the four records left it.
            for (name, tx, _, _) in refused {
                let answer = try await client.get("/v1/transactions/\(tx.id.hex)")
                #expect(answer.status == 404, "\(name) is known here: HTTP \(answer.status)")
            }
            let drafts = try await node.get("/v1/board/drafts", as: ListBody<BoardDraft>.self).items
            #expect(drafts.map(\.id) == [draft.id.hex] && drafts[0].endorsements.map(\.endorser.name) == ["Li (resident)"], "\(drafts)")
            let proposals = try await node.get("/v1/board/proposals", as: ListBody<BoardProposal>.self).items
            #expect(!proposals.contains { $0.proposal.id == draft.id.hex }, "the draft opened")
            let rewards = try await node.get("/v1/board/rewards", as: ListBody<BoardReward>.self).items
            #expect(rewards.map(\.id) == [offer.id.hex] && rewards[0].redeemed == 1 && rewards[0].remaining == 4, "\(rewards)")
            let redemptions = try await node.get("/v1/board/redemptions", as: ListBody<BoardRedemption>.self).items
            #expect(redemptions.map(\.id) == [redeemed.id.hex])
            let points = try await node.get("/v1/board/points?subject=\(wang.publicKey.raw.hex)", as: BoardPoints.self)
            #expect(points.issued == 40 && points.redeemed == 15 && points.outstanding == 25 && points.addsUp)
            #expect(points.subject?.earned == 20 && points.subject?.spent == 15 && points.subject?.balance == 5)
            #expect(await community.pilot.status(0)?.mempool.transactions == 0)

            // The control: what was forged, signed for real, is recorded (Zhao's endorsement opens the draft).
            for (name, tx, _, reason) in refused where reason == "signature" {
                let key = [zhao, elders].first { $0.publicKey == tx.signer }!
                let (code, text) = try await node.post(try await fresh(key, tx.payload).encoded())
                #expect(code == 200 && text.contains("\"applied\":true"), "\(name), signed: HTTP \(code) \(text)")
            }
            let opened = try await node.get("/v1/board/proposals", as: ListBody<BoardProposal>.self).items
            #expect(opened.first { $0.proposal.id == draft.id.hex }?.endorsers.compactMap(\.name).sorted() == ["Li (resident)", "Zhao (resident)"])
        }
    }
}
