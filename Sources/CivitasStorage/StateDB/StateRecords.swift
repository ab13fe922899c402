public import CivitasCodec
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

/// How a closed proposal's tally came out.
public enum TallyOutcome: String, Hashable, Sendable, CaseIterable {
    /// Quorum met, one option leads alone, and it holds at least the pass share of counted ballots.
    case passed
    /// Fewer ballots than the quorum share of the electorate.
    case noQuorum
    /// Quorum met, but no option holds the pass share (or no ballot was cast).
    case belowThreshold
    /// Quorum met, and two or more options share the most votes.
    case tie
}

/// A proposal's tally, computed by every node the same way when it closes.
public struct Tally: Hashable, Sendable {
    /// Votes per option, in option order.
    public var votes: [UInt64]
    public var electorateSize: UInt64
    public var ballotsCast: UInt64
    public var quorumMet: Bool
    /// The option with the most votes, if exactly one has the most and at least one ballot was cast.
    public var leadingOption: Int?
    public var outcome: TallyOutcome

    /// The tally of `votes` for an electorate of `electorateSize`, with the
    /// proposal's quorum and pass threshold in basis points:
    /// - quorum is met when `ballots × 10,000 ≥ quorum × electorate`;
    /// - a proposal passes when quorum is met, one option alone has the most
    ///   votes, and `its votes × 10,000 ≥ pass × ballots` (with ballots > 0);
    /// - two or more options sharing the most votes is a tie, which does not pass.
    /// Integer arithmetic only, so every node gets the same answer.
    public init(votes: [UInt64], electorateSize: UInt64, quorumBasisPoints: UInt32, passBasisPoints: UInt32) {
        self.votes = votes
        self.electorateSize = electorateSize
        let cast = votes.reduce(UInt64(0), +)
        ballotsCast = cast
        // 128-bit products: no overflow for any UInt64 count.
        quorumMet = cast.multipliedFullWidth(by: 10_000) >= electorateSize.multipliedFullWidth(by: UInt64(quorumBasisPoints))
        let top = votes.max() ?? 0
        let leaders = votes.indices.filter { votes[$0] == top }
        leadingOption = (cast > 0 && leaders.count == 1) ? leaders[0] : nil
        if !quorumMet {
            outcome = .noQuorum
        } else if cast > 0 && leaders.count > 1 {
            outcome = .tie
        } else if let lead = leadingOption,
                  votes[lead].multipliedFullWidth(by: 10_000) >= cast.multipliedFullWidth(by: UInt64(passBasisPoints)) {
            outcome = .passed
        } else {
            outcome = .belowThreshold
        }
    }

    public init(votes: [UInt64], electorateSize: UInt64, ballotsCast: UInt64, quorumMet: Bool, leadingOption: Int?, outcome: TallyOutcome) {
        self.votes = votes
        self.electorateSize = electorateSize
        self.ballotsCast = ballotsCast
        self.quorumMet = quorumMet
        self.leadingOption = leadingOption
        self.outcome = outcome
    }
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

/// Where a service request stands.
public enum ServiceRequestStatus: String, Hashable, Sendable, CaseIterable {
    case open, assigned, acknowledged, inProgress, resolved, reopened, closed
}

/// How a provider resolved a request.
public enum ServiceResolution: String, Hashable, Sendable, CaseIterable {
    case fixed, notResponsible, duplicate, referred
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

/// Figures for one provider over every assignment it has had
/// (the `provider_supervision` view). Averages are integer (floor) divisions.
public struct ProviderSupervision: Hashable, Sendable {
    public var provider: SubjectID
    public var assignments: UInt64
    /// Assignments with at least one response.
    public var responded: UInt64
    /// Mean time from assignment to first response, over responded assignments.
    public var averageResponseMillis: UInt64?
    /// Assignments currently resolved (a reopened request counts again only once re-resolved).
    public var resolved: UInt64
    /// Of those, resolved as fixed.
    public var fixed: UInt64
    /// Mean time from assignment to resolution, over resolved assignments.
    public var averageResolveMillis: UInt64?
    /// resolved × 10,000 / assignments.
    public var resolutionRateBasisPoints: UInt64
    /// Assignments whose first response came after the request's deadline, or
    /// that had none by the deadline (judged at reassignment or at the last applied block's time).
    public var breaches: UInt64
    public var ratings: UInt64
    /// Mean rating × 100 (e.g. 450 = 4.5 stars), nil without ratings.
    public var averageRatingHundredths: UInt64?
}

/// A volunteer's accumulated hours and points.
public struct VolunteerTotals: Hashable, Sendable {
    public var volunteer: SubjectID
    public var records: UInt64
    public var minutes: UInt64
    /// Sum over records of ⌊minutes × pointsPerHour / 60⌋.
    public var points: UInt64
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
