import CivitasCodec
import CivitasGovernance
import CivitasLedger

/// A small community for the governance tests: one subject per role (plus
/// residents), deterministic keys, and a block builder over `GovernanceState`.
struct GovernanceCommunity {
    static let community = CommunityID("lianhua-east")!
    static let neighbour = CommunityID("hehua-north")!
    static let startTime: Timestamp = 1_767_225_600_000
    static let hour: UInt64 = 3_600_000

    static let founders: [(String, [Role])] = [
        ("committee", [.residentsCommittee]), ("party", [.partyBranch]), ("owners", [.ownersCommittee]),
        ("manager", [.propertyManager]), ("street", [.streetOffice]), ("elders", [.socialOrganization]),
        ("lifts", [.serviceProvider]), ("lamps", [.serviceProvider]),
        ("wang", [.resident]), ("li", [.resident, .ownersCommittee]), ("zhao", [.resident]), ("sun", [.resident]),
        ("qian", [.resident]), ("zhou", [.resident]),
    ]
    /// Keys that are not subjects at genesis.
    static let outsiders = ["chen", "mallory"]

    let keys: [String: SigningKey]
    let genesis: GenesisDocument

    init(proposalEndorsements: UInt32 = 3, seed: UInt8 = 1) {
        var keys: [String: SigningKey] = [:]
        var n: UInt8 = 0
        for name in Self.founders.map(\.0) + Self.outsiders + ["node0", "node1", "node2"] {
            n += 1
            keys[name] = SigningKey(seed: Bytes32(Array(repeating: seed, count: 31) + [n])!)
        }
        self.keys = keys
        let subjects = Self.founders.map { name, roles in
            GenesisSubject(key: keys[name]!.publicKey, displayName: name, unit: "Bldg 1", roles: RoleSet(roles))
        }
        // The party branch validates but holds no registering role: it may still record checkpoints.
        let validators = ["committee", "party", "owners"].enumerated().map { i, name in
            ValidatorEntry(name: name, subject: keys[name]!.publicKey, nodeKey: keys["node\(i)"]!.publicKey)
        }
        genesis = GenesisDocument(
            community: Self.community, time: Self.startTime, validators: validators,
            registrars: [keys["committee"]!.publicKey], subjects: subjects,
            parameters: GenesisParameters(checkpointInterval: 4, proposalEndorsements: proposalEndorsements, pointsPerHour: 10,
                                          defaultResponseDeadline: 72 * 3600,
                                          responseDeadlines: [ResponseDeadline(serviceCode: "elevator", seconds: 4 * 3600)]))
    }

    func key(_ name: String) -> SigningKey { keys[name]! }
    func subject(_ name: String) -> SubjectID { keys[name]!.publicKey.subjectID }

    /// The neighbouring community's validators (node keys) and the hash naming its chain.
    static let neighbourValidators: [SigningKey] = (0..<3).map { SigningKey(seed: Bytes32(Array(repeating: 0x70 + UInt8($0), count: 32))!) }
    static let neighbourGenesis = Hashing.sha256(Array("hehua-north genesis".utf8))

    /// The neighbour's header at `height` (`fork` picks another header at the same height).
    func neighbourHeader(height: UInt64, fork: UInt8 = 0) -> BlockHeader {
        BlockHeader(community: Self.neighbour, height: height, previous: Hashing.sha256([UInt8(height & 0xff), fork]),
                    time: Self.startTime, proposer: 0, transactionCount: 0, transactionRoot: Merkle.emptyRoot)
    }

    /// A checkpoint of the neighbouring community at `height`, with votes of
    /// the neighbour's validators `voters` (by index; a majority by default).
    func neighbourCheckpoint(height: UInt64, fork: UInt8 = 0, voters: [Int] = [0, 1, 2],
                             genesisHash: Hash = GovernanceCommunity.neighbourGenesis) -> Checkpoint {
        let hash = neighbourHeader(height: height, fork: fork).hash
        let votes = voters.map { BlockVote(index: UInt32($0), key: Self.neighbourValidators[$0], headerHash: hash) }
        return Checkpoint(community: Self.neighbour, genesisHash: genesisHash,
                          certificate: CommitCertificate(height: height, headerHash: hash, votes: votes))
    }

    /// This community as its chain is (genesis hash, validators), with stand-in CA bytes.
    var member: FederationMember { FederationMember(genesis: genesis, caCertificate: Array("ca of lianhua-east".utf8)) }

    /// The neighbour (chain `genesisHash`, its three validators).
    static func neighbourMember(genesisHash: Hash = neighbourGenesis) -> FederationMember {
        FederationMember(community: neighbour, genesisHash: genesisHash, validators: neighbourValidators.map(\.publicKey),
                         caCertificate: Array("ca of hehua-north".utf8))
    }

    /// The city's federation document: this community and its neighbour.
    func federation(sequence: UInt64 = 1, neighbourGenesis: Hash = GovernanceCommunity.neighbourGenesis) -> FederationDocument {
        try! FederationDocument(sequence: sequence, communities: [member, Self.neighbourMember(genesisHash: neighbourGenesis)])
    }
}

/// Signs transactions with per-signer nonces and applies blocks to a `GovernanceState`.
struct GovernanceDriver {
    let c: GovernanceCommunity
    var state: GovernanceState
    var pending: [Transaction] = []
    var nonces: [String: UInt64] = [:]
    var time: Timestamp
    var blocks: [Block] = []

    init(_ c: GovernanceCommunity) {
        self.c = c
        state = GovernanceState(genesis: c.genesis)
        time = GovernanceCommunity.startTime
    }

    /// `payload` signed by `who` with its next nonce (not queued, nonce not consumed).
    func make(_ who: String, _ payload: TransactionPayload, nonce: UInt64? = nil) -> Transaction {
        let key = c.key(who)
        return UnsignedTransaction(community: GovernanceCommunity.community, signer: key.publicKey,
                                   nonce: nonce ?? (nonces[who, default: 0] + 1), time: time, payload: payload).signed(with: key)
    }

    /// The rules' verdict on `payload` from `who` against the current state.
    func check(_ who: String, _ payload: TransactionPayload) -> String? { state.check(make(who, payload)) }

    /// Signs and queues `payload` for the next block.
    @discardableResult
    mutating func add(_ who: String, _ payload: TransactionPayload, nonce: UInt64? = nil) -> Transaction {
        let tx = make(who, payload, nonce: nonce)
        if nonce == nil { nonces[who, default: 0] += 1 }
        pending.append(tx)
        return tx
    }

    mutating func addSigned(_ tx: Transaction) { pending.append(tx) }

    /// Applies the queued transactions as the next block, `after` ms after the last.
    @discardableResult
    mutating func seal(after: UInt64 = 60_000) -> GovernanceBlockResult {
        time += after
        let block = Block(community: GovernanceCommunity.community, height: state.height + 1, previous: state.headHash,
                          time: time, proposer: 0, transactions: pending)
        pending = []
        blocks.append(block)
        return state.apply(block)!
    }
}
