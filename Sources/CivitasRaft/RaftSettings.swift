/// Tunables of one replica. Defaults follow etcd's, where they come from.
public struct RaftSettings: Sendable, Hashable {
    /// Ticks without hearing a leader before a follower campaigns; the actual
    /// timeout is drawn uniformly from [electionTicks, 2 × electionTicks) at
    /// every reset, so split votes resolve (Raft §5.2). Also the leader's
    /// check-quorum period and the follower's lease.
    public var electionTicks: Int = 10
    /// Width of the random part of the election timeout: it is drawn from
    /// [electionTicks, electionTicks + electionJitterTicks). Nil means
    /// `electionTicks`, Raft's classic [T, 2T).
    public var electionJitterTicks: Int? = nil
    /// Ticks between a leader's heartbeats; must be well below `electionTicks`.
    public var heartbeatTicks: Int = 1
    /// Campaign first with a pre-vote that changes no term (dissertation §9.6),
    /// so a node that rejoins after a partition cannot force an election.
    public var preVote: Bool = true
    /// A leader that has not heard from a majority for one election timeout
    /// steps down, and followers that hear a live leader ignore votes (lease).
    public var checkQuorum: Bool = true
    /// Appends in flight to one follower in replicate state (pipelining window).
    public var maxInflight: Int = 256
    /// Most entries in one append message (batching).
    public var maxEntriesPerMessage: Int = 4096
    /// About the most data bytes in one append message.
    public var maxBytesPerMessage: Int = 1 << 20
    /// Most committed entries handed out in one Ready.
    public var maxCommittedPerReady: Int = 16_384

    public init() {}
}
