import CivitasCodec
import CivitasGovernance
public import CivitasLedger
public import CivitasNetwork
public import CivitasNodeCore
public import CivitasStorage
import CivitasGossip
import CivitasRaft
import CivitasTime
public import Foundation
public import Logging
public import ServiceLifecycle

/// A running community node: the node driver (`NodeDriver`, the one code
/// that carries out the core's outputs) over the real world
/// (`RuntimeEnvironment`: the Raft write-ahead log, the block store, the
/// state database, TLS links, the process's clocks). The simulator runs the
/// same driver over a simulated world. The core runs the community's
/// discovery and dissemination (and a gateway's city overlay); the
/// `LinkMultiplexer` hands it links and messages.
///
/// Inputs from the links arrive on one ordered stream and are handled one
/// at a time by this actor; a step every few milliseconds lets time pass.
/// The actor runs on a thread of its own (`NodeThread`): the driver's
/// fsyncs block it, never Swift's cooperative pool the HTTP APIs run on, and
/// an input hops once, from the link's event loop to this thread.
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
        /// A gateway's key for recording neighbours' checkpoints (`[federation] anchoring_key_file`).
        public var anchoringKey: SigningKey?
        /// Neighbours' nodes to fetch this chain's anchored checkpoints from (`[federation] anchors_from`).
        public var anchorsFrom: [String] = []

        public init(dataDirectory: String, genesis: GenesisDocument, nodeKey: SigningKey, role: NodeCoreRole,
                    settings: NodeCoreSettings = NodeCoreSettings(), certificateNotAfter: Date,
                    health: NodeConfiguration.Health = NodeConfiguration.Health(), version: String = "0.6.0",
                    learnerKeys: [PublicKey] = [], gossip: NodeGossipConfiguration, anchoringKey: SigningKey? = nil) {
            self.anchoringKey = anchoringKey
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

    public nonisolated let state: StateDatabase
    /// The node's own thread, this actor's executor.
    private nonisolated let thread: NodeThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.unownedExecutor }
    let links: LinkMultiplexer
    var transport: Transport { links.transport }
    let environment: RuntimeEnvironment
    /// Where the address book the core keeps is saved (at most every 30 s when changed, and at stop).
    let bookFile: AddressBookFile
    var savedBook: AddressBook
    var driver: NodeDriver<RuntimeEnvironment>
    var core: NodeCore { driver.core }
    let parameters: Parameters
    let logger: Logger
    let metrics: (any RuntimeMetrics)?
    private var stopping = false
    /// Storage failed: the node cannot keep its promises and stops.
    private var failure: (any Error)?
    var diskUsage = DiskUsageCache()
    /// The leader last logged, to log changes once.
    private var knownLeader: NodeID?
    /// When the address book was last saved (monotonic ms).
    private var bookSaved: MonotonicTime = .origin

    /// Opens the node's storage under `parameters.dataDirectory` (creating it
    /// on first start) and restores the driver from it. Starts nothing.
    public init(parameters: Parameters, links: LinkMultiplexer, addressBook: AddressBookFile, logger: Logger,
                metrics: (any RuntimeMetrics)?) throws {
        let directory = DataDirectory(parameters.dataDirectory)
        let fileSystem = POSIXFileSystem()
        try FileManager.default.createDirectory(atPath: directory.root, withIntermediateDirectories: true)
        let validatorKeys = Set(parameters.genesis.validators.map(\.nodeKey))
        if let both = parameters.learnerKeys.first(where: validatorKeys.contains) {
            throw NodeRuntimeError("raft.learners lists \(both.raw.hex), a genesis validator's node key: a validator cannot also be a learner")
        }
        let configuration = NodeCoreConfiguration(genesis: parameters.genesis, nodeKey: parameters.nodeKey, role: parameters.role,
                                                  learnerKeys: parameters.learnerKeys, settings: parameters.settings,
                                                  gossip: parameters.gossip)
        if configuration.replicaID == nil, parameters.role == .validator {
            throw NodeRuntimeError("this node's key is not one of the genesis validators' node keys, so it cannot run as a validator")
        } else if configuration.replicaID == nil, parameters.role == .learner {
            throw NodeRuntimeError("this node's key \(parameters.nodeKey.publicKey.raw.hex) is not in raft.learners, so it cannot run as a learner (every validator and learner lists the learners' node keys, in the same order)")
        }
        let storage = try NodeStorage(walDirectory: directory.wal, blocksDirectory: directory.blocks,
                                      runsRaft: configuration.replicaID != nil, fileSystem: fileSystem)
        let blocks = storage.blocks
        // Blocks are synced in the block store before the state applies them,
        // and `catchUp` below replays any the state lost: its commits need no fsync of their own.
        let state = try StateDatabase.open(path: directory.stateDatabase, genesis: parameters.genesis, durability: .afterBlockStore)
        // A crash between the block store and the state database leaves the state behind: catch up.
        let caughtUp = try state.catchUp { height throws(StorageError) in try blocks.block(at: height) }
        let restore = storage.recoveredRaft.map { NodeCore.RaftRestore(hardState: $0.hardState, snapshot: $0.snapshot, entries: $0.entries) }
        let height = blocks.height
        let position = try storage.head().map { ChainPosition(height: $0.height, hash: $0.header.hash, time: $0.header.time) }
            ?? .genesis(parameters.genesis)
        let environment = RuntimeEnvironment(storage: storage, state: state, links: links, logger: logger, metrics: metrics,
                                             anchoringKey: parameters.anchoringKey)
        let seed = UInt64(truncatingIfNeeded: Int64(WallClock.nowMillis)) ^ 0x5EED
        driver = NodeDriver(configuration: configuration, environment: environment, applied: position, restoring: restore, seed: seed)
        self.environment = environment
        self.state = state
        thread = NodeThread()
        self.links = links
        bookFile = addressBook
        savedBook = parameters.gossip.addressBook
        self.parameters = parameters
        self.logger = logger
        self.metrics = metrics
        logger.info("opened storage", metadata: [
            "height": "\(height)", "state_caught_up": "\(caughtUp)", "raft_restored": "\(restore != nil)",
            "role": "\(parameters.role.rawValue)",
        ])
    }

    // MARK: - Service

    /// Runs until graceful shutdown (SIGTERM): then stops taking work, gives
    /// in-flight Raft and apply work a moment to finish, and closes everything.
    /// Throws if storage failed.
    public func run() async throws {
        // The chain's anchors first, before any link can bring a block: a node
        // that synced past an anchored height before it knew the anchor could
        // not refuse a history that contradicts it.
        if !parameters.anchorsFrom.isEmpty { await fetchAnchors() }
        links.start()
        let reader = Task { await self.consume() }
        let anchors = parameters.anchorsFrom.isEmpty ? nil : Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(300))
                await self.fetchAnchors()
            }
        }
        logger.info("node running", metadata: ["node_id": "\(NodeID(deriving: parameters.nodeKey.publicKey))"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled && failure == nil {
            step()
            // Every 5 ms. (Waking a leader every 1 ms made blocks smaller and
            // cost more CPU per transaction than the wait saved: docs/performance.md.)
            try? await Task.sleep(for: .milliseconds(5))
        }
        logger.info("draining")
        stopping = true
        // Let committed work reach the disk: a few more steps without new submissions.
        for _ in 0..<20 where failure == nil {
            step()
            try? await Task.sleep(for: .milliseconds(5))
        }
        driver.stop()
        reader.cancel()
        anchors?.cancel()
        saveAddressBook()
        await links.stop()
        environment.storage.close()
        try? state.close()
        if let failure {
            logger.critical("stopped: storage failed", metadata: ["error": "\(failure)"])
            throw NodeRuntimeError("storage failed; the node stopped rather than break its promises: \(failure)")
        }
        logger.info("stopped cleanly", metadata: ["height": "\(core.applied.height)"])
    }

    /// One timer step: time passes for the driver.
    private func step() {
        perform { try $0.tick() }
        let now = environment.monotonicNow
        if now >= bookSaved + .seconds(30) {
            bookSaved = now
            saveAddressBook()
        }
    }

    /// Saves the core's address book if it changed (a failure is logged and
    /// retried later: the book is a cache, the seeds still work).
    private func saveAddressBook() {
        let book = core.addressBook
        guard book != savedBook else { return }
        do throws(AddressBookFile.LoadError) {
            try bookFile.save(book)
            savedBook = book
        } catch {
            logger.warning("cannot save the address book", metadata: ["error": "\(error)"])
        }
    }

    /// Handles the links' inputs in order, on this actor's thread: all that
    /// arrived while it was busy, as one batch.
    private func consume() async {
        let links = self.links
        let community = parameters.genesis.community
        for await _ in links.wakeups {
            let batch = links.take().map { input -> NodeDriver<RuntimeEnvironment>.Input in
                switch input {
                case let .consensus(from, bytes): .consensus(from: from, bytes)
                case let .gossip(from, message): .gossip(from: from, message)
                case let .up(node, address, peerCommunity): .linkUp(node, address: address, inCommunity: peerCommunity == community)
                case let .down(node): .linkDown(node)
                case let .dialFailed(address, node): .dialFailed(address: address, node: node)
                }
            }
            if !batch.isEmpty { perform { try $0.receive(batch) } }
        }
    }

    /// This chain's checkpoints as the neighbours in `[federation]
    /// anchors_from` anchored them (at start, before the links open, then
    /// every 5 minutes): the node refuses to sync a block that contradicts one
    /// (each must carry a certificate of this community's validators; the
    /// core checks it). A neighbour that does not answer within 5 s is logged
    /// and asked again next time.
    private func fetchAnchors() async {
        let community = parameters.genesis.community
        for url in parameters.anchorsFrom {
            guard let client = NodeHTTPClient(base: url, timeout: 5) else { continue }
            do {
                let answer = try await client.get("/v1/checkpoints?community=\(community.name)")
                guard answer.status == 200 else { throw NodeRuntimeError("HTTP \(answer.status): \(answer.reason)") }
                let checkpoints = try JSONDecoder().decode(ListBody<CheckpointBody>.self, from: answer.body).items.compactMap(\.checkpoint)
                let taken = perform { try $0.learnAnchors(checkpoints) } ?? 0
                logger.info("anchors of this chain fetched", metadata: ["from": "\(url)", "anchors": "\(taken)",
                                                                       "refused": "\(checkpoints.count - taken)"])
            } catch {
                logger.warning("cannot fetch this chain's anchors", metadata: ["from": "\(url)", "error": "\(error)"])
            }
        }
    }

    /// Runs a driver input unless storage already failed; a failure stops the node.
    @discardableResult
    private func perform<T>(_ body: (inout NodeDriver<RuntimeEnvironment>) throws -> T) -> T? {
        guard failure == nil else { return nil }
        do {
            let result = try body(&driver)
            if core.raft != nil, core.leaderNode != knownLeader {
                knownLeader = core.leaderNode
                logger.info("raft leader", metadata: ["leader": "\(knownLeader.map(\.description) ?? "none")",
                                                      "term": "\(core.raft?.term ?? 0)"])
            }
            return result
        } catch {
            // Storage failed: the node cannot keep its promises. Stop rather than lie.
            logger.critical("storage failure; stopping the node", metadata: ["error": "\(error)"])
            failure = error
            return nil
        }
    }

    // MARK: - NodeService

    public func submit(_ transaction: Transaction, waitForCommit: Duration?) async -> SubmitOutcome {
        guard !stopping, failure == nil else { return .unavailable(reason: "the node is shutting down") }
        guard let start = perform({ try $0.submit(transaction, wait: waitForCommit) }) else {
            return .unavailable(reason: "the node is shutting down")
        }
        switch start {
        case let .answered(outcome):
            metrics?.transactionSubmitted(outcome: Self.label(outcome))
            return outcome
        case let .waiting(ticket):
            metrics?.transactionSubmitted(outcome: "accepted")
            let environment = self.environment
            let result: SubmitOutcome? = await withCheckedContinuation { continuation in
                environment.waiting[ticket] = continuation
            }
            return result ?? .pending(id: transaction.id)
        }
    }

    static func label(_ outcome: SubmitOutcome) -> String {
        switch outcome {
        case .accepted: "accepted"
        case .alreadyKnown: "already_known"
        case .pending: "pending"
        case .committed: "committed"
        case let .rejected(_, _, replay): replay ? "replay" : "rejected"
        case .unavailable: "unavailable"
        }
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
