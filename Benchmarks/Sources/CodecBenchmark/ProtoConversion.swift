import CivitasCodec
import CivitasLedger
import Foundation

// Civitas ledger values <-> the generated protobuf messages. Runs outside the
// timed loops: once to build the message, once to check that the protobuf
// decode carries back exactly the same block.

struct ConversionError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

private func data<B: FixedBytes>(_ b: B) -> Data { b.withUnsafeBytes { Data($0) } }

private func fixed<B: FixedBytes>(_ d: Data, _ field: String) throws -> B {
    guard let v = B(d) else { throw ConversionError("\(field): \(d.count) bytes") }
    return v
}

private func communityID(_ s: String) throws -> CommunityID {
    guard let c = CommunityID(s) else { throw ConversionError("community '\(s)'") }
    return c
}

private func roles(_ mask: UInt32) -> RoleSet { RoleSet(Role.allCases.filter { mask & (1 << UInt32($0.rawValue)) != 0 }) }

private func enumValue<E: RawRepresentable<UInt8>>(_ raw: Int, _ field: String) throws -> E {
    guard let v = E(rawValue: UInt8(truncatingIfNeeded: raw)), raw >= 0, raw < 256 else { throw ConversionError("\(field) \(raw)") }
    return v
}

extension Civitas_Bench_Block {
    init(_ b: Block) {
        self.init()
        header = .init(b.header)
        transactions = b.transactions.map(Civitas_Bench_Transaction.init)
    }

    func toCivitas() throws -> Block {
        Block(header: try header.toCivitas(), transactions: try transactions.map { try $0.toCivitas() })
    }
}

extension Civitas_Bench_BlockHeader {
    init(_ h: BlockHeader) {
        self.init()
        community = h.community.name
        height = h.height
        previous = data(h.previous)
        time = h.time
        proposer = h.proposer
        transactionCount = h.transactionCount
        transactionRoot = data(h.transactionRoot)
    }

    func toCivitas() throws -> BlockHeader {
        BlockHeader(community: try communityID(community), height: height, previous: try fixed(previous, "previous"),
                    time: time, proposer: proposer, transactionCount: transactionCount,
                    transactionRoot: try fixed(transactionRoot, "transaction root"))
    }
}

extension Civitas_Bench_Transaction {
    init(_ t: Transaction) {
        self.init()
        body = .init(t.body)
        signature = data(t.signature)
    }

    func toCivitas() throws -> Transaction {
        Transaction(try body.toCivitas(), signature: try fixed(signature, "signature"))
    }
}

extension Civitas_Bench_UnsignedTransaction {
    init(_ t: UnsignedTransaction) {
        self.init()
        community = t.community.name
        signer = data(t.signer.raw)
        nonce = t.nonce
        time = t.time
        switch t.payload {
        case let .registration(p):
            registration = .with {
                $0.action = .init(rawValue: Int(p.action.rawValue))!
                $0.subject = data(p.subject.raw)
                $0.displayName = p.displayName
                $0.unit = p.unit
                $0.roles = UInt32(p.roles.mask)
            }
        case let .notice(p):
            notice = .with {
                $0.category = .init(rawValue: Int(p.category.rawValue))!
                $0.title = p.title
                $0.body = p.body
                if let s = p.supersedes { $0.supersedes = data(s) }
                $0.attachments = p.attachments.map(data)
            }
        case let .proposal(p):
            proposal = .with {
                $0.terms = .with { t in
                    t.title = p.terms.title
                    t.description_p = p.terms.description
                    t.options = p.terms.options
                    t.eligibleRoles = UInt32(p.terms.eligibleRoles.mask)
                    switch p.terms.closing {
                    case let .height(h): t.closingHeight = h
                    case let .time(x): t.closingTime = x
                    }
                    t.quorumBasisPoints = p.terms.quorumBasisPoints
                    t.passBasisPoints = p.terms.passBasisPoints
                }
                $0.endorsements = p.endorsements.map { e in
                    .with { $0.signer = data(e.signer.raw); $0.signature = data(e.signature) }
                }
            }
        case let .ballot(p):
            ballot = .with { $0.proposal = data(p.proposal); $0.choice = p.choice }
        case let .serviceRequest(p):
            serviceRequest = .with { $0.serviceCode = p.serviceCode; $0.description_p = p.description; $0.location = p.location }
        case let .assignment(p):
            assignment = .with { $0.request = data(p.request); $0.provider = data(p.provider.raw); $0.note = p.note }
        case let .serviceResponse(p):
            serviceResponse = .with {
                $0.request = data(p.request)
                $0.status = .init(rawValue: Int(p.status.rawValue))!
                $0.note = p.note
            }
        case let .closure(p):
            closure = .with {
                $0.request = data(p.request)
                $0.outcome = .init(rawValue: Int(p.outcome.rawValue))!
                $0.rating = UInt32(p.rating ?? 0)
                $0.comment = p.comment
            }
        case let .volunteerRecord(p):
            volunteerRecord = .with {
                $0.volunteer = data(p.volunteer.raw)
                $0.activity = p.activity
                $0.minutes = p.minutes
                $0.day = p.day
            }
        case let .checkpoint(p):
            checkpoint = .with {
                $0.community = p.community.name
                $0.genesisHash = data(p.genesisHash)
                $0.certificate = .init(p.certificate)
            }
        case let .referral(p):
            referral = .with {
                $0.toCommunity = p.toCommunity.name
                $0.kind = .init(rawValue: Int(p.kind.rawValue))!
                if let ref = p.reference { $0.reference = data(ref) }
                $0.summary = p.summary
            }
        case .proposalDraft, .endorsement, .rewardOffer, .redemption, .federationAdoption:
            // The comparison's protobuf schema has the eleven kinds its blocks hold (BlockFactory makes no others).
            preconditionFailure("\(t.payload.kind) is not in the benchmark's protobuf schema")
        }
    }

    func toCivitas() throws -> UnsignedTransaction {
        let payload: TransactionPayload
        switch self.payload {
        case nil:
            throw ConversionError("transaction without payload")
        case let .registration(p)?:
            payload = .registration(Registration(action: try enumValue(p.action.rawValue, "action"),
                                                 subject: PublicKey(raw: try fixed(p.subject, "subject")),
                                                 displayName: p.displayName, unit: p.unit, roles: roles(p.roles)))
        case let .notice(p)?:
            payload = .notice(Notice(category: try enumValue(p.category.rawValue, "category"), title: p.title, body: p.body,
                                     supersedes: p.hasSupersedes ? try fixed(p.supersedes, "supersedes") : nil,
                                     attachments: try p.attachments.map { try fixed($0, "attachment") }))
        case let .proposal(p)?:
            let closing: ClosingRule
            switch p.terms.closing {
            case let .closingHeight(h)?: closing = .height(h)
            case let .closingTime(t)?: closing = .time(t)
            case nil: throw ConversionError("proposal without closing rule")
            }
            let terms = ProposalTerms(title: p.terms.title, description: p.terms.description_p, options: p.terms.options,
                                      eligibleRoles: roles(p.terms.eligibleRoles), closing: closing,
                                      quorumBasisPoints: p.terms.quorumBasisPoints, passBasisPoints: p.terms.passBasisPoints)
            payload = .proposal(Proposal(terms: terms, endorsements: try p.endorsements.map {
                Endorsement(signer: PublicKey(raw: try fixed($0.signer, "endorser")), signature: try fixed($0.signature, "endorsement"))
            }))
        case let .ballot(p)?:
            payload = .ballot(Ballot(proposal: try fixed(p.proposal, "proposal"), choice: p.choice))
        case let .serviceRequest(p)?:
            payload = .serviceRequest(ServiceRequest(serviceCode: p.serviceCode, description: p.description_p, location: p.location))
        case let .assignment(p)?:
            payload = .assignment(Assignment(request: try fixed(p.request, "request"),
                                             provider: SubjectID(raw: try fixed(p.provider, "provider")), note: p.note))
        case let .serviceResponse(p)?:
            payload = .serviceResponse(ServiceResponse(request: try fixed(p.request, "request"),
                                                       status: try enumValue(p.status.rawValue, "status"), note: p.note))
        case let .closure(p)?:
            payload = .closure(Closure(request: try fixed(p.request, "request"), outcome: try enumValue(p.outcome.rawValue, "outcome"),
                                       rating: p.rating == 0 ? nil : UInt8(p.rating), comment: p.comment))
        case let .volunteerRecord(p)?:
            payload = .volunteerRecord(VolunteerRecord(volunteer: SubjectID(raw: try fixed(p.volunteer, "volunteer")),
                                                       activity: p.activity, minutes: p.minutes, day: p.day))
        case let .checkpoint(p)?:
            payload = .checkpoint(Checkpoint(community: try communityID(p.community),
                                             genesisHash: try fixed(p.genesisHash, "genesis hash"),
                                             certificate: try p.certificate.toCivitas()))
        case let .referral(p)?:
            payload = .referral(Referral(toCommunity: try communityID(p.toCommunity),
                                         kind: try enumValue(p.kind.rawValue, "referral kind"),
                                         reference: p.hasReference ? try fixed(p.reference, "reference") : nil,
                                         summary: p.summary))
        }
        return UnsignedTransaction(community: try communityID(community), signer: PublicKey(raw: try fixed(signer, "signer")),
                                   nonce: nonce, time: time, payload: payload)
    }
}

extension Civitas_Bench_CommitCertificate {
    init(_ c: CommitCertificate) {
        self.init()
        height = c.height
        headerHash = data(c.headerHash)
        votes = c.votes.map { v in .with { $0.validator = v.validator; $0.signature = data(v.signature) } }
    }

    func toCivitas() throws -> CommitCertificate {
        CommitCertificate(height: height, headerHash: try fixed(headerHash, "header hash"),
                          votes: try votes.map { BlockVote(validator: $0.validator, signature: try fixed($0.signature, "vote")) })
    }
}
