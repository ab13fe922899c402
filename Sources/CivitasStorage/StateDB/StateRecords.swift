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

/// A transaction as the state database recorded it.
public struct TransactionRecord: Hashable, Sendable {
    public var height: UInt64
    public var index: Int
    public var id: Hash
    public var kind: TransactionKind
    public var signer: PublicKey
    public var nonce: UInt64
    /// The signer's claimed time (block time is authoritative).
    public var time: Timestamp
    /// nil if applied, else why it was rejected.
    public var rejectionReason: String?
    public var isApplied: Bool { rejectionReason == nil }
}

/// A registered subject.
public struct SubjectRecord: Hashable, Sendable {
    public var id: SubjectID
    public var publicKey: PublicKey
    public var displayName: String
    public var unit: String
    public var roles: RoleSet
    /// False once revoked.
    public var isActive: Bool
    /// 0 for subjects of the genesis document.
    public var registeredHeight: UInt64
    public var updatedHeight: UInt64
}

/// One version of a notice.
public struct NoticeRecord: Hashable, Sendable {
    public var id: Hash
    public var height: UInt64
    /// Block time.
    public var time: Timestamp
    public var issuer: SubjectID
    public var category: Notice.Category
    public var title: String
    public var body: String
    public var attachments: [Hash]
    /// The earlier version this one corrects.
    public var supersedes: Hash?
    /// The later version that corrects this one; nil for the current version.
    public var supersededBy: Hash?
    /// The first version of the chain.
    public var chainRoot: Hash
    /// 1 for the first version, 2 for its first correction, …
    public var version: Int
    public var isCurrent: Bool { supersededBy == nil }
}

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

/// A resident's service request and how far it has come.
public struct ServiceRequestRecord: Hashable, Sendable {
    public var id: Hash
    public var height: UInt64
    /// Block time of the request: deadlines run from here.
    public var requestedTime: Timestamp
    public var requester: SubjectID
    public var serviceCode: String
    public var description: String
    public var location: String
    /// `requestedTime` plus the category's response deadline (genesis parameter).
    public var deadline: Timestamp
    public var status: ServiceRequestStatus
    public var resolution: ServiceResolution?
    /// The provider of the current assignment.
    public var provider: SubjectID?
    public var assignmentCount: Int
    public var firstResponseTime: Timestamp?
    public var resolvedTime: Timestamp?
    public var closedTime: Timestamp?
    /// 1 … 5, given when the requester closed it.
    public var rating: UInt8?
    public var reopenCount: Int
}

/// A recorded checkpoint: one of this community's own (every
/// `checkpointInterval` blocks) or one received from another community.
public struct CheckpointRecord: Hashable, Sendable {
    public var community: CommunityID
    public var height: UInt64
    public var headerHash: Hash
    public var genesisHash: Hash
    public var isOwn: Bool
    /// The height of this chain at which it was recorded.
    public var recordedHeight: UInt64
}
