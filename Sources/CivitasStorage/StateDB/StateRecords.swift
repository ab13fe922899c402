public import CivitasCodec
public import CivitasGovernance
public import CivitasLedger

/// The last block applied to a state database.
public struct AppliedHead: Hashable, Sendable {
    /// 0 until the first block is applied.
    public var height: UInt64
    /// The block's header hash (the genesis document's hash at height 0).
    public var hash: Hash
    /// The block's time (the genesis time at height 0).
    public var time: Timestamp
}

/// What `StateDatabase.apply(_:)` did with a block.
public enum ApplyOutcome: Hashable, Sendable {
    /// The block was the next one; its effects and the new applied height were committed together.
    case applied(BlockApplication)
    /// The block (the same block, by hash) was applied earlier; nothing changed.
    case alreadyApplied(height: UInt64)
}

/// The summary of one applied block.
public struct BlockApplication: Hashable, Sendable {
    public var height: UInt64
    public var hash: Hash
    /// Transactions whose effects were applied.
    public var appliedCount: Int
    /// Transactions recorded as rejected, with their reasons, in block order.
    public var rejections: [TransactionRejection]
    /// Proposals that closed at the end of this block (their tallies are recorded), in opening order.
    public var closedProposals: [Hash]
}

/// A transaction that a committed block holds but that could not be applied.
/// It is recorded in the `transactions` table with status `rejected`; nothing else changes.
public struct TransactionRejection: Hashable, Sendable {
    /// Position in the block.
    public var index: Int
    public var id: Hash
    /// Why, in words that are the same on every node.
    public var reason: String
}

// The governance state's entries (CivitasGovernance) under the names the
// query API has always used: one type per record, read from the same rows
// the transition's reader reads.

/// A transaction as the state database recorded it, applied or rejected.
public typealias TransactionRecord = TransactionEntry
/// A registered subject.
public typealias SubjectRecord = SubjectEntry
/// One version of a notice.
public typealias NoticeRecord = NoticeEntry
/// A resident's service request and how far it has come.
public typealias ServiceRequestRecord = ServiceRequestEntry
/// A recorded checkpoint: one of this community's own (every
/// `checkpointInterval` blocks) or one received from another community.
public typealias CheckpointRecord = CheckpointEntry

/// A proposal, with its tally once closed.
public struct ProposalRecord: Hashable, Sendable {
    public var id: Hash
    public var height: UInt64
    public var proposer: SubjectID
    public var title: String
    public var description: String
    public var options: [String]
    public var eligibleRoles: RoleSet
    public var closing: ClosingRule
    public var quorumBasisPoints: UInt32
    public var passBasisPoints: UInt32
    public var endorsementCount: Int
    /// Subjects eligible when the proposal was applied; the quorum's denominator.
    public var electorateSize: UInt64
    /// RFC 6962 Merkle root over the electorate's subject IDs in ascending order.
    public var electorateRoot: Hash
    /// Counted ballots so far (one per voter; a later ballot replaces an earlier one).
    public var ballotsCast: UInt64
    public var isOpen: Bool
    public var closedHeight: UInt64?
    /// Present once closed.
    public var tally: Tally?
    public var closedTime: Timestamp?
}
