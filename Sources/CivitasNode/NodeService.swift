public import CivitasCodec
public import CivitasLedger
public import CivitasStorage
public import CivitasNodeCore

/// What the HTTP APIs (client and admin) need from a running node.
///
/// `NodeRuntime` implements it over the node core, storage and the network;
/// tests implement it over a fixed chain. Every method answers from the
/// node's own state: nothing here waits on another node except
/// `submit(_:waitForCommit:)` when asked to.
public protocol NodeService: Sendable {
    /// Checks `transaction` (signature, nonce, permission, size), admits it to
    /// the mempool and gossips it. With `waitForCommit`, answers once the
    /// transaction is in a sealed block applied here, or when the wait ends
    /// (`.pending`).
    func submit(_ transaction: Transaction, waitForCommit: Duration?) async -> SubmitOutcome
    /// Where a transaction is: pending, committed (with its inclusion proof) or unknown.
    func transactionStatus(_ id: Hash) async -> TransactionStatusReport
    /// Everything `/status` and `civitas status` show.
    func status() async -> NodeStatusReport
    /// The sealed block at `height`, if stored here.
    func block(at height: UInt64) async -> SealedBlock?
    /// The state database, for read-only queries.
    var state: StateDatabase { get }
}

/// Where one transaction is.
public enum TransactionStatusReport: Sendable, Hashable {
    case unknown
    case pending
    /// In block `height` at `index`; `proof` proves it against the block's transaction root.
    case committed(height: UInt64, index: UInt32, applied: Bool, reason: String?, blockHash: Hash,
                   transactionRoot: Hash, proof: InclusionProof)
}

/// A health verdict with its reasons (empty when healthy).
public struct HealthReport: Sendable, Hashable, Codable {
    public enum Level: String, Sendable, Hashable, Codable { case healthy, degraded }
    public var level: Level
    /// One line each: "no leader", "behind peers by 12 blocks", "too few peers (1 of 2)",
    /// "disk nearly full (96%)", "certificate expires in 5 days".
    public var reasons: [String]
    public init(level: Level, reasons: [String]) {
        self.level = level
        self.reasons = reasons
    }
}

/// What `/status` returns (JSON) and `civitas status` prints.
public struct NodeStatusReport: Sendable, Hashable, Codable {
    public struct Identity: Sendable, Hashable, Codable {
        public var nodeID: String
        public var community: String
        /// validator, learner, observer, gateway.
        public var role: String
        public var version: String
        public init(nodeID: String, community: String, role: String, version: String) {
            self.nodeID = nodeID; self.community = community; self.role = role; self.version = version
        }
    }
    public struct Raft: Sendable, Hashable, Codable {
        public var term: UInt64
        /// leader, follower, candidate, preCandidate; nil on a non-validator.
        public var role: String?
        public var leader: String?
        public var commitIndex: UInt64
        public var appliedIndex: UInt64
        public init(term: UInt64, role: String?, leader: String?, commitIndex: UInt64, appliedIndex: UInt64) {
            self.term = term; self.role = role; self.leader = leader; self.commitIndex = commitIndex; self.appliedIndex = appliedIndex
        }
    }
    public struct Chain: Sendable, Hashable, Codable {
        public var height: UInt64
        public var headHash: String
        /// Milliseconds since the head block's time (nil before block 1).
        public var headAgeMillis: UInt64?
        /// The highest height a peer reported.
        public var bestPeerHeight: UInt64
        public init(height: UInt64, headHash: String, headAgeMillis: UInt64?, bestPeerHeight: UInt64) {
            self.height = height; self.headHash = headHash; self.headAgeMillis = headAgeMillis; self.bestPeerHeight = bestPeerHeight
        }
    }
    public struct Peer: Sendable, Hashable, Codable {
        public var nodeID: String
        public var community: String
        public var role: String
        public var address: String
        public var roundTripMillis: Double?
        public init(nodeID: String, community: String, role: String, address: String, roundTripMillis: Double?) {
            self.nodeID = nodeID; self.community = community; self.role = role; self.address = address; self.roundTripMillis = roundTripMillis
        }
    }
    public struct Mempool: Sendable, Hashable, Codable {
        public var transactions: Int
        public var bytes: Int
        public var signers: Int
        public init(transactions: Int, bytes: Int, signers: Int) {
            self.transactions = transactions; self.bytes = bytes; self.signers = signers
        }
    }
    public struct Disk: Sendable, Hashable, Codable {
        public var dataDirectory: String
        public var usedBytes: UInt64
        public var freeBytes: UInt64
        public var totalBytes: UInt64
        public init(dataDirectory: String, usedBytes: UInt64, freeBytes: UInt64, totalBytes: UInt64) {
            self.dataDirectory = dataDirectory; self.usedBytes = usedBytes; self.freeBytes = freeBytes; self.totalBytes = totalBytes
        }
    }
    public struct Certificate: Sendable, Hashable, Codable {
        public var notAfter: String
        public var secondsLeft: Int64
        public init(notAfter: String, secondsLeft: Int64) { self.notAfter = notAfter; self.secondsLeft = secondsLeft }
    }
    /// A neighbour's last checkpoint anchored in this chain.
    public struct FederationCheckpoint: Sendable, Hashable, Codable {
        public var community: String
        public var height: UInt64
        public var headerHash: String
        /// Since the block that anchored it (by this node's wall clock), nil if unknown.
        public var ageMillis: UInt64?
        public init(community: String, height: UInt64, headerHash: String, ageMillis: UInt64? = nil) {
            self.community = community; self.height = height; self.headerHash = headerHash; self.ageMillis = ageMillis
        }
    }

    /// Two valid certificates of one community's chain for different headers
    /// at one height, recorded in this chain: equivocation by its validators,
    /// or a history they rewrote.
    public struct TamperEvidence: Sendable, Hashable, Codable {
        public var community: String
        public var height: UInt64
        public var anchoredHeaderHash: String
        public var conflictingHeaderHash: String
        /// The height of this chain that recorded it; 0 for this community's
        /// own chain contradicting what a neighbour anchored (a gateway hears
        /// it from the city; it is not recorded in this chain).
        public var recordedHeight: UInt64
        public init(community: String, height: UInt64, anchoredHeaderHash: String, conflictingHeaderHash: String, recordedHeight: UInt64) {
            self.community = community; self.height = height; self.anchoredHeaderHash = anchoredHeaderHash
            self.conflictingHeaderHash = conflictingHeaderHash; self.recordedHeight = recordedHeight
        }
    }

    public var identity: Identity
    public var raft: Raft?
    public var chain: Chain
    public var peers: [Peer]
    /// Gossip counters by message kind: messages and bytes sent.
    public var gossip: [String: UInt64]
    public var mempool: Mempool
    public var disk: Disk
    public var certificate: Certificate
    /// The latest checkpoint recorded per other community.
    public var checkpoints: [FederationCheckpoint]
    /// Tamper evidence recorded in this chain (empty: no alarm).
    public var tamperEvidence: [TamperEvidence]
    public var health: HealthReport

    public init(identity: Identity, raft: Raft?, chain: Chain, peers: [Peer], gossip: [String: UInt64], mempool: Mempool,
                disk: Disk, certificate: Certificate, checkpoints: [FederationCheckpoint], tamperEvidence: [TamperEvidence] = [],
                health: HealthReport) {
        self.identity = identity; self.raft = raft; self.chain = chain; self.peers = peers; self.gossip = gossip
        self.mempool = mempool; self.disk = disk; self.certificate = certificate; self.checkpoints = checkpoints
        self.tamperEvidence = tamperEvidence; self.health = health
    }
}
