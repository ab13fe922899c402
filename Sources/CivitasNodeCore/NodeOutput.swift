public import CivitasLedger
public import CivitasRaft
public import CivitasGossip

/// Something worth a log line or a counter; none of it needs an answer.
public enum NodeEvent: Sendable, Hashable {
    /// Transactions that left the mempool without a block.
    case evicted(EvictedTransaction)
    /// A vote, block or entry from a peer was refused.
    case refused(String)
    /// This node proposed a batch to Raft.
    case proposed(transactions: Int, raftIndex: UInt64)
    /// A block built from the Raft log differs from the one stored or sealed
    /// at its height: the replicas diverged (a bug, never expected).
    case divergence(height: UInt64, built: Hash, known: Hash)
    /// A Raft snapshot moved the built chain forward; the blocks in between come by block sync.
    case snapshotInstalled(ChainPosition)
    /// Discovery: a member joined, was suspected, recovered or died.
    case membership(MembershipEvent)
    /// Blocks a peer asked for could not be read from the block store (it was answered with none).
    case blockReadFailed(String)
    /// A gateway's city overlay delivered a payload on a city topic (once per message).
    case cityDelivery(topic: GossipTopic, payload: [UInt8], from: NodeID)
}

/// Why the node closes a link: upkeep (a surplus link, a member declared
/// dead) or a refusal (the peer misbehaved), and which part found it.
public enum NodeDisconnect: Sendable, Hashable, CustomStringConvertible {
    case membership(DisconnectReason)
    case dissemination(Misbehaviour)
    case blockSync(Misbehaviour)
    /// A consensus-class message that does not decode.
    case malformedConsensus(String)

    /// The peer misbehaved (as opposed to link upkeep).
    public var isRefusal: Bool {
        switch self {
        case .membership(.surplus), .membership(.dead): false
        default: true
        }
    }

    public var description: String {
        switch self {
        case let .membership(reason): "membership: \(reason)"
        case let .dissemination(why): "dissemination: \(why)"
        case let .blockSync(why): "block sync: \(why)"
        case let .malformedConsensus(why): "malformed consensus message: \(why)"
        }
    }
}

/// What the shell must do after an input. Drained by `NodeCore.poll()`.
///
/// Order of work for the shell:
/// 1. `raft`: make its snapshot, entries and hard state durable (fsync when
///    `mustSync`), then send its messages (`NodeCore.node(of:)` names each
///    recipient), then call `NodeCore.raftPersisted()`.
/// 2. `sends`, `gossipSends`, `dials`, `disconnects`: carry out
///    (any order; they depend on nothing unpersisted). A dial that fails is
///    reported with `NodeCore.dialFailed`, a link that opens or closes with
///    `peerUp`/`peerDown`.
/// 3. `apply`: store and apply each block in order, then call `NodeCore.applied(_:view:)`.
public struct NodeOutput: Sendable {
    public var raft: Ready?
    /// The Raft log was compacted to this snapshot: persist it and drop the
    /// entries it covers (any time after the blocks it names are stored).
    public var compaction: Snapshot?
    /// Votes to other validators (consensus traffic class).
    public var sends: [(to: NodeID, message: ConsensusMessage)] = []
    /// Gossip messages over open links (gossip traffic class): membership
    /// (SWIM), dissemination (Plumtree: transactions and sealed blocks the
    /// core publishes) and block sync. A message to a peer without a link is dropped.
    public var gossipSends: [(to: NodeID, message: GossipMessage)] = []
    /// Links to open: an address ("host:port") and the node expected there
    /// (nil for a seed not met yet).
    public var dials: [(address: String, node: NodeID?)] = []
    /// Sealed blocks, contiguous from the applied height + 1, verified.
    public var apply: [SealedBlock] = []
    /// Links to close: peers block sync, membership or dissemination caught
    /// misbehaving, members declared dead, surplus links.
    public var disconnects: [(peer: NodeID, reason: NodeDisconnect)] = []
    public var events: [NodeEvent] = []

    public init() {}

    public var isEmpty: Bool {
        raft == nil && compaction == nil && sends.isEmpty && gossipSends.isEmpty && dials.isEmpty && apply.isEmpty
            && disconnects.isEmpty
            && events.isEmpty
    }
}

/// This chain disagrees with a checkpoint of it that a neighbour anchored:
/// the header at `height` is `chain` here, `anchored` in the neighbour's
/// chain. `refused`: the block came while syncing and was not applied;
/// otherwise it was applied before the anchor came back (a history rewritten
/// or forked after the city anchored it).
public struct AnchorContradiction: Sendable, Hashable, CustomStringConvertible {
    public var height: UInt64
    public var anchored: Hash
    public var chain: Hash
    public var refused: Bool

    public init(height: UInt64, anchored: Hash, chain: Hash, refused: Bool) {
        self.height = height
        self.anchored = anchored
        self.chain = chain
        self.refused = refused
    }

    public var description: String {
        refused
            ? "block \(height) (\(chain.hex)) refused: it contradicts the checkpoint of this chain the city anchored at that height (\(anchored.hex))"
            : "this chain's block \(height) (\(chain.hex)) contradicts the checkpoint of it the city anchored at that height (\(anchored.hex))"
    }
}
