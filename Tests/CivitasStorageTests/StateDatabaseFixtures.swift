import CivitasCodec
import CivitasLedger
import CivitasStorage
import CivitasTestSupport
import Foundation
import Testing

/// A community for the state-database tests: deterministic keys (as in
/// `civitas demo`'s sample community), its genesis, and a builder for signed,
/// certified blocks.
struct StateTestCommunity: Sendable {
    let community = CommunityID("lianhua-east")!
    static let startTime: Timestamp = 1_767_225_600_000  // 2026-01-01T00:00:00Z
    let keys: [String: SigningKey]
    let validatorNodes: [SigningKey]
    let genesis: GenesisDocument

    static let hour: UInt64 = 3_600_000

    /// The founding members: name → (display name, unit, roles).
    static let founders: [(String, String, String, [Role])] = [
        ("committee", "Residents' Committee", "Community Centre", [.residentsCommittee]),
        ("party", "Party Branch", "Community Centre", [.partyBranch]),
        ("owners", "Owners' Committee", "Bldg 1 Office", [.ownersCommittee]),
        ("manager", "Greenleaf Property Management", "Bldg 1 Lobby", [.propertyManager]),
        ("street", "Lianhua Street Office", "Street Office", [.streetOffice]),
        ("elders", "Silver Age Volunteers", "Activity Room", [.socialOrganization]),
        ("lifts", "Steady Lift Maintenance Co.", "Service Depot", [.serviceProvider]),
        ("lamps", "Bright Street Lighting", "Depot 2", [.serviceProvider]),
        ("wang", "Wang (resident)", "Bldg 3-201", [.resident]),
        ("li", "Li (resident)", "Bldg 5-602", [.resident, .ownersCommittee]),
        ("zhao", "Zhao (resident)", "Bldg 2-104", [.resident]),
        ("sun", "Sun (resident)", "Bldg 2-305", [.resident]),
    ]

    /// Keys that are not subjects at genesis.
    static let outsiders = ["chen", "mallory"]

    init(seed: UInt64 = 1, checkpointInterval: UInt64 = 4, extraResidents: Int = 0) {
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
        var keys: [String: SigningKey] = [:]
        var subjects: [GenesisSubject] = []
        for (id, name, unit, roles) in Self.founders {
            let k = key()
            keys[id] = k
            subjects.append(GenesisSubject(key: k.publicKey, displayName: name, unit: unit, roles: RoleSet(roles)))
        }
        for i in 0..<extraResidents {
            let k = key()
            keys["resident\(i)"] = k
            subjects.append(GenesisSubject(key: k.publicKey, displayName: "Resident \(i)", unit: "Bldg 9-\(i)", roles: RoleSet([.resident])))
        }
        for id in Self.outsiders { keys[id] = key() }
        self.keys = keys
        validatorNodes = (0..<3).map { _ in key() }
        let validators = zip(["committee", "party", "owners"], validatorNodes).map { id, node in
            ValidatorEntry(name: id, subject: keys[id]!.publicKey, nodeKey: node.publicKey)
        }
        genesis = GenesisDocument(
            community: community, time: Self.startTime, validators: validators,
            registrars: [keys["committee"]!.publicKey], subjects: subjects,
            parameters: GenesisParameters(
                checkpointInterval: checkpointInterval, pointsPerHour: 10, defaultResponseDeadline: 72 * 3600,
                responseDeadlines: [
                    ResponseDeadline(serviceCode: "elevator", seconds: 4 * 3600),
                    ResponseDeadline(serviceCode: "streetlight", seconds: 48 * 3600),
                ]))
    }

    func key(_ name: String) -> SigningKey { keys[name]! }
    func subject(_ name: String) -> SubjectID { keys[name]!.publicKey.subjectID }

    /// A certificate signed by every validator.
    func certify(_ header: BlockHeader) -> CommitCertificate {
        let hash = header.hash
        return CommitCertificate(height: header.height, headerHash: hash, votes: validatorNodes.enumerated().map {
            BlockVote(index: UInt32($0.offset), key: $0.element, headerHash: hash)
        })
    }

    static let neighbour = StateTestCommunity(seed: 1_000)

    /// A checkpoint of a neighbouring community, certified by its own validators
    /// (`fork` picks another header at the same height: an equivocation).
    func neighbourCheckpoint(height: UInt64, fork: UInt8 = 0) -> Checkpoint {
        let neighbour = Self.neighbour
        let header = BlockHeader(community: CommunityID("hehua-north")!, height: height,
                                 previous: Hashing.sha256([UInt8(height & 0xff), fork]),
                                 time: Self.startTime, proposer: 0, transactionCount: 0, transactionRoot: Merkle.emptyRoot)
        return Checkpoint(community: header.community, genesisHash: neighbour.genesis.hash, certificate: neighbour.certify(header))
    }

    /// The city's federation document: this community and its neighbour "hehua-north"
    /// (the neighbour's chain and validators), with stand-in CA bytes (the rules never read them).
    func federation(sequence: UInt64 = 1, neighbourGenesis: Hash = neighbour.genesis.hash) -> FederationDocument {
        try! FederationDocument(sequence: sequence, communities: [
            FederationMember(genesis: genesis, caCertificate: Array("ca of lianhua-east".utf8)),
            FederationMember(community: CommunityID("hehua-north")!, genesisHash: neighbourGenesis,
                             validators: Self.neighbour.validatorNodes.map(\.publicKey), caCertificate: Array("ca of hehua-north".utf8)),
        ])
    }
}

/// Records of the neighbour's chain ("hehua-north"), proven as a gateway
/// relays them (kind 17): each in a block of its own, certified by the
/// neighbour's validators unless the test forges it.
extension StateTestCommunity {
    static let north = CommunityID("hehua-north")!

    /// `payload` signed on the neighbour's chain by `signer` (a key of the neighbour's test community).
    static func neighbourTransaction(_ payload: TransactionPayload, signer: String = "street", nonce: UInt64,
                                     community: CommunityID = north) -> Transaction {
        let key = neighbour.key(signer)
        return UnsignedTransaction(community: community, signer: key.publicKey, nonce: nonce, time: startTime + nonce,
                                   payload: payload).signed(with: key)
    }

    /// `tx` proven as the only transaction of block `height` of `community`'s chain `genesisHash`,
    /// certified by `voters` of `signers` (the neighbour's validators by default).
    static func neighbourRecord(_ tx: Transaction, height: UInt64, voters: [Int] = [0, 1, 2],
                                signers: [SigningKey] = neighbour.validatorNodes, community: CommunityID = north,
                                genesisHash: Hash = neighbour.genesis.hash) -> ProvenTransaction {
        let block = Block(community: community, height: height, previous: Hashing.sha256(Array("\(community) \(height)".utf8)),
                          time: startTime + height * 1_000, proposer: 0, transactions: [tx])
        let hash = block.header.hash
        let votes = voters.map { BlockVote(index: UInt32($0), key: signers[$0], headerHash: hash) }
        return ProvenTransaction(index: 0, of: SealedBlock(block: block, certificate: CommitCertificate(height: height, headerHash: hash, votes: votes)),
                                 genesisHash: genesisHash)
    }

    /// The neighbour's receipt of transaction `index` of `block` of this chain (its own relay of our record).
    func neighbourReceipt(of index: Int, in block: SealedBlock, nonce: UInt64) -> Transaction {
        Self.neighbourTransaction(.referralRelay(ReferralRelay(record: ProvenTransaction(index: index, of: block, genesisHash: genesis.hash))),
                                  nonce: nonce)
    }
}

/// Builds a chain block by block: signs transactions with per-signer nonces
/// and seals blocks with a full certificate.
struct ChainBuilder {
    let c: StateTestCommunity
    private(set) var blocks: [SealedBlock] = []
    private(set) var pending: [Transaction] = []
    private var nonces: [String: UInt64] = [:]
    /// Time of the last sealed block (genesis time at first).
    private(set) var time: Timestamp
    private var previous: Hash

    init(_ community: StateTestCommunity) {
        c = community
        time = StateTestCommunity.startTime
        previous = community.genesis.hash
    }

    var height: UInt64 { UInt64(blocks.count) }
    var nextHeight: UInt64 { height + 1 }

    /// Signs `payload` as `who` with its next nonce (or `nonce`) and queues it for the next block.
    @discardableResult
    mutating func add(_ who: String, _ payload: TransactionPayload, nonce: UInt64? = nil,
                      community: CommunityID? = nil) -> Transaction {
        let n: UInt64
        if let nonce { n = nonce } else {
            nonces[who, default: 0] += 1
            n = nonces[who]!
        }
        let key = c.key(who)
        let tx = UnsignedTransaction(community: community ?? c.community, signer: key.publicKey, nonce: n,
                                     time: time + UInt64(pending.count) + 1, payload: payload).signed(with: key)
        pending.append(tx)
        return tx
    }

    /// Queues an already signed transaction (a replay, say).
    mutating func addSigned(_ tx: Transaction) { pending.append(tx) }

    /// Seals the queued transactions into the next block, `after` milliseconds after the previous one.
    @discardableResult
    mutating func seal(after: UInt64 = 60_000) -> SealedBlock { seal(at: time + after) }

    /// Seals the queued transactions into the next block with block time `at` (even an earlier one).
    @discardableResult
    mutating func seal(at: Timestamp) -> SealedBlock {
        time = at
        let block = Block(community: c.community, height: nextHeight, previous: previous, time: time, proposer: 0, transactions: pending)
        let sealed = SealedBlock(block: block, certificate: c.certify(block.header))
        blocks.append(sealed)
        previous = block.header.hash
        pending = []
        return sealed
    }
}

/// A scratch directory for one test, removed when `body` returns.
func withScratch<T>(_ name: String, _ body: (String) throws -> T) throws -> T {
    let url = try scratchDirectory("state-\(name)")
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

extension StateDatabase {
    /// The outcome's application, or nil if it was already applied.
    @discardableResult
    func applyExpectingNew(_ block: SealedBlock) throws -> BlockApplication {
        guard case let .applied(a) = try apply(block) else {
            throw StorageError.invalidArgument("block \(block.height) was already applied")
        }
        return a
    }
}

/// A five-block chain that uses every transaction kind (and every
/// registration action), with the IDs the tests check against. Referrals
/// cross the city both ways: block 3 records the neighbour's referral to
/// us (received) and its receipt of ours (delivered), block 4 answers the
/// neighbour's, block 5 records the neighbour's answer to ours (answered).
struct GovernanceChain {
    var builder: ChainBuilder
    var blocks: [SealedBlock] { builder.blocks }
    let notices: [Hash]          // n1, n2 (corrects n1), n3 (corrects n2), n4 (party affairs)
    let proposal: Hash           // closes at height 4
    let lift: Hash               // elevator request: lifts, fixed, closed with 5 stars
    let lamp: Hash               // streetlight request: lamps, late first response
    let referral: Hash
    let checkpoint: Checkpoint
    /// On the neighbour's chain: its referral to us (height 41), its receipt of ours (42) and its answer to ours (44).
    let neighbourReferral: Transaction
    let neighbourReceipt: Transaction
    let neighbourAnswer: Transaction
    /// On this chain: the relays (block 3 index 5, block 3 index 6, block 5 index 7) and the answer to the neighbour's referral (block 4 index 4).
    let received: Transaction
    let delivered: Transaction
    let answered: Transaction
    let answer: Transaction

    init(_ c: StateTestCommunity) {
        var b = ChainBuilder(c)
        let chen = c.key("chen").publicKey
        // Block 1
        b.add("committee", .registration(Registration(action: .register, subject: chen, displayName: "Chen (resident)",
                                                      unit: "Bldg 4-303", roles: RoleSet([.resident]))))
        let n1 = b.add("owners", .notice(Notice(category: .finance, title: "2026 Q1 maintenance fund accounts",
                                                body: "Income 182,400 CNY; lift repairs 61,200 CNY; greening 8,900 CNY.",
                                                attachments: [Hashing.sha256(Array("q1-accounts.pdf".utf8))])))
        let terms = ProposalTerms(title: "Install a second lift in building 5", description: "Owners share the cost by floor.",
                                  options: ["yes", "no", "abstain"], eligibleRoles: RoleSet([.resident]), closing: .height(4),
                                  quorumBasisPoints: 5_000, passBasisPoints: 6_000)
        let p = b.add("committee", .proposal(Proposal(terms: terms, endorsements: ["li", "zhao"].map {
            Endorsement(endorsing: terms, with: c.key($0))
        })))
        let lift = b.add("wang", .serviceRequest(ServiceRequest(serviceCode: "elevator", description: "Lift stops between floors 4 and 5.",
                                                                location: "Bldg 3 lift")))
        let lamp = b.add("zhao", .serviceRequest(ServiceRequest(serviceCode: "streetlight", description: "Lamp out by gate 2.",
                                                                location: "Gate 2")))
        b.add("committee", .federationAdoption(FederationAdoption(document: c.federation())))
        b.seal(after: 60_000)
        // Block 2, 10 minutes later
        let n2 = b.add("owners", .notice(Notice(category: .finance, title: "2026 Q1 maintenance fund accounts (corrected)",
                                                body: "Greening was 9,800 CNY, not 8,900 CNY.", supersedes: n1.id)))
        b.add("li", .ballot(Ballot(proposal: p.id, choice: 0)))
        b.add("zhao", .ballot(Ballot(proposal: p.id, choice: 1)))
        b.add("chen", .ballot(Ballot(proposal: p.id, choice: 0)))
        b.add("committee", .assignment(Assignment(request: lift.id, provider: c.subject("lifts"), note: "Urgent")))
        b.add("committee", .assignment(Assignment(request: lamp.id, provider: c.subject("lamps"), note: "")))
        b.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("zhao"), activity: "Elder visits", minutes: 150, day: 20_454)))
        let checkpoint = c.neighbourCheckpoint(height: 40)
        b.add("street", .checkpoint(checkpoint))
        let referral = b.add("committee", .referral(Referral(toCommunity: CommunityID("hehua-north")!, kind: .request,
                                                             reference: lift.id, summary: "A second lift contractor, please.")))
        b.seal(after: 10 * 60_000)
        // Block 3, 30 minutes later
        b.add("lifts", .serviceResponse(ServiceResponse(request: lift.id, status: .acknowledged, note: "On the way.")))
        b.add("zhao", .ballot(Ballot(proposal: p.id, choice: 0)))
        b.add("committee", .registration(Registration(action: .update, subject: chen, displayName: "Chen Jing (resident)",
                                                      unit: "Bldg 4-303", roles: RoleSet([.resident, .socialOrganization]))))
        b.add("committee", .registration(Registration(action: .revoke, subject: c.key("sun").publicKey, displayName: "",
                                                      unit: "", roles: RoleSet())))
        b.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("chen"), activity: "Tutoring", minutes: 45, day: 20_455)))
        let neighbourReferral = StateTestCommunity.neighbourTransaction(.referral(Referral(
            toCommunity: c.community, kind: .resource, reference: nil, summary: "Two spare wheelchairs.")), nonce: 1)
        let received = b.add("street", .referralRelay(ReferralRelay(record: StateTestCommunity.neighbourRecord(neighbourReferral, height: 41))))
        let neighbourReceipt = c.neighbourReceipt(of: 8, in: b.blocks[1], nonce: 2)
        let delivered = b.add("street", .referralRelay(ReferralRelay(record: StateTestCommunity.neighbourRecord(neighbourReceipt, height: 42))))
        b.seal(after: 30 * 60_000)
        // Block 4, two hours later: the proposal closes at the end of this block.
        b.add("lifts", .serviceResponse(ServiceResponse(request: lift.id, status: .resolvedFixed, note: "Door sensor replaced.")))
        let n3 = b.add("owners", .notice(Notice(category: .finance, title: "2026 Q1 accounts (second correction)",
                                                body: "Lift repairs were 61,020 CNY.", supersedes: n2.id)))
        let n4 = b.add("party", .notice(Notice(category: .partyAffairs, title: "Branch meeting", body: "Thursday 7pm.")))
        b.add("wang", .ballot(Ballot(proposal: p.id, choice: 2)))
        let answer = b.add("elders", .referralAnswer(ReferralAnswer(referral: neighbourReferral.id, fromCommunity: StateTestCommunity.north,
                                                                    accepted: true, note: "Collect them at the activity room.")))
        b.seal(after: 2 * StateTestCommunity.hour)
        // Block 5, two days later
        b.add("wang", .closure(Closure(request: lift.id, outcome: .closed, rating: 5, comment: "Fixed quickly.")))
        b.add("lamps", .serviceResponse(ServiceResponse(request: lamp.id, status: .inProgress, note: "Parts ordered.")))
        b.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject("zhao"), activity: "Elder visits", minutes: 60, day: 20_456)))
        // A resident's draft with one endorsement (of the ten it needs), and 10 of Zhao's 35 points spent on a reward.
        let bench = ProposalTerms(title: "A bench by gate 2", description: "", options: ["yes", "no"], eligibleRoles: RoleSet([.resident]),
                                  closing: .height(50), quorumBasisPoints: 0, passBasisPoints: 5_001)
        let draft = b.add("li", .proposalDraft(ProposalDraft(terms: bench)))
        b.add("zhao", .endorsement(DraftEndorsement(draft: draft.id)))
        let offer = b.add("elders", .rewardOffer(RewardOffer(title: "Cinema ticket", description: "Saturday", price: 10, quantity: 1)))
        b.add("zhao", .redemption(Redemption(offer: offer.id)))
        let neighbourAnswer = StateTestCommunity.neighbourTransaction(.referralAnswer(ReferralAnswer(
            referral: referral.id, fromCommunity: c.community, accepted: false, note: "No contractor free until May.")), nonce: 3)
        let answered = b.add("street", .referralRelay(ReferralRelay(record: StateTestCommunity.neighbourRecord(neighbourAnswer, height: 44))))
        b.seal(after: 48 * StateTestCommunity.hour)

        builder = b
        notices = [n1.id, n2.id, n3.id, n4.id]
        proposal = p.id
        self.lift = lift.id
        self.lamp = lamp.id
        self.referral = referral.id
        self.checkpoint = checkpoint
        self.neighbourReferral = neighbourReferral
        self.neighbourReceipt = neighbourReceipt
        self.neighbourAnswer = neighbourAnswer
        self.received = received
        self.delivered = delivered
        self.answered = answered
        self.answer = answer
    }
}

/// A long random workload over `extraResidents`: notices and corrections,
/// proposals that close a few blocks later, ballots (some for closed or
/// unknown proposals), service requests through their whole lifecycle (with
/// some impossible steps), volunteer records, registrations and referrals.
/// Under the permission rules (docs/governance.md) about a quarter of the
/// transactions are rejected, most of them ballots for closed proposals.
func randomChain(_ c: StateTestCommunity, blocks: Int, transactionsPerBlock: Int, seed: UInt64) -> [SealedBlock] {
    var rng = SplitMix64(seed: seed)
    var b = ChainBuilder(c)
    let residents = c.keys.keys.filter { $0.hasPrefix("resident") }.sorted()
    var notices: [Hash] = []
    var proposals: [(id: Hash, options: Int)] = []
    var requests: [(id: Hash, requester: String, provider: String, step: Int)] = []
    var revoked: Set<String> = []
    // The federation adopted first, so the neighbour's checkpoints verify.
    b.add("committee", .federationAdoption(FederationAdoption(document: c.federation())))
    for _ in 0..<blocks {
        for _ in 0..<transactionsPerBlock {
            let anyResident = residents[rng.int(0...(residents.count - 1))]
            // Revoked residents mostly stay quiet (now and then one tries, and is refused).
            let quiet = residents.filter { !revoked.contains($0) }
            let resident = quiet.isEmpty || rng.chance(5) ? anyResident : quiet[rng.int(0...(quiet.count - 1))]
            switch rng.int(0...99) {
            case 0..<12:
                let supersedes = notices.isEmpty || rng.chance(60) ? nil : notices[rng.int(0...(notices.count - 1))]
                let tx = b.add("committee", .notice(Notice(category: .general, title: "Notice \(rng.next() % 1000)",
                                                           body: String(repeating: "text ", count: rng.int(1...40)), supersedes: supersedes)))
                notices.append(tx.id)
            case 12..<16:
                let options = rng.int(2...4)
                let terms = ProposalTerms(title: "Proposal", description: "", options: (0..<options).map { "option \($0)" },
                                          eligibleRoles: RoleSet([.resident]), closing: .height(b.nextHeight + UInt64(rng.int(1...6))),
                                          quorumBasisPoints: UInt32(rng.int(0...10_000)), passBasisPoints: UInt32(rng.int(1...10_000)))
                let tx = b.add("committee", .proposal(Proposal(terms: terms)))
                proposals.append((tx.id, options))
            case 16..<50:
                // Mostly one of the latest proposals (likely still open), sometimes any, now and then an unknown one.
                let recent = rng.chance(80) ? max(0, proposals.count - 4) : 0
                let (proposal, options) = proposals.isEmpty || rng.chance(3) ? (Hashing.sha256(rng.bytes(8)), 2) : proposals[rng.int(recent...(proposals.count - 1))]
                b.add(resident, .ballot(Ballot(proposal: proposal, choice: UInt32(rng.int(0...options)))))
            case 50..<60:
                let tx = b.add(resident, .serviceRequest(ServiceRequest(serviceCode: rng.chance(50) ? "elevator" : "sanitation",
                                                                        description: "Broken", location: "Bldg \(rng.int(1...9))")))
                requests.append((tx.id, resident, rng.chance(50) ? "lifts" : "lamps", 0))
            case 60..<80 where !requests.isEmpty:
                let i = rng.int(0...(requests.count - 1))
                let r = requests[i]
                // Mostly the assigned provider answers; now and then the other one tries.
                let provider = rng.chance(90) ? r.provider : (r.provider == "lifts" ? "lamps" : "lifts")
                switch r.step {
                case 0: b.add("committee", .assignment(Assignment(request: r.id, provider: c.subject(r.provider), note: "")))
                case 1: b.add(provider, .serviceResponse(ServiceResponse(request: r.id, status: .acknowledged, note: "")))
                case 2: b.add(provider, .serviceResponse(ServiceResponse(request: r.id, status: rng.chance(70) ? .resolvedFixed : .resolvedDuplicate, note: "")))
                default:
                    b.add(r.requester, .closure(Closure(request: r.id, outcome: rng.chance(80) ? .closed : .reopened,
                                                        rating: UInt8(rng.int(1...5)), comment: "")))
                }
                requests[i].step = rng.chance(90) ? r.step + 1 : r.step
            case 80..<90:
                b.add("elders", .volunteerRecord(VolunteerRecord(volunteer: c.subject(resident), activity: "Cleaning",
                                                                 minutes: UInt32(rng.int(1...240)), day: 20_000)))
            case 90..<94:
                b.add("committee", .referral(Referral(toCommunity: CommunityID("hehua-north")!, kind: .resource,
                                                      reference: requests.isEmpty ? nil : requests[0].id, summary: "Spare ladder")))
            case 94..<97:
                b.add("street", .checkpoint(c.neighbourCheckpoint(height: UInt64(rng.int(1...30)))))
            default:
                // A revoked resident is registered again later, so revocations stay a small share of refusals.
                let action: Registration.Action = revoked.contains(anyResident) ? .register : (rng.chance(50) ? .update : .revoke)
                if action == .revoke { revoked.insert(anyResident) } else { revoked.remove(anyResident) }
                b.add("committee", .registration(Registration(action: action,
                                                              subject: c.key(anyResident).publicKey, displayName: anyResident,
                                                              unit: "Bldg 9", roles: RoleSet([.resident]))))
            }
        }
        b.seal(after: UInt64(rng.int(1...600)) * 1000)
    }
    return b.blocks
}

