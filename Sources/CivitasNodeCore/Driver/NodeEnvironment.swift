public import CivitasGossip
public import CivitasTime
public import CivitasLedger
public import CivitasRaft
public import CivitasGovernance

/// Everything the node driver needs from the world, and nothing more: two
/// clocks, Raft's durable log, the block store, the application state, the
/// links, and where reports go. The real node (`RuntimeEnvironment` in
/// CivitasNode: files, SQLite, TLS links) and the simulator
/// (`SimNodeEnvironment` in CivitasSimulation: the same write-ahead log and
/// block store on a simulated disk, simulated links) are its two
/// implementations. The driver calls it from one thread at a time.
///
/// Durability is the environment's promise: `persist`, `persistCompaction`
/// and `storeBlocks` return once what they were given survives a crash.
public protocol NodeEnvironment: AnyObject {
    // MARK: Clocks

    /// The monotonic clock: timers only. It never goes back.
    var monotonicNow: MonotonicTime { get }
    /// The wall clock in milliseconds since the Unix epoch: only stamped into
    /// what the node proposes. It may step either way.
    var wallMillis: Timestamp { get }

    // MARK: Raft's log

    /// Makes Raft's snapshot, entries (overwriting from their first index)
    /// and hard state durable — synced if `ready.mustSync` or it holds a snapshot.
    func persist(_ ready: Ready) throws
    /// Records that the log was compacted to `snapshot` (durable).
    func persistCompaction(_ snapshot: Snapshot) throws

    // MARK: Blocks and state

    /// The height of the last stored block (0: genesis only).
    var storedHeight: UInt64 { get }
    /// Appends `blocks` (contiguous from `storedHeight + 1`) and makes them durable.
    func storeBlocks(_ blocks: [SealedBlock]) throws
    /// Stored blocks `from...through`, ascending, stopping before their
    /// encodings exceed `maxBytes` (at least one).
    func readBlocks(from: UInt64, through: UInt64, maxBytes: Int) throws -> [SealedBlock]
    /// Applies a stored block to the application state (the governance
    /// transition's changes); returns the rejection reason of each refused transaction.
    func apply(_ block: SealedBlock) throws -> [Hash: String]
    /// The signer's last committed nonce as the application state holds it
    /// (the driver caches it and advances it block by block).
    func storedNonce(of signer: PublicKey) -> UInt64
    /// Nil if the governance rules let `transaction` through against the committed state, else why not.
    func permission(for transaction: Transaction) -> String?
    /// Where a committed transaction is, if it is in the applied chain.
    func committedPlace(of id: Hash) -> CommittedPlace?

    // MARK: Federation (gateways)

    /// The city's federation document the state holds as adopted (nil before the first adoption).
    func adoptedFederation() -> FederationDocument?
    /// The referral this community made with transaction ID `id`, as the state records it.
    func referral(_ id: Hash) -> ReferralEntry?
    /// A neighbour's referral to this community (by its ID on the referring chain), as the state records it.
    func incomingReferral(_ id: Hash) -> IncomingReferralEntry?
    /// Referrals this community made that are not answered yet, oldest first (at most 100).
    func unansweredReferrals() -> [ReferralEntry]
    /// The subject key a gateway signs neighbours' checkpoints and referral
    /// records with, to record them in this chain (a genesis validator's subject, the residents'
    /// committee or the street office); nil: it relays them and records none.
    var anchoringKey: SigningKey? { get }

    // MARK: Links

    /// A consensus-class message (Raft, votes) to a validator.
    func send(_ message: ConsensusMessage, to node: NodeID)
    /// A gossip message over an open link (`lane`: gossip, or bulk for block ranges).
    func send(_ message: GossipMessage, to node: NodeID, lane: GossipLane)
    /// Opens a link to `address`, where `node` (if known) is expected; a
    /// failure comes back as `NodeDriver.dialFailed`, an open link as `linkUp`.
    func dial(_ address: String, expecting node: NodeID?)
    func disconnect(_ node: NodeID, reason: NodeDisconnect)

    // MARK: Reports

    func note(_ event: NodeEvent)
    /// A submission that waited is answered: committed, or nil when its wait
    /// ended first (or the node stopped).
    func submissionFinished(_ ticket: SubmissionTicket, _ outcome: SubmitOutcome?)
}

/// Which queue a gossip message takes: block ranges go on the bulk lane, so
/// a catch-up never delays consensus or dissemination.
public enum GossipLane: Sendable, Hashable { case gossip, bulk }

/// A transaction's place in the applied chain, as the state records it.
public struct CommittedPlace: Sendable, Hashable {
    public var height: UInt64
    public var index: UInt32
    /// False if the block recorded it as rejected, with `reason`.
    public var applied: Bool
    public var reason: String?
    public init(height: UInt64, index: UInt32, applied: Bool, reason: String?) {
        self.height = height
        self.index = index
        self.applied = applied
        self.reason = reason
    }
}

/// Names one waiting submission.
public struct SubmissionTicket: Sendable, Hashable, Comparable {
    public let value: UInt64
    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
}
