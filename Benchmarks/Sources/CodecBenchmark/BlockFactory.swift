import CivitasCodec
import CivitasLedger

/// Builds the benchmark block: 500 signed governance transactions of all 11
/// kinds in the proportions of a busy day in one community, from fixed seeds.
struct BenchmarkFixture {
    let block: Block
    let sealed: SealedBlock
    let signerCount: Int
    let kindCounts: [(TransactionKind, Int)]
    let endorsementCount: Int
}

enum BlockFactory {
    static let community = CommunityID("hehua-north")!
    static let neighbour = CommunityID("lianhua-east")!
    static let height: UInt64 = 48_213
    /// 2025-06-03 09:41:27.512 UTC, fixed.
    static let blockTime: Timestamp = 1_748_943_687_512

    /// How many of each kind (sum 500).
    static let mix: [(TransactionKind, Int)] = [
        (.ballot, 150),
        (.notice, 90),
        (.serviceResponse, 60),
        (.serviceRequest, 50),
        (.volunteerRecord, 50),
        (.assignment, 40),
        (.closure, 30),
        (.registration, 15),
        (.referral, 10),
        (.proposal, 4),
        (.checkpoint, 1),
    ]

    static func key(_ label: String) -> SigningKey {
        SigningKey(seed: Hashing.sha256(Array("civitas-bench/\(label)".utf8)))
    }

    static func hash(_ r: inout SplitMix64) -> Hash { Hash(r.bytes32())! }

    static func make(seed: UInt64 = 0xC1F1_7A5B_E7C4) -> BenchmarkFixture {
        var r = SplitMix64(seed: seed)

        // 60 signers: 3 residents' committee members, party branch, owners'
        // committee, property manager, 4 service providers, 2 social
        // organisations, street office, 47 residents.
        let signers = (0..<60).map { key("signer-\($0)") }
        let committee = Array(signers[0..<3])
        let partyBranch = signers[3]
        let owners = signers[4]
        let propertyManager = signers[5]
        let providers = Array(signers[6..<10])
        let socialOrgs = Array(signers[10..<12])
        let streetOffice = signers[12]
        let residents = Array(signers[13..<60])
        let validators = (0..<4).map { key("validator-\($0)") }

        var nonces: [PublicKey: UInt64] = [:]
        for s in signers { nonces[s.publicKey] = UInt64(r.int(1...400)) }

        // Records from earlier blocks that this block's transactions refer to.
        let oldProposals = (0..<6).map { _ in hash(&r) }
        let oldRequests = (0..<80).map { _ in hash(&r) }
        var newProposals: [(Hash, Int)] = []   // (id, option count)
        var newRequests: [Hash] = []

        var kinds: [TransactionKind] = mix.flatMap { Array(repeating: $0.0, count: $0.1) }
        r.shuffle(&kinds)

        var transactions: [Transaction] = []
        transactions.reserveCapacity(kinds.count)
        var endorsementCount = 0
        var proposalIndex = 0
        var time = blockTime - 4_000

        for kind in kinds {
            let signer: SigningKey
            let payload: TransactionPayload
            switch kind {
            case .registration:
                signer = r.pick(committee)
                let subject = key("resident-\(r.int(0..<10_000))").publicKey
                let roll = r.int(0..<100)
                let action: Registration.Action = roll < 75 ? .register : roll < 95 ? .update : .revoke
                var roles = RoleSet(action == .revoke ? [] : [.resident])
                if action == .update { roles.insert(r.pick([.ownersCommittee, .socialOrganization])) }
                payload = .registration(Registration(action: action, subject: subject, displayName: Texts.displayName(&r),
                                                     unit: Texts.unit(&r), roles: roles))
            case .notice:
                let category = r.pick(Notice.Category.allCases)
                switch category {
                case .partyAffairs: signer = partyBranch
                case .housingAffairs: signer = r.chance(50) ? owners : propertyManager
                case .finance: signer = r.chance(50) ? owners : r.pick(committee)
                case .services: signer = r.pick(committee + [streetOffice] + providers)
                case .general: signer = r.pick(committee + [streetOffice, owners])
                }
                let english = r.chance(20)
                let attachments = (0..<r.pick([0, 0, 1, 1, 2, 3])).map { _ in hash(&r) }
                payload = .notice(Notice(category: category, title: Texts.noticeTitle(&r, english: english),
                                         body: Texts.noticeBody(&r, english: english),
                                         supersedes: r.chance(10) ? hash(&r) : nil, attachments: attachments))
            case .proposal:
                let options = Texts.optionSets[proposalIndex % Texts.optionSets.count]
                let closing: ClosingRule = r.chance(50) ? .height(height + UInt64(r.int(2_000...20_000)))
                                                        : .time(blockTime + UInt64(r.int(3...14)) * 86_400_000)
                let descriptionSentences = (0..<r.int(2...4)).map { _ in r.pick(Texts.sentencesZH)(&r) }
                let terms = ProposalTerms(
                    title: Texts.proposalTitles[proposalIndex % Texts.proposalTitles.count],
                    description: descriptionSentences.joined(),
                    options: options,
                    eligibleRoles: RoleSet(proposalIndex % 2 == 0 ? [.resident] : [.resident, .ownersCommittee]),
                    closing: closing,
                    quorumBasisPoints: UInt32(r.int(3_000...5_000)),
                    passBasisPoints: UInt32(r.pick([5_000, 6_667]))
                )
                // Committee proposals need no co-signers; a resident's needs 10.
                if proposalIndex % 2 == 0 {
                    signer = r.pick(committee)
                    payload = .proposal(Proposal(terms: terms))
                } else {
                    var pool = residents
                    r.shuffle(&pool)
                    signer = pool[0]
                    let endorsements = pool[1...10].map { Endorsement(endorsing: terms, with: $0) }
                    endorsementCount += endorsements.count
                    payload = .proposal(Proposal(terms: terms, endorsements: endorsements))
                }
                proposalIndex += 1
            case .ballot:
                signer = r.pick(residents)
                if !newProposals.isEmpty && r.chance(40) {
                    let (id, n) = r.pick(newProposals)
                    payload = .ballot(Ballot(proposal: id, choice: UInt32(r.int(0..<n))))
                } else {
                    payload = .ballot(Ballot(proposal: r.pick(oldProposals), choice: UInt32(r.int(0..<2))))
                }
            case .serviceRequest:
                signer = r.pick(residents)
                payload = .serviceRequest(ServiceRequest(serviceCode: r.pick(Texts.serviceCodes),
                                                         description: r.pick(Texts.requestTexts)(&r),
                                                         location: r.pick(Texts.locations)(&r)))
            case .assignment:
                signer = r.chance(60) ? r.pick(committee) : propertyManager
                let request = !newRequests.isEmpty && r.chance(30) ? r.pick(newRequests) : r.pick(oldRequests)
                payload = .assignment(Assignment(request: request, provider: r.pick(providers).publicKey.subjectID,
                                                 note: r.pick(Texts.assignmentNotes)(&r)))
            case .serviceResponse:
                signer = r.pick(providers)
                payload = .serviceResponse(ServiceResponse(request: r.pick(oldRequests),
                                                           status: r.pick(ServiceResponse.Status.allCases),
                                                           note: r.pick(Texts.responseNotes)(&r)))
            case .closure:
                signer = r.pick(residents)
                let reopened = r.chance(15)
                payload = .closure(Closure(request: r.pick(oldRequests), outcome: reopened ? .reopened : .closed,
                                           rating: reopened ? nil : UInt8(r.pick([3, 4, 4, 5, 5, 5])),
                                           comment: r.pick(Texts.closureComments)(&r)))
            case .volunteerRecord:
                signer = r.pick(socialOrgs)
                payload = .volunteerRecord(VolunteerRecord(volunteer: r.pick(residents).publicKey.subjectID,
                                                           activity: r.pick(Texts.activities),
                                                           minutes: UInt32(r.int(2...16) * 15),
                                                           day: UInt32(20_240 + r.int(0...2))))
            case .checkpoint:
                signer = committee[0]
                let headerHash = hash(&r)
                let votes = [0, 1, 3].map { BlockVote(index: UInt32($0), key: validators[$0], headerHash: headerHash) }
                let certificate = CommitCertificate(height: height / 100 * 100, headerHash: headerHash, votes: votes)
                payload = .checkpoint(Checkpoint(community: community, genesisHash: Hashing.sha256(Array("genesis".utf8)),
                                                 certificate: certificate))
            case .referral:
                signer = r.pick(committee)
                payload = .referral(Referral(toCommunity: neighbour, kind: r.chance(70) ? .request : .resource,
                                             reference: r.chance(50) ? r.pick(oldRequests) : nil,
                                             summary: r.pick(Texts.referralSummaries)(&r)))
            case .proposalDraft, .endorsement, .rewardOffer, .redemption, .federationAdoption:
                // The mix holds the eleven kinds of the comparison's protobuf schema (ProtoConversion.swift).
                preconditionFailure("\(kind) is not in the benchmark's mix")
            }
            let nonce = nonces[signer.publicKey]! + 1
            nonces[signer.publicKey] = nonce
            time += UInt64(r.int(1...15))
            let tx = UnsignedTransaction(community: community, signer: signer.publicKey, nonce: nonce, time: time,
                                         payload: payload).signed(with: signer)
            switch payload {
            case let .proposal(p): newProposals.append((tx.id, p.terms.options.count))
            case .serviceRequest: newRequests.append(tx.id)
            default: break
            }
            transactions.append(tx)
        }

        let block = Block(community: community, height: height, previous: hash(&r), time: blockTime, proposer: 2,
                          transactions: transactions)
        let headerHash = block.header.hash
        let votes = [0, 1, 2].map { BlockVote(index: UInt32($0), key: validators[$0], headerHash: headerHash) }
        let sealed = SealedBlock(block: block, certificate: CommitCertificate(height: height, headerHash: headerHash, votes: votes))
        let used = Set(transactions.map(\.signer)).count
        return BenchmarkFixture(block: block, sealed: sealed, signerCount: used, kindCounts: mix,
                                endorsementCount: endorsementCount)
    }
}
