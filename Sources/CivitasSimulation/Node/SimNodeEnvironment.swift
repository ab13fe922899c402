import CivitasCodec
import CivitasGossip
import CivitasGovernance
import CivitasLedger
import CivitasNodeCore
import CivitasRaft
import CivitasStorage
import CivitasTime

/// A simulated node's world, the node driver's other environment: the node's
/// real `RaftWAL` and `BlockStore` on its simulated disk (a crash loses what
/// a real crash would: unsynced writes, possibly torn), the in-memory
/// governance state as the application state, the node's own clocks on the
/// simulation's virtual time (a monotonic one, and a wall clock with the
/// node's offset, which drills step), and an outbox of what the node sends,
/// dials and closes, which the simulation carries over its links.
final class SimNodeEnvironment: NodeEnvironment {
    static let walDirectory = "/node/wal"
    static let blocksDirectory = "/node/blocks"
    /// The write-ahead log's segments on the simulated disk: 256 KiB, not the
    /// real node's 64 MiB. Segments roll and compacted ones are removed as on
    /// a real disk, only sooner: a simulated validator's log is held in
    /// memory, and a city of them held several MiB each after an hour.
    static let walOptions = WALOptions(segmentSize: 256 << 10)

    /// Something the node asked the world to do; the simulation carries it out after each driver call.
    enum Outgoing {
        case consensus(to: NodeID, bytes: [UInt8])
        case gossip(to: NodeID, GossipMessage)
        case dial(address: String, node: NodeID?)
        case disconnect(NodeID, NodeDisconnect)
        case event(NodeEvent)
        case finished(SubmissionTicket, SubmitOutcome?)
        /// A block stored and applied here (checked by the simulation's invariants).
        case applied(SealedBlock)
    }

    let fs: SimFileSystem
    let storage: NodeStorage
    var blocks: BlockStore { storage.blocks }
    private(set) var ledger: SimLedger
    /// Where each transaction ID first appears in the stored chain, and how it
    /// was decided: the community's index (shared by its nodes) up to the last
    /// block recorded here, or this node's own once its chain left the index's.
    private let index: SimChainIndex
    private var ownPlaces: [Hash: CommittedPlace]?
    private var recordedHeight: UInt64 = 0
    private let genesis: GenesisDocument
    var outbox: [Outgoing] = []

    /// The simulation's virtual time, set before each driver call.
    var virtualTime: SimTime = .start
    /// What this node's monotonic clock read at the run's start (each boot draws its own).
    let monotonicOrigin: MonotonicTime
    /// The node's wall clock against true time (ms): its skew, changed by clock steps.
    var wallOffsetMillis: Int64

    /// Opens (or recovers) the node's storage on `fs` and rebuilds its state from the stored blocks.
    init(fs: SimFileSystem, genesis: GenesisDocument, shared: SimShared, runsRaft: Bool, monotonicOrigin: MonotonicTime, wallOffsetMillis: Int64,
         virtualTime: SimTime, anchoringKey: SigningKey? = nil) throws(StorageError) {
        self.fs = fs
        self.anchoringKey = anchoringKey
        self.genesis = genesis
        self.monotonicOrigin = monotonicOrigin
        self.wallOffsetMillis = wallOffsetMillis
        self.virtualTime = virtualTime
        try fs.createDirectory("/node")
        storage = try NodeStorage(walDirectory: Self.walDirectory, blocksDirectory: Self.blocksDirectory, runsRaft: runsRaft, fileSystem: fs,
                                  walOptions: Self.walOptions)
        ledger = SimLedger(genesis: genesis, shared: shared)
        index = shared.chainIndex(genesis)
        // The state is rebuilt from the stored blocks, as the state database catches up at start.
        if storage.blocks.height > 0 {
            for block in try storage.readBlocks(from: 1, through: storage.blocks.height, maxBytes: .max) { record(block) }
        }
    }

    /// What the Raft log held at start (nil for a node without Raft, or a new log).
    var raftRestore: NodeCore.RaftRestore? {
        storage.recoveredRaft.map { NodeCore.RaftRestore(hardState: $0.hardState, snapshot: $0.snapshot, entries: $0.entries) }
    }

    /// The stored chain's head.
    func head() throws(StorageError) -> ChainPosition {
        try storage.head().map { ChainPosition(height: $0.height, hash: $0.header.hash, time: $0.header.time) } ?? .genesis(genesis)
    }

    // MARK: Clocks

    var monotonicNow: MonotonicTime { virtualTime.monotonic(readingAtStart: monotonicOrigin) }
    /// The virtual instant at which this node's monotonic clock reads `m`.
    func simTime(of m: MonotonicTime) -> SimTime { .start + (m - monotonicOrigin) }
    var wallMillis: Timestamp {
        let truth = Int64(virtualTime.wallClock(startingAt: genesis.time))
        return Timestamp(max(0, truth + wallOffsetMillis))
    }

    // MARK: Federation (a city's gateways)

    func adoptedFederation() -> FederationDocument? { ledger.state.adoptedFederation()?.document }
    func referral(_ id: Hash) -> ReferralEntry? { ledger.state.referral(id) }
    func incomingReferral(_ id: Hash) -> IncomingReferralEntry? { ledger.state.incomingReferral(id) }
    func unansweredReferrals() -> [ReferralEntry] { ledger.state.unansweredReferrals() }
    /// A gateway's key for recording neighbours' checkpoints and referral records (nil on other nodes).
    let anchoringKey: SigningKey?

    // MARK: Raft's log and blocks (`NodeStorage`)

    func persist(_ ready: Ready) throws { try storage.persist(ready) }
    func persistCompaction(_ snapshot: Snapshot) throws { try storage.persistCompaction(snapshot) }
    var storedHeight: UInt64 { storage.blocks.height }
    func storeBlocks(_ sealed: [SealedBlock]) throws { try storage.storeBlocks(sealed) }
    func readBlocks(from: UInt64, through: UInt64, maxBytes: Int) throws -> [SealedBlock] {
        try storage.readBlocks(from: from, through: through, maxBytes: maxBytes)
    }

    // MARK: State

    func apply(_ block: SealedBlock) throws -> [Hash: String] {
        let rejected = record(block)
        outbox.append(.applied(block))
        return rejected
    }

    /// Applies `block` to the state and notes where its transactions are.
    @discardableResult
    private func record(_ block: SealedBlock) -> [Hash: String] {
        guard let outcomes = ledger.apply(block.block) else {
            preconditionFailure("block \(block.height) does not extend the node's state (the driver applies in order)")
        }
        let reasons = outcomes.map(\.rejectionReason)
        var rejected: [Hash: String] = [:]
        for (i, tx) in block.block.transactions.enumerated() {
            if let reason = reasons[i] { rejected[tx.id] = reason }
        }
        if ownPlaces == nil, !index.record(block, reasons: reasons) {
            // Another block is indexed at this height: from here this node's chain is its own.
            ownPlaces = index.places.filter { $0.value.height < block.height }
        }
        if ownPlaces != nil {
            for (i, tx) in block.block.transactions.enumerated() where ownPlaces![tx.id] == nil {
                ownPlaces![tx.id] = CommittedPlace(height: block.height, index: UInt32(i), applied: reasons[i] == nil, reason: reasons[i])
            }
        }
        recordedHeight = block.height
        return rejected
    }

    func storedNonce(of signer: PublicKey) -> UInt64 { ledger.view(genesis).committedNonce(of: signer) }
    func permission(for transaction: Transaction) -> String? { ledger.view(genesis).permission(for: transaction) }
    func committedPlace(of id: Hash) -> CommittedPlace? {
        if let ownPlaces { return ownPlaces[id] }
        return index.place(of: id, atOrBelow: recordedHeight)
    }

    // MARK: Links and reports

    func send(_ message: ConsensusMessage, to node: NodeID) { outbox.append(.consensus(to: node, bytes: message.encoded())) }
    func send(_ message: GossipMessage, to node: NodeID, lane: GossipLane) { outbox.append(.gossip(to: node, message)) }
    func dial(_ address: String, expecting node: NodeID?) { outbox.append(.dial(address: address, node: node)) }
    func disconnect(_ node: NodeID, reason: NodeDisconnect) { outbox.append(.disconnect(node, reason)) }
    func note(_ event: NodeEvent) { outbox.append(.event(event)) }
    func submissionFinished(_ ticket: SubmissionTicket, _ outcome: SubmitOutcome?) { outbox.append(.finished(ticket, outcome)) }

    /// Takes what the node asked for since the last call.
    func takeOutbox() -> [Outgoing] {
        defer { outbox = [] }
        return outbox
    }
}
