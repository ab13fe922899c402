/// Everything the shell must do after some steps of the core, in this order:
///
/// 1. If `snapshot` is set, bring the application to its state (fetch and
///    verify blocks up to `snapshot.index`) and make that durable, then persist
///    the snapshot. In that order: a log that starts after the application's
///    durable state leaves a gap nothing can fill.
/// 2. Persist `entries` (first deleting any persisted entries at or after the
///    first one's index) and `hardState`; if `mustSync`, fsync before going on.
/// 3. Apply `committedEntries` in order.
/// 4. Send `messages`.
/// 5. Call `RaftCore.advance()`.
public struct Ready: Sendable {
    /// A snapshot to install (a follower that was behind the leader's compaction point).
    public var snapshot: Snapshot? = nil
    /// Entries to persist, contiguous, in order.
    public var entries: [Entry] = []
    /// The hard state to persist, if it changed.
    public var hardState: HardState? = nil
    /// Whether persistence must be durable (fsync) before messages go out.
    public var mustSync: Bool = false
    /// Committed entries to apply, in log order.
    public var committedEntries: [Entry] = []
    /// Messages to send once the above is durable.
    public var messages: [Message] = []

    /// True if there is nothing to do.
    public var isEmpty: Bool {
        snapshot == nil && entries.isEmpty && hardState == nil && committedEntries.isEmpty && messages.isEmpty
    }
}

/// The role a replica plays in its current term.
public enum RaftRole: String, Sendable, Hashable {
    case follower, preCandidate, candidate, leader
}

/// Why a proposal was not accepted. Nothing is dropped silently: the caller
/// always learns the outcome, and a refused proposal is safe to retry.
public enum ProposalError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No leader is known (an election is under way, or this replica is cut off).
    case noLeader
    /// The leader is handing leadership to another replica; retry shortly.
    case leadershipTransferInProgress
    /// Only the leader takes membership changes and transfers; `leader` is the hint.
    case notLeader(leader: ReplicaID?)
    /// A membership change is still uncommitted (one change at a time), or the
    /// new leader has not yet committed an entry of its own term.
    case configurationChangePending
    /// The change makes no sense for the current membership.
    case invalidConfigurationChange(String)

    public var description: String {
        switch self {
        case .noLeader: return "no leader is known; retry after an election"
        case .leadershipTransferInProgress: return "leadership transfer in progress; retry shortly"
        case let .notLeader(leader): return "not the leader (leader: \(leader.map(String.init) ?? "unknown"))"
        case .configurationChangePending: return "a membership change is pending; one change at a time"
        case let .invalidConfigurationChange(why): return "invalid membership change: \(why)"
        }
    }
}

/// What happened to an accepted proposal.
public enum ProposalOutcome: Hashable, Sendable {
    /// Appended to the leader's log at these indexes in this term; watch for their commit.
    case appended(term: UInt64, firstIndex: UInt64, lastIndex: UInt64)
    /// Sent to the leader; the submitter learns the outcome by watching commits, and retries idempotently.
    case forwarded(to: ReplicaID)
}
