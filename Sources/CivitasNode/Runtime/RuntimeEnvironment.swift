import CivitasCodec
import CivitasGossip
import CivitasGovernance
import CivitasLedger
import CivitasNetwork
import CivitasNodeCore
import CivitasRaft
import CivitasStorage
import CivitasTime
import Logging

/// The real world of the node driver: the Raft write-ahead log and the block
/// store on the node's disk, the state database, TLS links, the process's
/// clocks, the log. Used only from the `NodeRuntime` actor.
final class RuntimeEnvironment: NodeEnvironment {
    let storage: NodeStorage
    var blocks: BlockStore { storage.blocks }
    let state: StateDatabase
    let links: LinkMultiplexer
    let logger: Logger
    let metrics: (any RuntimeMetrics)?
    /// Submissions waiting for their commit, resumed when the driver answers them.
    var waiting: [SubmissionTicket: CheckedContinuation<SubmitOutcome?, Never>] = [:]
    private let origin = ContinuousClock.now

    let anchoringKey: SigningKey?
    /// The adopted federation document, read from the state once per adoption.
    private var federation: (sequence: UInt64, document: FederationDocument)?

    init(storage: NodeStorage, state: StateDatabase, links: LinkMultiplexer, logger: Logger, metrics: (any RuntimeMetrics)?,
         anchoringKey: SigningKey? = nil) {
        self.anchoringKey = anchoringKey
        self.storage = storage
        self.state = state
        self.links = links
        self.logger = logger
        self.metrics = metrics
    }

    // MARK: Clocks

    var monotonicNow: MonotonicTime { .origin + (ContinuousClock.now - origin) }

    var wallMillis: Timestamp { WallClock.nowMillis }

    // MARK: Federation

    func adoptedFederation() -> FederationDocument? {
        do {
            guard let adopted = try state.adoptedFederation() else { return nil }
            if federation?.sequence != adopted.sequence { federation = (adopted.sequence, adopted.document) }
            return federation?.document
        } catch {
            logger.error("reading the adopted federation document failed", metadata: ["error": "\(error)"])
            return federation?.document
        }
    }

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
        let started = ContinuousClock.now
        let outcome = try state.apply(block)
        metrics?.blockApplied(duration: ContinuousClock.now - started)
        var rejected: [Hash: String] = [:]
        if case let .applied(application) = outcome {
            for r in application.rejections { rejected[r.id] = r.reason }
        }
        return rejected
    }

    func storedNonce(of signer: PublicKey) -> UInt64 { (try? state.latestNonce(of: signer)) ?? 0 }

    /// The governance rules against the committed state, as the next block would decide it.
    func permission(for transaction: Transaction) -> String? {
        do { return try state.check(transaction) } catch { return "the governance state could not be read: \(error)" }
    }

    func referral(_ id: Hash) -> ReferralEntry? { read("a referral") { try state.referrals(id: id) } ?? nil }
    func incomingReferral(_ id: Hash) -> IncomingReferralEntry? { read("an incoming referral") { try state.incomingReferral(id) } ?? nil }
    func unansweredReferrals() -> [ReferralEntry] { read("unanswered referrals") { try state.unansweredReferrals() } ?? [] }

    /// `body`'s result, or nil (logged) if the state database failed.
    private func read<T>(_ what: String, _ body: () throws -> T) -> T? {
        do { return try body() } catch {
            logger.error("reading \(what) failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func committedPlace(of id: Hash) -> CommittedPlace? {
        guard let record = try? state.transactions(id: id).first else { return nil }
        return CommittedPlace(height: record.height, index: UInt32(record.index), applied: record.isApplied, reason: record.rejectionReason)
    }

    // MARK: Links

    func send(_ message: ConsensusMessage, to node: NodeID) {
        links.send(consensus: message.encoded(), to: node)
    }

    func send(_ message: GossipMessage, to node: NodeID, lane: GossipLane) {
        links.send(message, to: node, traffic: lane == .bulk ? .bulk : .gossip)
    }

    func dial(_ address: String, expecting node: NodeID?) {
        links.dial(address, expecting: node)
    }

    func disconnect(_ node: NodeID, reason: NodeDisconnect) {
        links.disconnect(node, reason: reason.description)
    }

    // MARK: Reports

    func note(_ event: NodeEvent) {
        switch event {
        case let .evicted(e):
            logger.debug("mempool eviction", metadata: ["id": "\(e.id.hex)", "reason": "\(e.reason)"])
        case let .refused(why):
            logger.notice("refused", metadata: ["why": "\(why)"])
        case let .proposed(count, index):
            logger.debug("proposed a batch", metadata: ["transactions": "\(count)", "raft_index": "\(index)"])
        case let .divergence(height, built, known):
            logger.critical("replicas diverged", metadata: ["height": "\(height)", "built": "\(built.hex)", "known": "\(known.hex)"])
        case let .snapshotInstalled(position):
            logger.info("raft snapshot installed; fetching blocks by block sync", metadata: ["position": "\(position)"])
        case let .membership(event):
            logger.debug("membership", metadata: ["event": "\(event)"])
        case let .blockReadFailed(what):
            logger.warning("cannot read blocks for a peer", metadata: ["what": "\(what)"])
        case let .cityDelivery(topic, payload, from):
            logger.debug("city overlay delivery", metadata: ["topic": "\(topic)", "bytes": "\(payload.count)", "from": "\(from)"])
        }
    }

    func submissionFinished(_ ticket: SubmissionTicket, _ outcome: SubmitOutcome?) {
        waiting.removeValue(forKey: ticket)?.resume(returning: outcome)
    }
}
