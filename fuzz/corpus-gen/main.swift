// Writes the seed corpus of the fuzz targets: valid encodings of realistic
// values, plus the hex vectors of docs/codec.md. Built and run by
// fuzz/make-corpus.sh; the output is committed under fuzz/corpus/<target>/.
//
// Deterministic: every key comes from `SigningKey(seed:)`, every time is a
// constant, and Ed25519 signatures are deterministic. (The zstd frames of
// compressed sealed blocks depend on the libzstd version that made them.)
//
// Usage: corpus-gen <docs/codec.md> <output directory>

import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasTime
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: corpus-gen <docs/codec.md> <output directory>\n".utf8))
    exit(2)
}
let specPath = arguments[1]
let outputRoot = URL(fileURLWithPath: arguments[2])

// MARK: - Output

var written: [String: Int] = [:]

/// Writes `value`'s encoding as fuzz/corpus/<target>/<name>, after checking it decodes back.
func emit<T: CanonicalObject & Equatable>(_ target: String, _ name: String, _ value: T) {
    let bytes = value.encoded()
    guard let decoded = try? T(encoded: bytes), decoded == value else {
        fatalError("\(target)/\(name): the encoding does not decode back to the value")
    }
    emitRaw(target, name, bytes)
}

/// True if `bytes` decode as `T` and re-encode to an equal value.
func decodes<T: CanonicalObject & Equatable>(_ type: T.Type, _ bytes: [UInt8]) -> Bool {
    guard let value = try? T(encoded: bytes) else { return false }
    return (try? T(encoded: value.encoded())) == value
}

/// Writes bytes that must be a valid encoding for `target`.
func emitRaw(_ target: String, _ name: String, _ bytes: [UInt8]) {
    let valid: Bool
    switch target {
    case "transaction": valid = decodes(Transaction.self, bytes)
    case "block-header": valid = decodes(BlockHeader.self, bytes)
    case "block": valid = decodes(Block.self, bytes)
    case "sealed-block": valid = decodes(SealedBlock.self, bytes)
    case "commit-certificate": valid = decodes(CommitCertificate.self, bytes)
    case "checkpoint": valid = decodes(Checkpoint.self, bytes)
    case "peer-record": valid = decodes(PeerRecord.self, bytes)
    case "genesis": valid = decodes(GenesisDocument.self, bytes)
    case "federation-document": valid = decodes(FederationDocument.self, bytes)
    case "inclusion-proof": valid = decodes(InclusionProof.self, bytes)
    case "gossip-message": valid = decodes(GossipMessage.self, bytes)
    case "address-book": valid = decodes(AddressBook.self, bytes)
    default: fatalError("unknown fuzz target \(target)")
    }
    guard valid else { fatalError("\(target)/\(name) is not a valid encoding") }
    let dir = outputRoot.appendingPathComponent(target)
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try! Data(bytes).write(to: dir.appendingPathComponent(name))
    written[target, default: 0] += 1
}

// MARK: - Keys and communities

func key(_ n: UInt8) -> SigningKey { SigningKey(seed: Bytes32(Array(repeating: n, count: 32))!) }
func sha(_ text: String) -> Hash { Hashing.sha256(Array(text.utf8)) }

let lianhua = CommunityID("lianhua-east")!
let hehua = CommunityID("hehua-north")!
let start: Timestamp = 1_767_225_600_000  // 2026-01-01T00:00:00Z

let committee = key(1), resident = key(2), party = key(3), owners = key(4), manager = key(5)
let street = key(6), elders = key(7), lifts = key(8), li = key(9), zhao = key(10)
let validatorNodes = [key(11), key(12), key(13)]
let neighbourNodes = [key(21), key(22), key(23), key(24), key(25)]

func certify(_ header: BlockHeader, by nodes: [SigningKey], indices: [Int]? = nil) -> CommitCertificate {
    let hash = header.hash
    let which = indices ?? Array(nodes.indices)
    return CommitCertificate(height: header.height, headerHash: hash, votes: which.map {
        BlockVote(index: UInt32($0), key: nodes[$0], headerHash: hash)
    })
}

// MARK: - Genesis documents

let deadlines = [
    ResponseDeadline(serviceCode: "elevator", seconds: 4 * 3600),
    ResponseDeadline(serviceCode: "sanitation", seconds: 24 * 3600),
    ResponseDeadline(serviceCode: "streetlight", seconds: 48 * 3600),
    ResponseDeadline(serviceCode: "water-leak", seconds: 2 * 3600),
]
let people: [(SigningKey, String, String, [Role])] = [
    (committee, "Residents' Committee", "Community Centre", [.residentsCommittee]),
    (party, "Party Branch", "Community Centre", [.partyBranch]),
    (owners, "Owners' Committee", "Bldg 1 Office", [.ownersCommittee]),
    (manager, "Greenleaf Property Management", "Bldg 1 Lobby", [.propertyManager]),
    (street, "Lianhua Street Office", "Street Office", [.streetOffice]),
    (elders, "Silver Age Volunteers", "Activity Room", [.socialOrganization]),
    (lifts, "Steady Lift Maintenance Co.", "Service Depot", [.serviceProvider]),
    (resident, "Wang (resident)", "Bldg 3-201", [.resident]),
    (li, "Li (resident)", "Bldg 5-602", [.resident, .ownersCommittee]),
    (zhao, "赵 (resident)", "2号楼 104", [.resident]),
]
let genesis = GenesisDocument(
    community: lianhua, time: start,
    validators: zip(["Residents' Committee", "Party Branch", "Owners' Committee"], zip([committee, party, owners], validatorNodes))
        .map { ValidatorEntry(name: $0, subject: $1.0.publicKey, nodeKey: $1.1.publicKey) },
    registrars: [committee.publicKey, street.publicKey],
    subjects: people.map { GenesisSubject(key: $0.0.publicKey, displayName: $0.1, unit: $0.2, roles: RoleSet($0.3)) },
    parameters: GenesisParameters(responseDeadlines: deadlines))
let neighbourGenesis = GenesisDocument(
    community: hehua, time: start + 86_400_000,
    validators: neighbourNodes.enumerated().map {
        ValidatorEntry(name: "Validator \($0.offset + 1)", subject: key(UInt8(30 + $0.offset)).publicKey, nodeKey: $0.element.publicKey)
    },
    registrars: [key(30).publicKey], subjects: [],
    parameters: GenesisParameters(maxBlockTransactions: 65_536, maxBlockBytes: UInt32.max, blockInterval: 1_000,
                                  checkpointInterval: 1, proposalEndorsements: 0, pointsPerHour: 0,
                                  defaultResponseDeadline: 0, responseDeadlines: []))
let minimalGenesis = GenesisDocument(
    community: CommunityID("a")!, time: 0,
    validators: [ValidatorEntry(name: "", subject: committee.publicKey, nodeKey: committee.publicKey)],
    registrars: [], subjects: [],
    parameters: GenesisParameters(maxBlockTransactions: 1, maxBlockBytes: 0, blockInterval: 0, checkpointInterval: 1,
                                  proposalEndorsements: 0, pointsPerHour: 0, defaultResponseDeadline: 0))
emit("genesis", "lianhua-east-subjects-deadlines", genesis)
emit("genesis", "hehua-north-five-validators", neighbourGenesis)
emit("genesis", "minimal", minimalGenesis)

// MARK: - Checkpoints and certificates

let neighbourHeader = BlockHeader(community: hehua, height: 40, previous: sha("hehua-39"), time: start + 3_600_000,
                                  proposer: 4, transactionCount: 0, transactionRoot: Merkle.emptyRoot)
let neighbourCheckpoint = Checkpoint(community: hehua, genesisHash: neighbourGenesis.hash,
                                     certificate: certify(neighbourHeader, by: neighbourNodes, indices: [0, 2, 4]))
emit("checkpoint", "hehua-north-height-40", neighbourCheckpoint)
emit("checkpoint", "lianhua-east-no-votes", Checkpoint(community: lianhua, genesisHash: genesis.hash,
                                                       certificate: CommitCertificate(height: 0, headerHash: genesis.hash, votes: [])))
let farHeader = BlockHeader(community: lianhua, height: 1_000_000, previous: sha("far"), time: start + 400 * 86_400_000,
                            proposer: 2, transactionCount: 65_536, transactionRoot: sha("root"))
emit("checkpoint", "lianhua-east-height-1000000", Checkpoint(community: lianhua, genesisHash: genesis.hash,
                                                             certificate: certify(farHeader, by: validatorNodes)))

// MARK: - Federation documents

let hehuaMember = FederationMember(genesis: neighbourGenesis, caCertificate: Array("hehua-north community CA (DER)".utf8))
let city = try! FederationDocument(sequence: 3, communities: [
    FederationMember(genesis: genesis, caCertificate: Array("lianhua-east community CA (DER)".utf8)), hehuaMember,
    FederationMember(community: CommunityID("baihe-2")!, genesisHash: sha("baihe-2 genesis"), validators: [key(31).publicKey],
                     caCertificate: [0x30, 0x82, 0x01, 0xf4] + Array(repeating: 0x5a, count: 500)),
])
emit("federation-document", "three-communities", city)
emit("federation-document", "empty", try! FederationDocument(sequence: 0, communities: []))
emit("federation-document", "sequence-max-64-validators", try! FederationDocument(sequence: FederationDocument.maxSequence, communities: [
    FederationMember(community: CommunityID(String(repeating: "q", count: 64))!, genesisHash: sha("q"),
                     validators: (0..<64).map { key(100 + UInt8($0)).publicKey }, caCertificate: Array(repeating: 0xca, count: FieldLimits.caCertificate)),
]))

// MARK: - Transactions: one of every kind, and some variants

var nonces: [PublicKey: UInt64] = [:]
var clock = start + 3_600_000
func sign(_ who: SigningKey, _ payload: TransactionPayload, community: CommunityID = lianhua) -> Transaction {
    nonces[who.publicKey, default: 0] += 1
    clock += 60_000
    return UnsignedTransaction(community: community, signer: who.publicKey, nonce: nonces[who.publicKey]!,
                               time: clock, payload: payload).signed(with: who)
}

let newcomer = key(40)
let registration = sign(committee, .registration(Registration(
    action: .register, subject: newcomer.publicKey, displayName: "Chen (resident)", unit: "Bldg 4-303", roles: RoleSet([.resident]))))
let notice = sign(owners, .notice(Notice(
    category: .finance, title: "2026 Q1 maintenance fund accounts",
    body: "Income 182,400 CNY; lift repairs 61,200 CNY; greening 8,900 CNY. Vouchers at the owners' committee office.",
    attachments: [sha("q1-accounts.pdf"), sha("q1-vouchers.zip")])))
let correction = sign(owners, .notice(Notice(
    category: .finance, title: "2026 Q1 maintenance fund accounts (corrected)",
    body: "Correction: greening was 9,800 CNY, not 8,900 CNY.", supersedes: notice.id)))
let terms = ProposalTerms(
    title: "Install a second lift in building 5", description: "Owners share the cost by floor, per the attached plan.",
    options: ["yes", "no", "abstain"], eligibleRoles: RoleSet([.resident]), closing: .height(120),
    quorumBasisPoints: 5_000, passBasisPoints: 6_667)
let proposal = sign(resident, .proposal(Proposal(
    terms: terms, endorsements: [li, zhao, key(41)].map { Endorsement(endorsing: terms, with: $0) })))
let ballotYes = sign(li, .ballot(Ballot(proposal: proposal.id, choice: 0)))
let ballotNo = sign(zhao, .ballot(Ballot(proposal: proposal.id, choice: 1)))
let request = sign(resident, .serviceRequest(ServiceRequest(
    serviceCode: "elevator", description: "Lift in building 3 stops between floors 4 and 5.", location: "Bldg 3 lift")))
let assignment = sign(committee, .assignment(Assignment(
    request: request.id, provider: lifts.publicKey.subjectID, note: "Urgent: elderly residents on upper floors.")))
let acknowledged = sign(lifts, .serviceResponse(ServiceResponse(request: request.id, status: .acknowledged, note: "Technician on the way.")))
let fixed = sign(lifts, .serviceResponse(ServiceResponse(request: request.id, status: .resolvedFixed, note: "Replaced the door sensor.")))
let closure = sign(resident, .closure(Closure(request: request.id, outcome: .closed, rating: 5, comment: "Fixed within two hours.")))
let volunteer = sign(elders, .volunteerRecord(VolunteerRecord(
    volunteer: zhao.publicKey.subjectID, activity: "Weekly visits to elderly residents", minutes: 150, day: 20_454)))
let checkpointTx = sign(street, .checkpoint(neighbourCheckpoint))
let referral = sign(committee, .referral(Referral(
    toCommunity: hehua, kind: .request, reference: request.id,
    summary: "Seeking a second lift contractor for a comparison quote.")))

let everyKind = [registration, notice, correction, proposal, ballotYes, ballotNo, request, assignment, acknowledged,
                 fixed, closure, volunteer, checkpointTx, referral]

// Variants: other enum cases, optionals absent, non-ASCII text, boundary values.
let timeProposalTerms = ProposalTerms(
    title: "Weekend market on the central square?", description: "",
    options: ["Saturday", "Sunday", "Both days", "Neither"], eligibleRoles: RoleSet(Role.allCases),
    closing: .time(start + 30 * 86_400_000), quorumBasisPoints: 0, passBasisPoints: 10_000)
let variants = [
    sign(committee, .registration(Registration(action: .update, subject: li.publicKey, displayName: "Li (resident, owner)",
                                               unit: "Bldg 5-602", roles: RoleSet([.resident, .ownersCommittee, .socialOrganization])))),
    sign(committee, .registration(Registration(action: .revoke, subject: newcomer.publicKey, displayName: "", unit: "", roles: RoleSet()))),
    sign(party, .notice(Notice(category: .partyAffairs, title: "党员学习会通知",
                               body: "本周四晚七点在社区中心三楼会议室召开学习会。🙂 Please bring your own cup.", supersedes: nil))),
    sign(street, .notice(Notice(category: .general, title: "Road works", body: String(repeating: "Lane 3 closed 09:00-17:00. ", count: 20),
                                attachments: (0..<16).map { sha("photo-\($0).jpg") }))),
    sign(committee, .proposal(Proposal(terms: timeProposalTerms))),
    sign(zhao, .ballot(Ballot(proposal: proposal.id, choice: 15))),
    sign(resident, .serviceRequest(ServiceRequest(serviceCode: "", description: "", location: ""))),
    sign(lifts, .serviceResponse(ServiceResponse(request: request.id, status: .resolvedReferred, note: ""))),
    sign(resident, .closure(Closure(request: request.id, outcome: .reopened, rating: nil, comment: "The lift stopped again on floor 4."))),
    sign(elders, .volunteerRecord(VolunteerRecord(volunteer: li.publicKey.subjectID, activity: "Night patrol", minutes: 1440, day: UInt32.max))),
    sign(committee, .referral(Referral(toCommunity: hehua, kind: .resource, reference: nil, summary: "Two spare wheelchairs to lend."))),
    sign(manager, .notice(Notice(category: .housingAffairs, title: "Water off on Tuesday", body: "Pipe replacement, 10:00-14:00."))),
    sign(resident, .ballot(Ballot(proposal: proposal.id, choice: 2)), community: hehua),
]

// The federation adoption (kind 16) apart from `everyKind`, so block1 and its seeds stay as they were.
emit("transaction", "federation-adoption", sign(committee, .federationAdoption(FederationAdoption(document: city))))

func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
for (i, tx) in everyKind.enumerated() { emit("transaction", "every-kind-\(twoDigits(i))-\(tx.kind)", tx) }
for (i, tx) in variants.enumerated() { emit("transaction", "variant-\(twoDigits(i))-\(tx.kind)", tx) }

// MARK: - Blocks, headers, sealed blocks, proofs

let block1 = Block(community: lianhua, height: 1, previous: genesis.hash, time: start + 4 * 3_600_000, proposer: 0,
                   transactions: everyKind)
let block2 = Block(community: lianhua, height: 2, previous: block1.header.hash, time: block1.header.time + 200, proposer: 1,
                   transactions: [])
let block3 = Block(community: lianhua, height: 3, previous: block2.header.hash, time: block2.header.time + 200, proposer: 2,
                   transactions: [ballotNo])
let ballots = (0..<24).map { i -> Transaction in
    let voter = key(UInt8(100 + i))
    return UnsignedTransaction(community: lianhua, signer: voter.publicKey, nonce: 1, time: start + 5 * 3_600_000 + UInt64(i) * 1_000,
                               payload: .ballot(Ballot(proposal: proposal.id, choice: UInt32(i % 3)))).signed(with: voter)
}
let block4 = Block(community: lianhua, height: 4, previous: block3.header.hash, time: block3.header.time + 1_000, proposer: 0,
                   transactions: ballots)
let block5 = Block(community: lianhua, height: 5, previous: block4.header.hash, time: block4.header.time + 1_000, proposer: 1,
                   transactions: variants.filter { $0.community == lianhua })

for (name, block) in [("every-kind", block1), ("empty", block2), ("one-ballot", block3), ("24-ballots", block4), ("variants", block5)] {
    emit("block", "height-\(block.header.height)-\(name)", block)
    emit("block-header", "height-\(block.header.height)-\(name)", block.header)
}
emit("block-header", "height-1000000-max-count", farHeader)

/// The body's canonical size (what decides raw versus zstd).
func bodySize(_ block: Block) -> Int { block.encoded().count - block.header.encoded().count }

/// A one-transaction block whose body is exactly `target` bytes (a notice whose text is padded to fit).
func blockWithBody(of target: Int, height: UInt64) -> Block {
    var length = 0
    while true {
        let tx = UnsignedTransaction(community: lianhua, signer: owners.publicKey, nonce: 100 + height, time: start + height * 1_000,
                                     payload: .notice(Notice(category: .general, title: "Boundary",
                                                             body: String(repeating: "x", count: length)))).signed(with: owners)
        let block = Block(community: lianhua, height: height, previous: sha("boundary"), time: start + height * 1_000, proposer: 0,
                          transactions: [tx])
        let size = bodySize(block)
        if size == target { return block }
        precondition(size < target, "could not hit a body of exactly \(target) bytes")
        // Close in by halves (the text's length varint may grow by a byte on the way).
        length += max(1, (target - size) / 2)
    }
}

func seal(_ block: Block, indices: [Int]? = nil) -> SealedBlock {
    SealedBlock(block: block, certificate: certify(block.header, by: validatorNodes, indices: indices))
}
let sealedSeeds: [(String, SealedBlock)] = [
    ("every-kind", seal(block1)),
    ("empty", seal(block2, indices: [1, 2])),
    ("one-ballot", seal(block3, indices: [0])),
    ("24-ballots", seal(block4)),
    ("variants", seal(block5, indices: [0, 2])),
    ("body-1023", seal(blockWithBody(of: 1023, height: 6))),
    ("body-1024", seal(blockWithBody(of: 1024, height: 7))),
]
for (name, sealed) in sealedSeeds {
    let wire = sealed.encoded()
    let compressed = bodySize(sealed.block) >= SealedBlock.compressionThreshold
    // [type, version] + header fields + certificate fields, then the body format byte.
    let formatAt = sealed.block.header.encoded().count + sealed.certificate.encoded().count - 2
    precondition(wire[formatAt] == (compressed ? 1 : 0), "\(name): unexpected body format byte")
    emit("sealed-block", "height-\(sealed.height)-\(name)-\(compressed ? "zstd" : "raw")", sealed)
}
precondition(bodySize(block1) >= 1024 && bodySize(block4) >= 1024, "the zstd seeds need bodies of at least 1024 bytes")

for (name, sealed) in sealedSeeds.prefix(5) {
    emit("commit-certificate", "height-\(sealed.height)-\(sealed.certificate.votes.count)-votes-\(name)", sealed.certificate)
}
emit("commit-certificate", "height-40-hehua-north", neighbourCheckpoint.certificate)
emit("commit-certificate", "no-votes", CommitCertificate(height: 0, headerHash: Merkle.emptyRoot, votes: []))
emit("commit-certificate", "large-indices", CommitCertificate(height: UInt64.max, headerHash: sha("x"), votes: [
    BlockVote(validator: 63, signature: validatorNodes[0].sign([1], domain: .blockVote)),
    BlockVote(validator: UInt32.max, signature: Signature()),
]))

for i in [0, 6, 13] { emit("inclusion-proof", "every-kind-leaf-\(i)-of-14", block1.inclusionProof(index: i)) }
for i in [0, 23] { emit("inclusion-proof", "ballots-leaf-\(i)-of-24", block4.inclusionProof(index: i)) }
emit("inclusion-proof", "single-leaf", block3.inclusionProof(index: 0))
emit("inclusion-proof", "deep-path", InclusionProof(leafIndex: 1 << 40, treeSize: UInt64.max, path: (0..<64).map { sha("level-\($0)") }))

// MARK: - Peer records

emit("peer-record", "validator-ipv4", PeerRecord(key: validatorNodes[0], community: lianhua, role: .validator,
                                                  addresses: ["10.0.0.1:7400"], sequence: 1, time: start))
emit("peer-record", "gateway-many-addresses", PeerRecord(
    key: key(50), community: lianhua, role: .gateway,
    addresses: ["gw.lianhua-east.example:7400", "[2001:db8::50]:7400", "192.0.2.50:7400", "gw-backup.lianhua-east.example:7401"],
    sequence: 42, time: start + 86_400_000))
emit("peer-record", "observer-16-addresses", PeerRecord(
    key: key(51), community: hehua, role: .observer, addresses: (1...16).map { "10.1.0.\($0):74\($0 + 10)" },
    sequence: UInt64.max, time: UInt64.max))

// MARK: - Gossip messages and the address book

let gatewayRecord = PeerRecord(key: key(50), community: lianhua, role: .gateway,
                               addresses: ["gw.lianhua-east.example:7400", "[2001:db8::50]:7400"], sequence: 42, time: start)
let observerRecord = PeerRecord(key: key(51), community: lianhua, role: .observer, addresses: ["10.1.0.5:7400"], sequence: 3, time: start)
let updates: [MembershipUpdate] = [
    .alive(incarnation: 7, record: gatewayRecord),
    .suspect(node: observerRecord.nodeID, incarnation: 2, by: gatewayRecord.nodeID),
    .dead(node: observerRecord.nodeID, incarnation: 3, by: observerRecord.nodeID),
]
let gossipSeeds: [(String, GossipMessage)] = [
    ("ping-no-updates", .ping(sequence: 1, updates: [])),
    ("ping-updates", .ping(sequence: 9, updates: updates)),
    ("ack", .ack(sequence: UInt64.max, updates: [updates[1]])),
    ("ping-request", .pingRequest(sequence: 4, target: observerRecord.nodeID, updates: [updates[0]])),
    ("nack", .nack(sequence: 4)),
    ("sync-reply", .sync(reply: true, updates: updates)),
    ("gossip-transaction", .gossip(topic: .communityTransactions, round: 3, id: sha("tx"), payload: Array("a signed transaction".utf8))),
    ("gossip-checkpoint", .gossip(topic: .cityCheckpoints, round: 0, id: sha("cp"), payload: neighbourCheckpoint.encoded())),
    ("ihave", .ihave([Announcement(topic: .communityBlocks, round: 2, id: sha("b")), Announcement(topic: .cityReferrals, round: 9, id: sha("r"))])),
    ("graft", .graft([sha("a"), sha("b")])),
    ("prune", .prune),
    ("chain-status", .chainStatus(height: 1_000, head: sha("head"))),
    ("block-request", .blockRequest(requestID: 12, start: 1, count: 64)),
    ("block-response-raw", .blockResponse(requestID: 12, blocks: [seal(block2, indices: [1, 2]), seal(block3, indices: [0])])),
    ("block-response-zstd", .blockResponse(requestID: 13, blocks: [seal(block1)])),
]
for (name, message) in gossipSeeds { emit("gossip-message", name, message) }

/// `ms` milliseconds after the monotonic clock's origin.
func instant(_ ms: UInt64) -> MonotonicTime { MonotonicTime(nanosecondsSinceOrigin: ms * 1_000_000) }
var book = AddressBook()
emit("address-book", "empty", book)
book.learn(gatewayRecord, now: instant(1_000))
book.learn(observerRecord, now: instant(2_000))
book.record(node: gatewayRecord.nodeID, address: gatewayRecord.addresses[0], success: true, now: instant(3_000))
book.record(node: observerRecord.nodeID, address: observerRecord.addresses[0], success: false, now: instant(3_000))
emit("address-book", "two-peers-scored", book)

// MARK: - The vectors of docs/codec.md

/// Named ```hex blocks of the spec (text after '#' is commentary).
func specBlocks(_ text: String) -> [(String, [UInt8])] {
    var blocks: [(String, [UInt8])] = []
    var name: String? = nil
    var body = ""
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if let n = name {
            if line.hasPrefix("```") {
                guard let bytes = Hex.decode(body) else { fatalError("spec block \(n) is not hex") }
                blocks.append((n, bytes))
                name = nil
            } else {
                body += (line.split(separator: "#", omittingEmptySubsequences: false).first.map(String.init) ?? "") + "\n"
            }
        } else if line.hasPrefix("```hex ") {
            name = line.dropFirst("```hex ".count).trimmingCharacters(in: .whitespaces)
            body = ""
        }
    }
    return blocks
}

/// Which decoder each spec vector belongs to (varints and the transaction ID are not objects).
let specTargets: [String: String] = [
    "registration-transaction": "transaction", "ballot-transaction": "transaction", "block-header": "block-header",
    "commit-certificate": "commit-certificate", "sealed-block": "sealed-block", "inclusion-proof": "inclusion-proof",
    "peer-record": "peer-record", "genesis": "genesis", "federation-document": "federation-document",
    "federation-adoption-transaction": "transaction", "federation-checkpoint": "checkpoint",
]
let spec = specBlocks(try! String(contentsOfFile: specPath, encoding: .utf8))
var specUsed = 0
for (name, bytes) in spec {
    guard let target = specTargets[name] else { continue }
    emitRaw(target, "spec-\(name)", bytes)
    specUsed += 1
}
precondition(specUsed == specTargets.count, "expected \(specTargets.count) object vectors in \(specPath), found \(specUsed)")

for (target, count) in written.sorted(by: { $0.key < $1.key }) { print("\(target): \(count) seeds") }
