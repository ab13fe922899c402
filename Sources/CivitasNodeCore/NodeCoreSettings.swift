public import CivitasLedger
public import CivitasRaft
public import CivitasGossip

/// What a node does in its community.
public enum NodeCoreRole: String, Sendable, Hashable, CaseIterable {
    /// Votes in Raft, builds blocks from the committed log and signs them.
    case validator
    /// Receives the Raft log and builds blocks like a validator, but neither
    /// votes nor signs (a validator-to-be, or a hot standby).
    case learner
    /// Follows sealed blocks by gossip and block sync; serves clients.
    case observer
    /// An observer that also links to other communities.
    case gateway
}

/// Tunables of the node core; every default says why.
public struct NodeCoreSettings: Sendable, Hashable {
    /// One Raft tick. 100 ms with Raft's 10-tick election timeout
    /// gives a 1-2 s failover, etcd's default.
    public var tick: Duration = .milliseconds(100)
    public var raft: RaftSettings = RaftSettings()
    public var mempool: MempoolSettings = MempoolSettings()
    /// Batches the leader may have in the pipeline: proposed and not yet
    /// committed, or built and not yet applied. 4: enough to keep the log busy
    /// while one batch is being fsynced and replicated and another sealed,
    /// few enough that blocks grow with the load and a lost leadership wastes little.
    public var maxProposalsInFlight: Int = 4
    /// A validator sends its vote again this often while the block it voted
    /// for has no certificate here (votes are sent once, and links lose
    /// messages while they reconnect).
    public var voteResend: Duration = .milliseconds(500)
    /// A pending transaction older than this is offered to the community
    /// again, at most once per period (it may have missed the leader).
    public var rebroadcast: Duration = .seconds(3)
    /// Transactions re-offered in one tick at most.
    public var rebroadcastBatch: Int = 256
    /// A gateway sends this community's unanswered referrals city-wide again
    /// this often, so a neighbour cut off when one was made (or whose receipt
    /// or answer was lost on the way back) catches up; the neighbour answers a
    /// repeat with its receipt and answer again.
    public var referralResend: Duration = .seconds(30)
    /// A gateway announces its recent checkpoints to its city links again this
    /// often, and to a link as it comes up: a neighbour that missed one (cut
    /// off for longer than the overlay repairs, or not yet able to accept it)
    /// fetches it then.
    public var checkpointReannounce: Duration = .seconds(30)
    /// Height reports to community peers (block sync's trigger): once the
    /// applied head moved, this long after the last report at most...
    public var statusInterval: Duration = .seconds(1)
    /// ...and this long after it otherwise, so a lost report is repaired. An
    /// idle node's reports were most of a quiet community's traffic.
    public var statusKeepalive: Duration = .seconds(10)
    /// A node behind its peers with nothing fetched and no progress for this
    /// long restarts block sync from its applied head. 3 s: three height reports.
    public var stallAfter: Duration = .seconds(3)
    /// A node more than `submitLagBlocks` below the best height its peers
    /// report, for `submitLagTime` or by `farBehindBlocks` at once, refuses
    /// submissions until it catches up (`notReadyForSubmissions`): it cannot
    /// tell which nonces the blocks it lacks used. A peer's height report may
    /// run a few blocks ahead of the blocks reaching this node by gossip, and
    /// at a busy leader's pace that gap is normal for a moment.
    public var submitLagBlocks: UInt64 = 2
    public var submitLagTime: Duration = .seconds(1)
    public var farBehindBlocks: UInt64 = 64
    /// The Raft log is compacted every this many applied blocks.
    public var compactEveryBlocks: UInt64 = 1_024
    /// Sealed blocks and votes more than this far above the applied height are
    /// not kept (block sync fetches them when their turn comes).
    public var maxAhead: UInt64 = 1_024
    /// Block sync inside the community. A request goes to another peer after
    /// 2 s (block sync's own default is 5 s, sized for slow links): community
    /// links are direct TLS connections and a range is at most 64 blocks, so a
    /// peer that has not answered in 2 s has most likely lost the request, and
    /// a node that is behind should not wait 5 s per lost message (the node
    /// campaign found a node 30 s behind after two losses in a row).
    public var blockSync: BlockSyncSettings = {
        var s = BlockSyncSettings()
        s.requestTimeout = .seconds(2)
        return s
    }()
    /// This node's own limits on the blocks it proposes as leader (nil: the
    /// genesis parameters). Each is capped at the genesis parameter: a node
    /// may cut smaller or sooner blocks, never larger ones.
    public var blockInterval: Duration? = nil
    public var maxBlockTransactions: Int? = nil
    public var maxBlockBytes: Int? = nil
    /// Discovery and failure detection inside the community (SWIM).
    public var membership: MembershipSettings = MembershipSettings()
    /// Dissemination of transactions and sealed blocks (Plumtree).
    /// `reliableLinks` is the shell's to set: true over TLS/TCP (the real
    /// node), false over the simulator's lossy links (the default).
    public var plumtree: PlumtreeSettings = PlumtreeSettings()

    public init() {}
}

/// What the core needs to run discovery (`Membership`) and dissemination
/// (`Plumtree`) for its community.
public struct NodeGossipConfiguration: Sendable {
    /// This node's signed record (its listen addresses), announced to the community.
    public var record: PeerRecord
    /// "host:port" addresses to join through, retried until they answer.
    public var seeds: [String]
    /// The address book saved before a restart (empty on a first start).
    public var addressBook: AddressBook

    public init(record: PeerRecord, seeds: [String] = [], addressBook: AddressBook = AddressBook()) {
        self.record = record
        self.seeds = seeds
        self.addressBook = addressBook
    }
}

/// Everything fixed about one node's core.
public struct NodeCoreConfiguration: Sendable {
    public var genesis: GenesisDocument
    /// The node's own key: it names the node (`NodeID`) and, on a validator,
    /// signs block votes.
    public var nodeKey: SigningKey
    public var role: NodeCoreRole
    /// Node keys of the Raft learners, in order (their replica IDs follow the validators').
    public var learnerKeys: [PublicKey]
    public var settings: NodeCoreSettings
    /// This node's record, seeds and saved address book, for the discovery
    /// and dissemination the core runs.
    public var gossip: NodeGossipConfiguration
    /// Where the core checks signatures (transactions, votes, certificates,
    /// peer records): `.direct` on a real node; a simulation shares one cache
    /// among its nodes (`SignatureVerifier.shared`).
    public var signatureVerifier: SignatureVerifier = .direct

    public init(genesis: GenesisDocument, nodeKey: SigningKey, role: NodeCoreRole, learnerKeys: [PublicKey] = [],
                settings: NodeCoreSettings = NodeCoreSettings(), gossip: NodeGossipConfiguration) {
        self.genesis = genesis
        self.nodeKey = nodeKey
        self.role = role
        self.learnerKeys = learnerKeys
        self.settings = settings
        self.gossip = gossip
    }

    /// Replica IDs: validator i of genesis is i + 1; learner j is 1,001 + j.
    public static let learnerBase: ReplicaID = 1_001

    public var validatorIndex: UInt32? {
        genesis.validators.firstIndex { $0.nodeKey == nodeKey.publicKey }.map { UInt32($0) }
    }
    public var voters: [ReplicaID] { genesis.validators.indices.map { ReplicaID($0 + 1) } }
    public var learners: [ReplicaID] { learnerKeys.indices.map { Self.learnerBase + ReplicaID($0) } }

    /// This node's replica ID, if it takes part in Raft.
    public var replicaID: ReplicaID? {
        switch role {
        case .validator: return validatorIndex.map { ReplicaID($0) + 1 }
        case .learner: return learnerKeys.firstIndex(of: nodeKey.publicKey).map { Self.learnerBase + ReplicaID($0) }
        case .observer, .gateway: return nil
        }
    }

    /// The node behind a replica ID.
    public func node(of replica: ReplicaID) -> NodeID? {
        if replica >= 1, replica <= ReplicaID(genesis.validators.count) {
            return NodeID(deriving: genesis.validators[Int(replica - 1)].nodeKey)
        }
        if replica >= Self.learnerBase, replica < Self.learnerBase + ReplicaID(learnerKeys.count) {
            return NodeID(deriving: learnerKeys[Int(replica - Self.learnerBase)])
        }
        return nil
    }

    /// The replica ID of a node, if it takes part in Raft.
    public func replica(of node: NodeID) -> ReplicaID? {
        if let i = genesis.validators.firstIndex(where: { NodeID(deriving: $0.nodeKey) == node }) { return ReplicaID(i + 1) }
        if let j = learnerKeys.firstIndex(where: { NodeID(deriving: $0) == node }) { return Self.learnerBase + ReplicaID(j) }
        return nil
    }

    /// Validators' node IDs, in genesis order.
    public var validatorNodes: [NodeID] { genesis.validators.map { NodeID(deriving: $0.nodeKey) } }
}
