import CivitasCodec
public import CivitasLedger
public import CivitasRaft
import CivitasGossip
public import CivitasTime

/// One community node as a deterministic value: Raft ordering, the mempool,
/// block production, certificate collection, the order in which sealed blocks
/// are applied, block sync, and discovery (`Membership`) and dissemination
/// (`Plumtree`) inside the community (NodeCore+Gossip.swift), and a
/// gateway's city overlay (NodeCore+City.swift). It never reads a clock, a
/// socket or a disk: time comes in (`tick(now:wall:view:)`: a monotonic clock
/// for timers, the wall clock only for what it proposes), messages and link
/// events come in, and `poll()` says what to persist, send, dial and apply
/// (see `NodeOutput`). `NodeDriver` carries that out, in the real node and in
/// the simulator alike.
///
/// ## The pipeline
/// 1. A transaction is admitted to the mempool (`submit`, or `receive` from
///    gossip); a submitted one is published to the community by Plumtree.
/// 2. The Raft leader cuts a batch when it holds a block's worth of
///    transactions (count or bytes) or the oldest has waited the block
///    interval, and proposes it as a `BlockProposal` entry.
/// 3. When an entry commits, every validator and learner builds the same block
///    from it (`build`): height and `previous` follow the chain built so far,
///    time is the later of the proposal's and the previous block's. Blocks are
///    built from the committed log, so a leader change can never fork them.
/// 4. Each validator signs the header hash and sends its vote to the others;
///    a majority of votes is the commit certificate. The proposer publishes
///    the sealed block by Plumtree.
/// 5. Sealed blocks (sealed here, delivered by Plumtree with a valid
///    certificate, or fetched by block sync) are handed to the shell strictly
///    in height order, each extending the last.
///
/// A duplicate transaction (a new leader may propose one its predecessor's
/// uncommitted batch also held) reaches a block and is recorded there as a
/// rejected nonce replay by the state machine, identically on every node.
public struct NodeCore: Sendable {
    public let configuration: NodeCoreConfiguration
    public internal(set) var raft: RaftCore?
    public internal(set) var mempool: Mempool
    /// The last block handed to the shell to apply.
    public internal(set) var applied: ChainPosition
    /// The last block built from the committed Raft log (validators and learners).
    public internal(set) var built: ChainPosition
    /// The node's monotonic clock: every timer runs on it.
    public internal(set) var now: MonotonicTime
    /// Wall-clock time (ms since the Unix epoch) as of the last tick: only
    /// stamped into what the node proposes, never used for timers.
    public internal(set) var wall: Timestamp

    var blockSync: BlockSync<CertificateVerifier>
    let verifier: CertificateVerifier
    /// Node IDs derived once (each is a hash, and consensus asks per message):
    /// this node's, the validators' in genesis order, and every Raft replica's.
    let selfNodeID: NodeID
    let validatorNodeIDs: [NodeID]
    let replicaNodes: [ReplicaID: NodeID]
    let replicaOfNode: [NodeID: ReplicaID]
    let validatorIndex: UInt32?
    var lastRaftTick: MonotonicTime
    /// The Ready handed out by `poll()` and not yet reported persisted.
    var pendingReady: Ready?
    var out = NodeOutput()

    struct Unsealed: Sendable {
        var block: Block
        var hash: Hash
        var votes: [UInt32: BlockVote] = [:]
        var ownVote: VoteMessage?
        var lastSent: MonotonicTime = .origin
    }
    /// Built blocks waiting for their certificate, by height.
    var unsealed: [UInt64: Unsealed] = [:]
    /// Votes for heights not built here yet (checked when the block is built).
    var earlyVotes: [UInt64: [VoteMessage]] = [:]
    /// Sealed blocks above the applied height, waiting for their predecessors.
    var sealedAhead: [UInt64: SealedBlock] = [:]
    /// Header hashes of recently applied blocks (divergence checks on rebuild).
    var recentHashes: [UInt64: Hash] = [:]
    /// The Raft index each built block came from (for compaction).
    var builtIndex: [UInt64: UInt64] = [:]
    /// Leader: own proposals not yet committed, by Raft index, with their transactions.
    var inFlight: [(index: UInt64, transactions: [Transaction])] = []
    /// Highest nonce per signer in proposed or built but not yet applied blocks:
    /// the next batch starts after them.
    var pendingNonces: [PublicKey: UInt64] = [:]
    /// Community peers block sync may ask, in the order they came.
    var syncPeers: [NodeID] = []
    /// The head the last height report to every sync peer carried, and when it went.
    var reportedHead: Hash?
    var lastReport: MonotonicTime?
    var nextMaintenance: MonotonicTime = .origin
    /// When the applied height last moved (block sync's watchdog).
    var lastProgress: MonotonicTime = .origin
    /// A community peer told this node its height since it started.
    var heardPeerHeight = false
    /// Since when the node has been more than `submitLagBlocks` behind its peers.
    var behindSince: MonotonicTime?
    /// Transactions submitted here since the last tick, published together
    /// at the next one: one dissemination message per batch and neighbour
    /// instead of one per transaction.
    var unpublished: [Transaction] = []
    var unpublishedBytes = 0
    /// A batch this large goes out at once rather than at the next tick.
    static let publishBatchBytes = 64 << 10
    /// When each pending transaction was last offered to the community.
    var lastOffered: [Hash: MonotonicTime] = [:]
    /// Discovery and failure detection, and dissemination in the community: NodeCore+Gossip.swift.
    var membership: Membership
    var plumtree: Plumtree
    /// Linked nodes of other communities (a gateway's city links): membership and the city overlay.
    var foreignPeers: Set<NodeID> = []
    /// A gateway's city overlay (NodeCore+City.swift); nil on other roles.
    var city: Plumtree?
    var cityWake: MonotonicTime?
    /// The city's federation document this community adopted (the driver
    /// keeps it current from the state): a gateway relays and delivers only
    /// checkpoints whose certificates verify against it.
    public internal(set) var federation: FederationDocument?
    /// A gateway without an adopted document said once that it ignores city traffic.
    var saidNoFederation = false
    /// Checkpoints of this community's own chain that neighbours anchored and
    /// whose heights this node has not applied yet, as the city delivered
    /// them (a gateway): a block there with another header is refused.
    var ownAnchors: [UInt64: Hash] = [:]
    /// A gateway's recent checkpoints on the city overlay (their message IDs), announced again now and then.
    var recentCheckpoints: [MessageID] = []
    var nextCheckpointReannounce: MonotonicTime = .origin
    /// Where this chain disagrees with a checkpoint of it the city anchored:
    /// an applied block (the chain was rewritten or forked after its
    /// neighbours anchored it), or a block refused while syncing.
    public internal(set) var anchorContradictions: [AnchorContradiction] = []
    /// Transactions Plumtree delivered outside `receive(gossip:)`, admitted at the next tick.
    var inbox: [Transaction] = []
    /// When each gossip core asked to be ticked next (its last directives' `nextWakeup`).
    var membershipWake: MonotonicTime = .origin
    var plumtreeWake: MonotonicTime?

    /// What a replica restored from its write-ahead log.
    public struct RaftRestore: Sendable {
        public var hardState: HardState
        public var snapshot: Snapshot?
        public var entries: [Entry]
        public init(hardState: HardState, snapshot: Snapshot?, entries: [Entry]) {
            self.hardState = hardState
            self.snapshot = snapshot
            self.entries = entries
        }
    }

    /// A node whose block store ends at `applied` (genesis for a new node).
    /// A validator or learner passes what its Raft log held (`restoring`), or
    /// nil to start a new log: founding validators bootstrap the genesis
    /// voters, learners join empty.
    /// `now` is the monotonic clock, `wall` the wall clock (ms since the Unix epoch).
    public init(configuration: NodeCoreConfiguration, applied: ChainPosition, restoring: RaftRestore?, now: MonotonicTime,
                wall: Timestamp, seed: UInt64) {
        self.configuration = configuration
        selfNodeID = configuration.nodeKey.publicKey.nodeID
        validatorNodeIDs = configuration.validatorNodes
        let replicas = configuration.voters + configuration.learners
        let nodes = replicas.map { configuration.node(of: $0)! }
        replicaNodes = Dictionary(uniqueKeysWithValues: zip(replicas, nodes))
        // The first replica with a node ID wins, as `NodeCoreConfiguration.replica(of:)` answers.
        replicaOfNode = Dictionary(zip(nodes, replicas), uniquingKeysWith: { first, _ in first })
        self.applied = applied
        self.now = now
        self.wall = wall
        lastRaftTick = now
        lastProgress = now
        let signatures = configuration.signatureVerifier
        mempool = Mempool(settings: configuration.settings.mempool, signatures: signatures)
        let genesis = configuration.genesis
        verifier = CertificateVerifier(validators: genesis.validatorKeys, community: genesis.community, signatures: signatures)
        blockSync = BlockSync(height: applied.height, head: applied.hash, verifier: verifier, settings: configuration.settings.blockSync)
        validatorIndex = configuration.role == .validator ? configuration.validatorIndex : nil
        built = .genesis(genesis)
        recentHashes[applied.height] = applied.hash
        let gossip = configuration.gossip
        membership = Membership(selfRecord: gossip.record, seeds: gossip.seeds, addressBook: gossip.addressBook,
                                settings: configuration.settings.membership, seed: seed &+ 0x6D65_6D62, now: now,
                                signatures: signatures)
        plumtree = Plumtree(settings: configuration.settings.plumtree, seed: seed &+ 0x706C_756D)
        if configuration.role == .gateway {
            city = Plumtree(settings: Self.citySettings(configuration.settings.plumtree), seed: seed &+ 0x6369_7479)
        }
        if let id = configuration.replicaID {
            let settings = configuration.settings.raft
            if let restore = restoring {
                raft = RaftCore(restoring: id, hardState: restore.hardState, snapshot: restore.snapshot,
                                entries: restore.entries, settings: settings, seed: seed)
                if let data = restore.snapshot?.data, let position = try? ChainPosition(encoded: data) {
                    built = position
                }
            } else if configuration.role == .validator {
                raft = RaftCore.bootstrap(id: id, voters: configuration.voters, settings: settings, seed: seed)
            } else {
                raft = RaftCore.joining(id: id, settings: settings, seed: seed)
            }
        }
    }

    // MARK: - Status

    public var isLeader: Bool { raft?.role == .leader }
    public var leaderNode: NodeID? { raft?.leader.flatMap { replicaNodes[$0] } }
    /// The highest height a peer reported (block sync's target).
    public var bestKnownHeight: UInt64 { max(blockSync.targetHeight, applied.height) }
    public var unsealedCount: Int { unsealed.count }

    /// Whether this node's committed state is current enough to admit a
    /// client's transaction: after a restart it must first hear a community
    /// peer's height, and then be within `submitLagBlocks` of the best height
    /// reported. A node behind the chain cannot tell a nonce already used in
    /// a block it has not applied, so it would accept transactions that never
    /// commit. Nil when ready; otherwise the reason, for the client.
    public var notReadyForSubmissions: String? {
        let alone = configuration.genesis.validators.count == 1 && configuration.role == .validator
        if !heardPeerHeight && !alone {
            return "this node has just started and has not yet heard the chain's height from a peer; retry shortly or submit to another node"
        }
        let best = bestKnownHeight
        let settings = configuration.settings
        let lag = best > applied.height ? best - applied.height : 0
        // A block or two in flight is normal; a gap that is large, or lasts, is catching up.
        if lag > settings.submitLagBlocks,
           lag >= settings.farBehindBlocks || now - (behindSince ?? now) >= settings.submitLagTime {
            return "this node is behind the chain (at height \(applied.height), peers are at \(best)) and cannot check nonces yet; retry shortly or submit to another node"
        }
        return nil
    }

    /// Keeps `behindSince`: when the node last fell more than `submitLagBlocks` behind its peers.
    mutating func noteLag() {
        if bestKnownHeight > applied.height + configuration.settings.submitLagBlocks {
            if behindSince == nil { behindSince = now }
        } else {
            behindSince = nil
        }
    }
    /// One line for a stuck node's post-mortem.
    public var progressDescription: String {
        "applied \(applied), built \(built), sync at \(blockSync.height) of \(blockSync.targetHeight) "
            + "(\(blockSync.requestsDescription), \(syncPeers.count) peers) now \(now), \(sealedAhead.count) sealed ahead, "
            + "\(unsealed.count) unsealed, mempool \(mempool.count), \(gossipDescription), raft \(raft.map { "\($0.role) term \($0.term) commit \($0.commitIndex)" } ?? "-")"
    }
    public func node(of replica: ReplicaID) -> NodeID? { replicaNodes[replica] }
}
