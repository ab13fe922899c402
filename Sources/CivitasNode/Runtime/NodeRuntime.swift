public import CivitasCodec
import CivitasGovernance
public import CivitasLedger
public import CivitasNetwork
public import CivitasNodeCore
public import CivitasStorage
import CivitasGossip
import CivitasRaft
public import Foundation
public import Logging
public import ServiceLifecycle

/// A running community node: the `NodeCore` driven by real time, the Raft
/// write-ahead log, the block store, the state database and the gossip layer
/// over TLS. It is the shell of the design's "one core, two shells"; the
/// simulator is the other. The core runs the community's discovery and
/// dissemination; `GossipNode` hands it links and gossip messages, keeps the
/// city overlay and saves the address book the core keeps.
///
/// Everything the core asks for is done in the order its contract gives
/// (`NodeOutput`): Raft state is made durable (fsync) before the messages
/// that depend on it leave; sealed blocks are appended to the block store and
/// synced, then applied to the state database, then reported applied.
/// Inputs from the network arrive on one ordered stream and are handled one
/// at a time by the actor, with the core's outputs carried out after each.
public actor NodeRuntime: NodeService, Service {
    public struct Parameters: Sendable {
        public var dataDirectory: String
        public var genesis: GenesisDocument
        public var nodeKey: SigningKey
        public var role: NodeCoreRole
        public var settings: NodeCoreSettings
        public var certificateNotAfter: Date
        public var health: NodeConfiguration.Health
        public var version: String
        /// The community's Raft learners' node keys, in the order every validator and learner lists them.
        public var learnerKeys: [PublicKey]
        /// The node's record, seeds and saved address book, for the core's membership.
        public var gossip: NodeGossipConfiguration

        public init(dataDirectory: String, genesis: GenesisDocument, nodeKey: SigningKey, role: NodeCoreRole,
                    settings: NodeCoreSettings = NodeCoreSettings(), certificateNotAfter: Date,
                    health: NodeConfiguration.Health = NodeConfiguration.Health(), version: String = "0.6.0",
                    learnerKeys: [PublicKey] = [], gossip: NodeGossipConfiguration) {
            self.learnerKeys = learnerKeys
            self.dataDirectory = dataDirectory
            self.genesis = genesis
            self.nodeKey = nodeKey
            self.role = role
            self.settings = settings
            self.certificateNotAfter = certificateNotAfter
            self.health = health
            self.version = version
            self.gossip = gossip
        }
    }

    enum Input: Sendable {
        case consensus(NodeID, [UInt8])
        case gossip(NodeID, GossipMessage)
        case link(GossipNode.LinkEvent)
        case dialFailed(String, NodeID?)
    }

    public nonisolated let state: StateDatabase
    public nonisolated let gossip: GossipNode
    private let transport: Transport
    private let blocks: BlockStore
    private let wal: RaftWAL?
    private var core: NodeCore
    private let parameters: Parameters
    private let logger: Logger
    private let metrics: (any RuntimeMetrics)?
    private let nonces: NonceCache
    private let inputs: AsyncStream<Input>
    private let inputContinuation: AsyncStream<Input>.Continuation
    private var waiters: [Hash: [Waiter]] = [:]
    /// When the runtime's step next looks for waiters past their deadline.
    private var nextExpiryScan = ContinuousClock.now
    private var stopping = false
    private var diskUsage = DiskUsageCache()
    /// The leader last logged, to log changes once.
    private var knownLeader: NodeID?
    /// When the core's address book was last handed to `gossip` to save.
    private var bookNoted: Timestamp = 0

    /// A submission waiting for its transaction's block. Deadlines are kept
    /// here and checked by the step loop (every 50 ms), not by a sleeping
    /// task per submission: at thousands of submissions a second those tasks
    /// and their timers cost more than the waiting itself.
    struct Waiter {
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<SubmitOutcome?, Never>
    }

    /// Opens the node's storage under `parameters.dataDirectory` (creating it
    /// on first start) and restores the core from it. Starts nothing.
    public init(parameters: Parameters, transport: Transport, gossip: GossipNode, logger: Logger,
                metrics: (any RuntimeMetrics)?) throws {
        let directory = DataDirectory(parameters.dataDirectory)
        let fileSystem = POSIXFileSystem()
        try FileManager.default.createDirectory(atPath: directory.root, withIntermediateDirectories: true)
        let blocks = try BlockStore(directory: directory.blocks, fileSystem: fileSystem)
        // Blocks are synced in the block store before the state applies them,
        // and `catchUp` below replays any the state lost: its commits need no fsync of their own.
        let state = try StateDatabase.open(path: directory.stateDatabase, genesis: parameters.genesis, durability: .afterBlockStore)
        // A crash between the block store and the state database leaves the state behind: catch up.
        let caughtUp = try state.catchUp { height throws(StorageError) in try blocks.block(at: height) }
        var restore: NodeCore.RaftRestore?
        var wal: RaftWAL?
        let configuration = NodeCoreConfiguration(genesis: parameters.genesis, nodeKey: parameters.nodeKey, role: parameters.role,
                                                  learnerKeys: parameters.learnerKeys, settings: parameters.settings,
                                                  gossip: parameters.gossip)
        let validatorKeys = Set(parameters.genesis.validators.map(\.nodeKey))
        if let both = parameters.learnerKeys.first(where: validatorKeys.contains) {
            throw NodeRuntimeError("raft.learners lists \(both.raw.hex), a genesis validator's node key: a validator cannot also be a learner")
        }
        if configuration.replicaID != nil {
            let log = try RaftWAL(directory: directory.wal, fileSystem: fileSystem)
            let r = log.recovered
            if r.hardState.term > 0 || !r.entries.isEmpty || r.snapshot != nil {
                restore = NodeCore.RaftRestore(hardState: r.hardState, snapshot: r.snapshot, entries: r.entries)
            }
            wal = log
        } else if parameters.role == .validator {
            throw NodeRuntimeError("this node's key is not one of the genesis validators' node keys, so it cannot run as a validator")
        } else if parameters.role == .learner {
            throw NodeRuntimeError("this node's key \(parameters.nodeKey.publicKey.raw.hex) is not in raft.learners, so it cannot run as a learner (every validator and learner lists the learners' node keys, in the same order)")
        }
        let height = blocks.height
        var position = ChainPosition.genesis(parameters.genesis)
        if height > 0, let head = try blocks.block(at: height) {
            position = ChainPosition(height: height, hash: head.header.hash, time: head.header.time)
        }
        let seed = UInt64(truncatingIfNeeded: Int64(Date().timeIntervalSince1970 * 1000)) ^ 0x5EED
        core = NodeCore(configuration: configuration, applied: position, restoring: restore, now: Self.wallClock(), seed: seed)
        self.state = state
        self.blocks = blocks
        self.wal = wal
        self.transport = transport
        self.gossip = gossip
        self.parameters = parameters
        self.logger = logger
        self.metrics = metrics
        nonces = NonceCache(state: state, community: parameters.genesis.community)
        (inputs, inputContinuation) = AsyncStream.makeStream(of: Input.self)
        logger.info("opened storage", metadata: [
            "height": "\(height)", "state_caught_up": "\(caughtUp)", "raft_restored": "\(restore != nil)",
            "role": "\(parameters.role.rawValue)",
        ])
    }

    static func wallClock() -> Timestamp { Timestamp(max(0, Date().timeIntervalSince1970 * 1000)) }

    // MARK: - Service

    /// Runs until graceful shutdown (SIGTERM): then stops taking work, gives
    /// in-flight Raft and apply work a moment to finish, and closes everything.
    public func run() async throws {
        let continuation = inputContinuation
        await gossip.setApplication(GossipNode.Application(
            delivered: { _, _ in },  // the city overlay's topics are not the community node's
            consensus: { continuation.yield(.consensus($0, $1)) },
            gossip: { continuation.yield(.gossip($0, $1)) },
            link: { continuation.yield(.link($0)) }))
        await gossip.start()
        let inputs = self.inputs
        let reader = Task { [weak self] in
            for await input in inputs {
                guard let self else { return }
                await self.handle(input)
            }
        }
        logger.info("node running", metadata: ["node_id": "\(NodeID(deriving: parameters.nodeKey.publicKey))"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            step()
            // Every 5 ms. (Waking a leader every 1 ms whenever a transaction
            // waited made blocks smaller and cost more CPU per transaction
            // than the wait saved: at 16 requests in flight the ordering
            // benchmark fell from about 1,000 to 500-730 writes/s. On two
            // cores a block's fixed work — Raft, votes, fsyncs — runs out first.)
            try? await Task.sleep(for: .milliseconds(5))
        }
        logger.info("draining")
        stopping = true
        // Let committed work reach the disk: a few more steps without new submissions.
        for _ in 0..<20 {
            step()
            try? await Task.sleep(for: .milliseconds(5))
        }
        for (_, list) in waiters { for w in list { w.continuation.resume(returning: nil) } }
        waiters = [:]
        inputContinuation.finish()
        reader.cancel()
        await gossip.noteAddressBook(core.addressBook)
        await gossip.stop()
        try? blocks.sync()
        try? blocks.close()
        wal?.close()
        try? state.close()
        logger.info("stopped cleanly", metadata: ["height": "\(core.applied.height)"])
    }

    /// One timer step: time passes for the core, then its outputs are carried out.
    private func step() {
        let now = Self.wallClock()
        core.tick(now: now, view: view)
        drain()
        expireWaiters()
        if now >= bookNoted + 5_000 {
            bookNoted = now
            let book = core.addressBook
            let gossip = self.gossip
            Task { await gossip.noteAddressBook(book) }
        }
    }

    /// Answers submissions whose wait is over with nil (still pending).
    private func expireWaiters() {
        let now = ContinuousClock.now
        guard now >= nextExpiryScan else { return }
        nextExpiryScan = now + .milliseconds(50)
        for (id, list) in waiters where list.contains(where: { $0.deadline <= now }) {
            let (due, rest) = (list.filter { $0.deadline <= now }, list.filter { $0.deadline > now })
            waiters[id] = rest.isEmpty ? nil : rest
            for w in due { w.continuation.resume(returning: nil) }
        }
    }

    private var view: RuntimeView { RuntimeView(community: parameters.genesis.community, nonces: nonces, state: state) }

    private func handle(_ input: Input) {
        switch input {
        case let .consensus(from, bytes):
            guard let message = try? ConsensusMessage(encoded: bytes) else {
                logger.warning("malformed consensus message; closing the link", metadata: ["from": "\(from)"])
                transport.disconnect(from, reason: "malformed consensus message")
                return
            }
            core.receive(message, from: from, view: view)
        case let .gossip(from, message):
            if case let .blockRequest(requestID, start, count) = message {
                serve(requestID: requestID, start: start, count: count, to: from)
                return
            }
            core.receive(gossip: message, from: from, view: view)
        case let .link(.up(node, address, inCommunity)):
            core.peerUp(node, address: address, inCommunity: inCommunity)
        case let .link(.down(node)):
            core.peerDown(node)
        case let .dialFailed(address, node):
            core.dialFailed(address: address, node: node)
        }
        drain()
    }

    private func serve(requestID: UInt64, start: UInt64, count: UInt32, to peer: NodeID) {
        var found: [SealedBlock] = []
        let limit = UInt64(min(count, UInt32(GossipLimits.blocksPerResponse)))
        if start >= 1, start <= blocks.height, limit > 0 {
            let through = min(blocks.height, start + limit - 1)
            do {
                found = try blocks.blocks(from: start, through: through, maxBytes: 4 << 20)
            } catch {
                logger.warning("cannot read blocks for a peer", metadata: ["start": "\(start)", "error": "\(error)"])
            }
        }
        let message = GossipMessage.blockResponse(requestID: requestID, blocks: found)
        _ = transport.send(message.canonicalBytes(), to: peer, traffic: .bulk)
    }

    // MARK: - Carrying out the core's outputs

    private func drain() {
        if core.raft != nil, core.leaderNode != knownLeader {
            knownLeader = core.leaderNode
            logger.info("raft leader", metadata: ["leader": "\(knownLeader.map(\.description) ?? "none")",
                                                  "term": "\(core.raft?.term ?? 0)"])
        }
        var rounds = 0
        while true {
            let out = core.poll()
            if out.isEmpty { return }
            rounds += 1
            do {
                try carry(out)
            } catch {
                // Storage failed: the node cannot keep its promises. Stop rather than lie.
                logger.critical("storage failure; stopping the node", metadata: ["error": "\(error)"])
                fatalError("civitas node: storage failure: \(error)")
            }
            if rounds > 1_000 {
                logger.error("the node core kept producing output; yielding", metadata: ["rounds": "\(rounds)"])
                return
            }
        }
    }

    private func carry(_ out: NodeOutput) throws {
        if let ready = out.raft, let wal {
            try wal.append(snapshot: ready.snapshot, entries: ready.entries, hardState: ready.hardState)
            if ready.mustSync || ready.snapshot != nil { try wal.sync() }
            for m in ready.messages {
                guard let node = core.node(of: m.to) else { continue }
                _ = transport.send(ConsensusMessage.raft(m).encoded(), to: node, traffic: .consensus)
            }
        }
        if let snapshot = out.compaction, let wal {
            try wal.append(snapshot: snapshot)
            try wal.sync()
        }
        for (to, message) in out.sends {
            _ = transport.send(message.encoded(), to: to, traffic: .consensus)
        }
        // A full gossip queue closes the link (`GossipNode.send`): the core's
        // Plumtree counts a message queued on an open link as delivered.
        for (to, message) in out.gossipSends { gossip.send(message, to: to) }
        let continuation = inputContinuation
        for (address, node) in out.dials {
            GossipNode.dial(address, expecting: node, over: transport) { continuation.yield(.dialFailed(address, node)) }
        }
        if !out.apply.isEmpty { try apply(out.apply) }
        for event in out.events { note(event) }
        for (peer, reason) in out.disconnects { transport.disconnect(peer, reason: reason) }
        if out.raft != nil { core.raftPersisted(view: view) }
    }

    private func apply(_ sealed: [SealedBlock]) throws {
        for block in sealed where block.height > blocks.height { try blocks.append(block) }
        try blocks.sync()
        for block in sealed {
            let started = ContinuousClock.now
            let outcome = try state.apply(block)
            metrics?.blockApplied(duration: ContinuousClock.now - started)
            var rejected: [Hash: String] = [:]
            if case let .applied(application) = outcome {
                for r in application.rejections { rejected[r.id] = r.reason }
            }
            for (i, tx) in block.block.transactions.enumerated() {
                let id = tx.id
                guard let list = waiters.removeValue(forKey: id) else { continue }
                let result = SubmitOutcome.committed(id: id, height: block.height, index: UInt32(i), applied: rejected[id] == nil,
                                                     reason: rejected[id])
                for w in list { w.continuation.resume(returning: result) }
            }
            nonces.advance(by: block.block.transactions)
        }
        core.applied(sealed, view: view)
    }

    private func note(_ event: NodeEvent) {
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
        }
    }

    // MARK: - NodeService

    public func submit(_ transaction: Transaction, waitForCommit: Duration?) async -> SubmitOutcome {
        guard !stopping else { return .unavailable(reason: "the node is shutting down") }
        let id = transaction.id
        if let reason = core.notReadyForSubmissions {
            // A committed transaction is still answered as such (a retrying client needs its place).
            if let committed = committedOutcome(id) { return committed }
            metrics?.transactionSubmitted(outcome: "unavailable")
            return .unavailable(reason: reason)
        }
        // A committed transaction comes back from the mempool as a used nonce,
        // answered below from the state database: no query on every submission.
        let admission = core.submit(transaction, view: view)
        drain()
        let accepted: SubmitOutcome
        switch admission {
        case .admitted:
            accepted = .accepted(id: id)
        case .alreadyKnown:
            accepted = .alreadyKnown(id: id)
        case let .rejected(reason):
            metrics?.transactionSubmitted(outcome: "rejected")
            switch reason {
            case .full: return .unavailable(reason: reason.description)
            case .nonceUsed:
                // The same transaction may have been committed meanwhile: answer that, not "replay".
                if let committed = committedOutcome(id) { return committed }
                return .rejected(id: id, reason: reason.description, replay: true)
            default: return .rejected(id: id, reason: reason.description, replay: false)
            }
        }
        metrics?.transactionSubmitted(outcome: "accepted")
        guard let wait = waitForCommit, wait > .zero else { return accepted }
        let deadline = ContinuousClock.now + wait
        let result: SubmitOutcome? = await withCheckedContinuation { continuation in
            waiters[id, default: []].append(Waiter(deadline: deadline, continuation: continuation))
        }
        return result ?? .pending(id: id)
    }

    private func committedOutcome(_ id: Hash) -> SubmitOutcome? {
        guard let record = try? state.transactions(id: id).first else { return nil }
        return .committed(id: id, height: record.height, index: UInt32(record.index), applied: record.isApplied,
                          reason: record.rejectionReason)
    }

    public func transactionStatus(_ id: Hash) async -> TransactionStatusReport {
        if let record = try? state.transactions(id: id).first, let block = try? blocks.block(at: record.height) {
            return .committed(height: record.height, index: UInt32(record.index), applied: record.isApplied,
                              reason: record.rejectionReason, blockHash: block.header.hash,
                              transactionRoot: block.header.transactionRoot, proof: block.block.inclusionProof(index: record.index))
        }
        return core.mempool.contains(id) ? .pending : .unknown
    }

    public func block(at height: UInt64) async -> SealedBlock? {
        try? blocks.block(at: height)
    }

    public func status() async -> NodeStatusReport {
        let nodeID = NodeID(deriving: parameters.nodeKey.publicKey)
        let genesis = parameters.genesis
        let now = Self.wallClock()
        let raft = core.raft.map {
            NodeStatusReport.Raft(term: $0.term, role: $0.role.rawValue, leader: core.leaderNode?.description,
                                  commitIndex: $0.commitIndex, appliedIndex: $0.appliedIndex)
        }
        let applied = core.applied
        let chain = NodeStatusReport.Chain(height: applied.height, headHash: applied.hash.hex,
                                           headAgeMillis: applied.height == 0 ? nil : now > applied.time ? now - applied.time : 0,
                                           bestPeerHeight: core.bestKnownHeight)
        let peers = transport.peers.map {
            NodeStatusReport.Peer(nodeID: $0.identity.nodeID.description, community: $0.identity.community.name,
                                  role: $0.identity.role.description,
                                  address: $0.listenAddress.isEmpty ? $0.remoteAddress : $0.listenAddress,
                                  roundTripMillis: transport.roundTrip(to: $0.identity.nodeID).map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1e3 })
        }.sorted { ($0.community, $0.nodeID) < ($1.community, $1.nodeID) }
        var counters: [String: UInt64] = [:]
        for (kind, count) in gossip.sentByKind {
            counters["\(kind)_messages"] = UInt64(count.messages)
            counters["\(kind)_bytes"] = UInt64(count.bytes)
        }
        let traffic = transport.traffic
        counters["frames_sent"] = UInt64(traffic.framesSent)
        counters["frames_received"] = UInt64(traffic.framesReceived)
        // What the core's membership knows: live members (not this node) and address-book entries.
        counters["members_alive"] = UInt64(core.liveMembers.count)
        counters["address_book_entries"] = UInt64(core.addressBook.entries.count)
        let mempool = NodeStatusReport.Mempool(transactions: core.mempool.count, bytes: core.mempool.bytes,
                                               signers: core.mempool.signerCount)
        let disk = diskUsage.report(directory: parameters.dataDirectory)
        let secondsLeft = Int64(parameters.certificateNotAfter.timeIntervalSinceNow)
        let certificate = NodeStatusReport.Certificate(notAfter: ISO8601DateFormatter().string(from: parameters.certificateNotAfter),
                                                       secondsLeft: secondsLeft)
        var checkpoints: [NodeStatusReport.FederationCheckpoint] = []
        for community in (try? state.checkpointCommunities()) ?? [] where community != genesis.community {
            if let latest = try? state.checkpoints(of: community).max(by: { $0.height < $1.height }) {
                checkpoints.append(.init(community: community.name, height: latest.height, headerHash: latest.headerHash.hex))
            }
        }
        let communityPeers = transport.peers.filter { $0.identity.community == genesis.community }.count
        let health = HealthReport.evaluate(HealthInputs(
            hasLeader: core.raft.map { $0.leader != nil }, height: applied.height, bestPeerHeight: core.bestKnownHeight,
            communityPeers: communityPeers, diskFreeBytes: disk.freeBytes, diskTotalBytes: disk.totalBytes,
            certificateSecondsLeft: secondsLeft), thresholds: parameters.health)
        return NodeStatusReport(
            identity: .init(nodeID: nodeID.description, community: genesis.community.name, role: parameters.role.rawValue,
                            version: parameters.version),
            raft: raft, chain: chain, peers: peers, gossip: counters, mempool: mempool, disk: disk, certificate: certificate,
            checkpoints: checkpoints, health: health)
    }
}

/// What the runtime records as it goes (the node's `NodeMetrics` implements it).
public protocol RuntimeMetrics: Sendable {
    func blockApplied(duration: Duration)
    func transactionSubmitted(outcome: String)
}

public struct NodeRuntimeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Committed nonces per signer, read from the state database once per signer
/// and then advanced by each applied block with the rule the state applies
/// (`NonceRule`, CivitasGovernance): a transaction of this community whose
/// nonce is the next one consumes it, whether or not the rules then accept it.
/// No query per applied transaction.
final class NonceCache {
    private let state: StateDatabase
    private let community: CommunityID
    private var nonces: [PublicKey: UInt64] = [:]
    init(state: StateDatabase, community: CommunityID) {
        self.state = state
        self.community = community
    }

    func nonce(of signer: PublicKey) -> UInt64 {
        if let n = nonces[signer] { return n }
        let n = (try? state.latestNonce(of: signer)) ?? 0
        nonces[signer] = n
        return n
    }

    /// `transactions` (one applied block, in order) are now in the state.
    /// Signers not cached yet are read when first asked for.
    func advance(by transactions: [Transaction]) {
        for tx in transactions {
            if let n = nonces[tx.signer] { nonces[tx.signer] = NonceRule.latest(after: tx, community: community, latest: n) }
        }
    }
}

/// The mempool's view of the committed state.
struct RuntimeView: MempoolView {
    let community: CommunityID
    let nonces: NonceCache
    let state: StateDatabase
    func committedNonce(of signer: PublicKey) -> UInt64 { nonces.nonce(of: signer) }
    /// The governance rules against the committed state (`GovernanceRules.check`
    /// through the state database), as the next block would decide it.
    func permission(for transaction: Transaction) -> String? {
        do { return try state.check(transaction) } catch { return "the governance state could not be read: \(error)" }
    }
}

/// The data directory's size, walked at most every 30 s (a status request
/// must stay cheap on a big chain), and its file system's free space, read each time.
struct DiskUsageCache {
    private var lastWalk: ContinuousClock.Instant?
    private var used: UInt64 = 0

    mutating func report(directory: String) -> NodeStatusReport.Disk {
        if lastWalk.map({ ContinuousClock.now - $0 > .seconds(30) }) ?? true {
            lastWalk = ContinuousClock.now
            used = DiskUsage.used(by: directory)
        }
        let space = DiskUsage.fileSystem(of: directory)
        return NodeStatusReport.Disk(dataDirectory: directory, usedBytes: used, freeBytes: space?.free ?? 0, totalBytes: space?.total ?? 0)
    }
}
