/// The kinds of message replicas exchange.
public enum MessageType: UInt8, Sendable, CaseIterable {
    case preVote, preVoteResponse
    case vote, voteResponse
    case append, appendResponse
    case heartbeat, heartbeatResponse
    case snapshot
    /// Sent by a leader to the transfer target: campaign now.
    case timeoutNow
    /// A proposal forwarded from a follower to the leader.
    case propose
}

/// One Raft message. Fields not used by a type are zero.
public struct Message: Hashable, Sendable {
    public var type: MessageType
    public var from: ReplicaID
    public var to: ReplicaID
    public var term: UInt64
    /// append: term of the entry at `index`; votes: term of the candidate's last entry;
    /// rejected appendResponse: the follower's term at `rejectHint`.
    public var logTerm: UInt64 = 0
    /// append: index preceding `entries`; votes: candidate's last index; appendResponse: highest index matched (or rejected).
    public var index: UInt64 = 0
    public var entries: [Entry] = []
    public var commit: UInt64 = 0
    public var reject: Bool = false
    /// rejected appendResponse: an index the leader should probe next.
    public var rejectHint: UInt64 = 0
    public var snapshot: Snapshot? = nil
    /// votes: the campaign is a leadership transfer, so leases do not apply.
    public var transfer: Bool = false

    public init(type: MessageType, from: ReplicaID, to: ReplicaID, term: UInt64) {
        self.type = type
        self.from = from
        self.to = to
        self.term = term
    }
}
