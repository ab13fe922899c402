import CivitasCodec
import CivitasLedger
import Foundation

/// Builds the board's test vectors from the ledger's code: keys, one
/// transaction of every kind, an endorsement, a block with its certificate and
/// proofs, and a genesis document. The JSON shapes of payloads are the page's
/// own (`codec.js`), so the page can encode from them directly.
enum BoardVectors {
    static let community = CommunityID("lianhua-east")!
    static let time: Timestamp = 1_767_225_600_000

    /// The key whose 32-byte seed is `n` repeated (docs/codec.md's `key(n)`).
    static func key(_ n: UInt8) -> SigningKey { SigningKey(seed: Bytes32([UInt8](repeating: n, count: 32))!) }

    static let people: [(String, UInt8)] = [("committee", 1), ("resident", 2), ("provider", 3), ("organisation", 4), ("neighbour", 5)]
    static let validators: [SigningKey] = [key(11), key(12), key(13)]

    static func h(_ text: String) -> Hash { Hashing.sha256(Array(text.utf8)) }
    /// JSONSerialization takes Int, not UInt64 (every value here is small).
    static func n(_ v: some BinaryInteger) -> Int { Int(v) }

    static let terms = ProposalTerms(
        title: "加装电梯 Second lift", description: "业主分摊费用。Owners share the cost.", options: ["同意", "反对", "弃权"],
        eligibleRoles: RoleSet([.resident, .ownersCommittee]), closing: .time(time + 7 * 86_400_000), quorumBasisPoints: 5_000,
        passBasisPoints: 6_667)

    static let north = CommunityID("hehua-north")!

    /// `hehua-north`'s referral to this community (by `key(5)`), leaf 1 of its
    /// block 40, with the block's certificate (validators `key(21)`, `key(22)`
    /// of the federation document below): what a relay (kind 17) records.
    static func neighbourReferral() -> (Transaction, ProvenTransaction) {
        let neighbour = key(5)
        let sign = { (nonce: UInt64, payload: TransactionPayload) in
            UnsignedTransaction(community: north, signer: neighbour.publicKey, nonce: nonce, time: time - 120_000 + nonce * 1_000,
                                payload: payload).signed(with: neighbour)
        }
        let notice = sign(1, .notice(Notice(category: .services, title: "送餐服务", body: "每周二、四。")))
        let referral = sign(2, .referral(Referral(toCommunity: community, kind: .request, reference: h("north request"),
                                                  summary: "独居老人需要送餐 Meals for an elder")))
        let block = Block(community: north, height: 40, previous: h("hehua block 39"), time: time - 60_000, proposer: 1,
                          transactions: [notice, referral])
        let hash = block.header.hash
        let certificate = CommitCertificate(height: 40, headerHash: hash, votes: [
            BlockVote(index: 0, key: key(21), headerHash: hash), BlockVote(index: 1, key: key(22), headerHash: hash),
        ])
        return (referral, ProvenTransaction(index: 1, of: SealedBlock(block: block, certificate: certificate), genesisHash: h("hehua genesis")))
    }

    /// (name, signer, payload) for every kind.
    static func payloads() -> [(String, SigningKey, TransactionPayload)] {
        let committee = key(1), resident = key(2), provider = key(3), organisation = key(4)
        let (referral, record) = neighbourReferral()
        let certificate = CommitCertificate(height: 40, headerHash: h("neighbour head"), votes: [
            BlockVote(index: 0, key: key(21), headerHash: h("neighbour head")),
            BlockVote(index: 1, key: key(22), headerHash: h("neighbour head")),
        ])
        return [
            ("registration", committee, .registration(Registration(action: .register, subject: resident.publicKey, displayName: "王芳 Wang",
                                                                    unit: "3号楼201", roles: RoleSet([.resident])))),
            ("notice", committee, .notice(Notice(category: .finance, title: "一季度账目（更正）", body: "收入 182,500 元。\nIncome 182,500 CNY.",
                                                 supersedes: h("earlier notice"), attachments: [h("minutes.pdf")]))),
            ("proposal", committee, .proposal(Proposal(terms: terms, endorsements: [Endorsement(endorsing: terms, with: resident),
                                                                                    Endorsement(endorsing: terms, with: key(5))]))),
            ("ballot", resident, .ballot(Ballot(proposal: h("proposal"), choice: 2))),
            ("serviceRequest", resident, .serviceRequest(ServiceRequest(serviceCode: "elevator", description: "电梯停在 5 楼，门打不开。",
                                                                        location: "3号楼 Bldg 3"))),
            ("assignment", committee, .assignment(Assignment(request: h("request"), provider: provider.publicKey.subjectID, note: "加急"))),
            ("serviceResponse", provider, .serviceResponse(ServiceResponse(request: h("request"), status: .resolvedFixed, note: "更换门感应器"))),
            ("closure", resident, .closure(Closure(request: h("request"), outcome: .closed, rating: 4, comment: "很快，谢谢"))),
            ("reopening", resident, .closure(Closure(request: h("request"), outcome: .reopened, rating: nil, comment: "又坏了"))),
            ("volunteerRecord", organisation, .volunteerRecord(VolunteerRecord(volunteer: resident.publicKey.subjectID, activity: "探访独居老人",
                                                                              minutes: 90, day: 20_454))),
            ("checkpoint", committee, .checkpoint(Checkpoint(community: CommunityID("hehua-north")!, genesisHash: h("hehua genesis"),
                                                             certificate: certificate))),
            ("referral", committee, .referral(Referral(toCommunity: CommunityID("hehua-north")!, kind: .request, reference: h("request"),
                                                       summary: "跨社区转办 Referred"))),
            ("proposalDraft", resident, .proposalDraft(ProposalDraft(terms: terms))),
            ("endorsement", key(5), .endorsement(DraftEndorsement(draft: h("draft")))),
            ("rewardOffer", organisation, .rewardOffer(RewardOffer(title: "电影票 Cinema ticket", description: "周末场次，两张。", price: 30,
                                                                  quantity: 20))),
            ("redemption", resident, .redemption(Redemption(offer: h("offer")))),
            ("federationAdoption", committee, .federationAdoption(FederationAdoption(document: try! FederationDocument(sequence: 2, communities: [
                FederationMember(community: CommunityID("hehua-north")!, genesisHash: h("hehua genesis"), validators: [key(21), key(22)].map(\.publicKey),
                                 caCertificate: Array("hehua-north CA (DER)".utf8)),
                FederationMember(community: community, genesisHash: h("lianhua genesis"), validators: validators.map(\.publicKey),
                                 caCertificate: Array("lianhua-east CA (DER)".utf8)),
            ])))),
            ("referralRelay", committee, .referralRelay(ReferralRelay(record: record))),
            ("referralAnswer", organisation, .referralAnswer(ReferralAnswer(referral: referral.id, fromCommunity: north, accepted: true,
                                                                            note: "已安排送餐 Meals arranged"))),
            ("referralDeclined", organisation, .referralAnswer(ReferralAnswer(referral: referral.id, fromCommunity: north, accepted: false,
                                                                              note: ""))),
        ]
    }

    static func transactions() -> [Transaction] {
        payloads().enumerated().map { i, entry in
            UnsignedTransaction(community: community, signer: entry.1.publicKey, nonce: UInt64(i + 1), time: time + UInt64(i) * 1_000,
                                payload: entry.2).signed(with: entry.1)
        }
    }

    // MARK: JSON in the page's shapes

    static func payloadJSON(_ payload: TransactionPayload) -> [String: Any] {
        var o: [String: Any] = ["kind": payload.kind.description]
        switch payload {
        case let .registration(r):
            let action: String = switch r.action {
            case .register: "register"
            case .update: "update"
            case .revoke: "revoke"
            }
            o["action"] = action
            o["subject"] = r.subject.raw.hex; o["displayName"] = r.displayName; o["unit"] = r.unit; o["roles"] = r.roles.roles.map(\.description)
        case let .notice(n):
            o["category"] = n.category.description; o["title"] = n.title; o["body"] = n.body
            o["supersedes"] = n.supersedes.map { $0.hex as Any } ?? NSNull(); o["attachments"] = n.attachments.map(\.hex)
        case let .proposal(p):
            o["terms"] = termsJSON(p.terms)
            o["endorsements"] = p.endorsements.map { ["signer": $0.signer.raw.hex, "signature": $0.signature.hex] }
        case let .ballot(b):
            o["proposal"] = b.proposal.hex; o["choice"] = n(b.choice)
        case let .serviceRequest(r):
            o["serviceCode"] = r.serviceCode; o["description"] = r.description; o["location"] = r.location
        case let .assignment(a):
            o["request"] = a.request.hex; o["provider"] = a.provider.raw.hex; o["note"] = a.note
        case let .serviceResponse(r):
            let status: String = switch r.status {
            case .acknowledged: "acknowledged"
            case .inProgress: "inProgress"
            case .resolvedFixed: "resolvedFixed"
            case .resolvedNotResponsible: "resolvedNotResponsible"
            case .resolvedDuplicate: "resolvedDuplicate"
            case .resolvedReferred: "resolvedReferred"
            }
            o["request"] = r.request.hex; o["status"] = status
            o["note"] = r.note
        case let .closure(c):
            o["request"] = c.request.hex; o["outcome"] = c.outcome == .closed ? "closed" : "reopened"
            o["rating"] = c.rating.map { Int($0) as Any } ?? NSNull(); o["comment"] = c.comment
        case let .volunteerRecord(v):
            o["volunteer"] = v.volunteer.raw.hex; o["activity"] = v.activity; o["minutes"] = n(v.minutes); o["day"] = n(v.day)
        case let .checkpoint(c):
            o["community"] = c.community.name; o["genesisHash"] = c.genesisHash.hex
            o["certificate"] = certificateJSON(c.certificate)
        case let .referral(r):
            o["toCommunity"] = r.toCommunity.name; o["referralKind"] = r.kind == .request ? "request" : "resource"
            o["reference"] = r.reference.map { $0.hex as Any } ?? NSNull(); o["summary"] = r.summary
        case let .proposalDraft(d):
            o["terms"] = termsJSON(d.terms)
        case let .endorsement(e):
            o["draft"] = e.draft.hex
        case let .rewardOffer(r):
            o["title"] = r.title; o["description"] = r.description; o["price"] = n(r.price); o["quantity"] = n(r.quantity)
        case let .redemption(r):
            o["offer"] = r.offer.hex
        case let .federationAdoption(a):
            o["document"] = ["sequence": n(a.document.sequence), "communities": a.document.communities.map { m -> [String: Any] in
                ["community": m.community.name, "genesisHash": m.genesisHash.hex, "validators": m.validators.map(\.raw.hex),
                 "caCertificate": Hex.encode(m.caCertificate)]
            }] as [String: Any]
        case let .referralRelay(r):
            let p = r.record
            o["record"] = [
                "community": p.community.name, "genesisHash": p.genesisHash.hex,
                "header": ["community": p.header.community.name, "height": n(p.header.height), "previous": p.header.previous.hex,
                           "time": n(p.header.time), "proposer": n(p.header.proposer), "transactionCount": n(p.header.transactionCount),
                           "transactionRoot": p.header.transactionRoot.hex] as [String: Any],
                "certificate": certificateJSON(p.certificate),
                "inclusion": ["leafIndex": n(p.inclusion.leafIndex), "treeSize": n(p.inclusion.treeSize), "path": p.inclusion.path.map(\.hex)] as [String: Any],
                "transaction": Hex.encode(p.transaction),
            ] as [String: Any]
        case let .referralAnswer(a):
            o["referral"] = a.referral.hex; o["fromCommunity"] = a.fromCommunity.name; o["accepted"] = a.accepted; o["note"] = a.note
        }
        return o
    }

    static func termsJSON(_ t: ProposalTerms) -> [String: Any] {
        let closing: [String: Any] = switch t.closing {
        case let .height(h): ["kind": "height", "value": n(h)]
        case let .time(ms): ["kind": "time", "value": n(ms)]
        }
        return ["title": t.title, "description": t.description, "options": t.options, "eligibleRoles": t.eligibleRoles.roles.map(\.description),
                "closing": closing, "quorumBasisPoints": n(t.quorumBasisPoints), "passBasisPoints": n(t.passBasisPoints)]
    }

    static func certificateJSON(_ c: CommitCertificate) -> [String: Any] {
        ["height": n(c.height), "headerHash": c.headerHash.hex,
         "votes": c.votes.map { ["validator": n($0.validator), "signature": $0.signature.hex] as [String: Any] }]
    }

    static func object() -> [String: Any] {
        let keys = people.map { name, n -> [String: Any] in
            let k = key(n)
            return ["name": name, "seed": k.seed.hex, "publicKey": k.publicKey.raw.hex, "subjectID": k.publicKey.subjectID.raw.hex]
        }
        let txs = transactions()
        let names = payloads().map(\.0)
        let signers = payloads().map(\.1)
        let transactionVectors = txs.indices.map { i -> [String: Any] in
            let tx = txs[i]
            let unsigned: [String: Any] = ["community": tx.community.name, "signer": tx.signer.raw.hex, "nonce": n(tx.nonce), "time": n(tx.time),
                                           "payload": payloadJSON(tx.payload)]
            return ["name": names[i], "seed": signers[i].seed.hex, "unsigned": unsigned, "signingMessage": Hex.encode(tx.body.signingMessage),
                    "id": tx.id.hex, "signature": tx.signature.hex, "encoded": Hex.encode(tx.encoded())]
        }
        let endorsement: [String: Any] = ["name": "endorsement", "seed": key(2).seed.hex, "terms": termsJSON(terms),
                                          "encodedTerms": Hex.encode(terms.endorsementMessage),
                                          "signature": Endorsement(endorsing: terms, with: key(2)).signature.hex]
        let block = Block(community: community, height: 7, previous: h("block 6"), time: time + 60_000, proposer: 1, transactions: txs)
        let hash = block.header.hash
        let certificate = CommitCertificate(height: 7, headerHash: hash, votes: [
            BlockVote(index: 0, key: validators[0], headerHash: hash), BlockVote(index: 2, key: validators[2], headerHash: hash),
        ])
        let leaves = Block.leafHashes(txs)
        let proofs = [0, 5, txs.count - 1].map { i -> [String: Any] in
            let p = block.inclusionProof(index: i)
            return ["leafIndex": n(p.leafIndex), "treeSize": n(p.treeSize), "leafHash": leaves[i].hex, "path": p.path.map(\.hex)]
        }
        let header = block.header
        let headerJSON: [String: Any] = ["community": header.community.name, "height": n(header.height), "previous": header.previous.hex,
                                         "time": n(header.time), "proposer": n(header.proposer), "transactionCount": n(header.transactionCount),
                                         "transactionRoot": header.transactionRoot.hex]
        let blockVector: [String: Any] = ["name": "block 7", "header": headerJSON, "encodedHeader": Hex.encode(header.encoded()),
                                          "hash": hash.hex, "validatorKeys": validators.map(\.publicKey.raw.hex),
                                          "certificate": certificateJSON(certificate), "proofs": proofs]
        let genesis = GenesisDocument(
            community: community, time: time,
            validators: zip(["居委会 Committee", "党支部 Party branch", "业委会 Owners"], validators).enumerated().map {
                ValidatorEntry(name: $0.element.0, subject: key(UInt8(1 + $0.offset)).publicKey, nodeKey: $0.element.1.publicKey)
            },
            registrars: [key(1).publicKey],
            subjects: [GenesisSubject(key: key(2).publicKey, displayName: "王芳 Wang", unit: "3号楼201", roles: RoleSet([.resident]))],
            parameters: GenesisParameters(proposalEndorsements: 2, responseDeadlines: [ResponseDeadline(serviceCode: "elevator", seconds: 14_400)]))
        let genesisVector: [String: Any] = ["document": Hex.encode(genesis.encoded()), "hash": genesis.hash.hex, "community": community.name,
                                            "validatorKeys": validators.map(\.publicKey.raw.hex)]
        return ["keys": keys, "transactions": transactionVectors, "endorsements": [endorsement], "blocks": [blockVector],
                "genesis": genesisVector]
    }

    /// The vectors as the asset holds them: pretty-printed, keys sorted.
    static func json() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object(), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
