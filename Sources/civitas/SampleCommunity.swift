import CivitasCodec
import CivitasLedger

/// A pilot community with deterministic keys, for the demo.
struct SampleCommunity {
    struct Member {
        let name: String
        let unit: String
        let roles: RoleSet
        let key: SigningKey
    }

    let community = CommunityID("lianhua-east")!
    let startTime: Timestamp = 1_767_225_600_000  // 2026-01-01T00:00:00Z
    let members: [String: Member]
    let validatorNodes: [SigningKey]
    let genesis: GenesisDocument

    init(seed: UInt64) {
        var n: UInt64 = 0
        func key() -> SigningKey {
            n += 1
            var s = Bytes32()
            s.withUnsafeMutableBytes { buf in
                var x = seed &* 0x9E37_79B9_7F4A_7C15 &+ n
                for i in 0..<32 {
                    x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    buf[i] = UInt8(truncatingIfNeeded: x >> 56)
                }
            }
            return SigningKey(seed: s)
        }
        let people: [(String, String, String, [Role])] = [
            ("committee", "Residents' Committee", "Community Centre", [.residentsCommittee]),
            ("party", "Party Branch", "Community Centre", [.partyBranch]),
            ("owners", "Owners' Committee", "Bldg 1 Office", [.ownersCommittee]),
            ("manager", "Greenleaf Property Management", "Bldg 1 Lobby", [.propertyManager]),
            ("street", "Lianhua Street Office", "Street Office", [.streetOffice]),
            ("elders", "Silver Age Volunteers", "Activity Room", [.socialOrganization]),
            ("lifts", "Steady Lift Maintenance Co.", "Service Depot", [.serviceProvider]),
            ("wang", "Wang (resident)", "Bldg 3-201", [.resident]),
            ("li", "Li (resident)", "Bldg 5-602", [.resident, .ownersCommittee]),
            ("zhao", "Zhao (resident)", "Bldg 2-104", [.resident]),
        ]
        var m: [String: Member] = [:]
        for (id, name, unit, roles) in people {
            m[id] = Member(name: name, unit: unit, roles: RoleSet(roles), key: key())
        }
        members = m
        validatorNodes = (0..<3).map { _ in key() }
        let validators = zip(["committee", "party", "owners"], validatorNodes).map { id, node in
            ValidatorEntry(name: m[id]!.name, subject: m[id]!.key.publicKey, nodeKey: node.publicKey)
        }
        genesis = GenesisDocument(
            community: community, time: startTime, validators: validators,
            registrars: [m["committee"]!.key.publicKey],
            subjects: m.values.map { GenesisSubject(key: $0.key.publicKey, displayName: $0.name, unit: $0.unit, roles: $0.roles) },
            // A pilot of a few households: a resident's proposal needs two co-signers.
            parameters: GenesisParameters(proposalEndorsements: 2, responseDeadlines: [
                ResponseDeadline(serviceCode: "elevator", seconds: 4 * 3600),
                ResponseDeadline(serviceCode: "streetlight", seconds: 48 * 3600),
            ]))
    }

    func member(_ id: String) -> Member { members[id]! }

    /// One record of every kind, signed by the subject entitled to issue it.
    func sampleTransactions(neighbourCheckpoint: Checkpoint) -> [Transaction] {
        var nonces: [String: UInt64] = [:]
        var time = startTime + 3_600_000
        var txs: [Transaction] = []
        @discardableResult
        func sign(_ who: String, _ payload: TransactionPayload) -> Transaction {
            nonces[who, default: 0] += 1
            time += 60_000
            let key = member(who).key
            let tx = UnsignedTransaction(community: community, signer: key.publicKey, nonce: nonces[who]!, time: time, payload: payload)
                .signed(with: key)
            txs.append(tx)
            return tx
        }
        let newcomer = SigningKey(seed: Bytes32(Array(repeating: 7, count: 32))!)
        sign("committee", .registration(Registration(
            action: .register, subject: newcomer.publicKey, displayName: "Chen (resident)", unit: "Bldg 4-303", roles: RoleSet([.resident]))))
        let notice = sign("owners", .notice(Notice(
            category: .finance, title: "2026 Q1 maintenance fund accounts",
            body: "Income 182,400 CNY; lift repairs 61,200 CNY; greening 8,900 CNY. Vouchers at the owners' committee office.",
            attachments: [Hashing.sha256(Array("q1-accounts.pdf".utf8))])))
        sign("owners", .notice(Notice(
            category: .finance, title: "2026 Q1 maintenance fund accounts (corrected)",
            body: "Correction: greening was 9,800 CNY, not 8,900 CNY.", supersedes: notice.id)))
        let terms = ProposalTerms(
            title: "Install a second lift in building 5", description: "Owners share the cost by floor, per the attached plan.",
            options: ["yes", "no", "abstain"], eligibleRoles: RoleSet([.resident]), closing: .height(120),
            quorumBasisPoints: 5_000, passBasisPoints: 6_667)
        let proposal = sign("wang", .proposal(Proposal(
            terms: terms, endorsements: ["li", "zhao"].map { Endorsement(endorsing: terms, with: member($0).key) })))
        sign("li", .ballot(Ballot(proposal: proposal.id, choice: 0)))
        sign("zhao", .ballot(Ballot(proposal: proposal.id, choice: 1)))
        let request = sign("wang", .serviceRequest(ServiceRequest(
            serviceCode: "elevator", description: "Lift in building 3 stops between floors 4 and 5.", location: "Bldg 3 lift")))
        sign("committee", .assignment(Assignment(request: request.id, provider: member("lifts").key.publicKey.subjectID, note: "Urgent: elderly residents on upper floors.")))
        sign("lifts", .serviceResponse(ServiceResponse(request: request.id, status: .acknowledged, note: "Technician on the way.")))
        sign("lifts", .serviceResponse(ServiceResponse(request: request.id, status: .resolvedFixed, note: "Replaced the door sensor.")))
        sign("wang", .closure(Closure(request: request.id, outcome: .closed, rating: 5, comment: "Fixed within two hours.")))
        sign("elders", .volunteerRecord(VolunteerRecord(
            volunteer: member("zhao").key.publicKey.subjectID, activity: "Weekly visits to elderly residents", minutes: 150, day: 20_454)))
        sign("street", .checkpoint(neighbourCheckpoint))
        sign("committee", .referral(Referral(
            toCommunity: CommunityID("hehua-north")!, kind: .request, reference: request.id,
            summary: "Seeking a second lift contractor for a comparison quote.")))
        return txs
    }
}
