public import CivitasLedger
public import CivitasRaft
public import CivitasGossip

/// A payload the node publishes to its whole community by gossip.
public enum Broadcast: Sendable, Hashable {
    /// A transaction a client submitted here (or one pending too long).
    case transaction(Transaction)
    /// A block this node sealed as its proposer.
    case sealedBlock(SealedBlock)
}

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
}

/// What the shell must do after an input. Drained by `NodeCore.poll()`.
///
/// Order of work for the shell:
/// 1. `raft`: make its snapshot, entries and hard state durable (fsync when
///    `mustSync`), then send its messages (`NodeCore.node(of:)` names each
///    recipient), then call `NodeCore.raftPersisted()`.
/// 2. `sends`, `syncSends`, `broadcasts`: send (any order; they depend on nothing unpersisted).
/// 3. `apply`: store and apply each block in order, then call `NodeCore.applied(_:view:)`.
public struct NodeOutput: Sendable {
    public var raft: Ready?
    /// The Raft log was compacted to this snapshot: persist it and drop the
    /// entries it covers (any time after the blocks it names are stored).
    public var compaction: Snapshot?
    /// Votes to other validators (consensus traffic class).
    public var sends: [(to: NodeID, message: ConsensusMessage)] = []
    /// Block-sync messages to community peers.
    public var syncSends: [(to: NodeID, message: GossipMessage)] = []
    public var broadcasts: [Broadcast] = []
    /// Sealed blocks, contiguous from the applied height + 1, verified.
    public var apply: [SealedBlock] = []
    /// Peers block sync caught misbehaving.
    public var disconnects: [(peer: NodeID, reason: String)] = []
    public var events: [NodeEvent] = []

    public init() {}

    public var isEmpty: Bool {
        raft == nil && compaction == nil && sends.isEmpty && syncSends.isEmpty && broadcasts.isEmpty && apply.isEmpty && disconnects.isEmpty
            && events.isEmpty
    }
}
