/// A Raft replica's identifier inside one community's cluster.
public typealias ReplicaID = UInt64

/// What a log entry carries.
public enum EntryPayload: Hashable, Sendable {
    /// Appended by every new leader so it can commit entries of earlier terms.
    case noop
    /// Application data (a block proposal, in Civitas).
    case data([UInt8])
    /// A membership change; it takes effect on every replica when committed.
    case config(ConfigChange)
}

/// One entry of the replicated log.
public struct Entry: Hashable, Sendable {
    public var term: UInt64
    public var index: UInt64
    public var payload: EntryPayload

    public init(term: UInt64, index: UInt64, payload: EntryPayload) {
        self.term = term
        self.index = index
        self.payload = payload
    }
}

/// The state a replica must persist (with fsync) before it sends messages that depend on it.
public struct HardState: Hashable, Sendable {
    public var term: UInt64
    /// The candidate voted for in `term`, if any.
    public var vote: ReplicaID?
    /// Highest index known committed. Persisting it is an optimisation, not a safety need.
    public var commit: UInt64

    public init(term: UInt64 = 0, vote: ReplicaID? = nil, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

/// A single-server membership change (one at a time; see `RaftCore.propose(config:)`).
public enum ConfigChange: Hashable, Sendable {
    /// Adds a voter, or promotes a learner to voter.
    case addVoter(ReplicaID)
    /// Adds a non-voting learner that receives the log (or demotes a voter).
    case addLearner(ReplicaID)
    /// Removes a voter or learner.
    case remove(ReplicaID)
}

/// The cluster's membership.
public struct Configuration: Hashable, Sendable {
    /// Replicas whose votes and acknowledgements count.
    public private(set) var voters: [ReplicaID]
    /// Replicas that receive the log but do not vote.
    public private(set) var learners: [ReplicaID]

    public init(voters: [ReplicaID], learners: [ReplicaID] = []) {
        self.voters = Array(Set(voters)).sorted()
        self.learners = Array(Set(learners).subtracting(voters)).sorted()
    }

    /// Voters and learners.
    public var members: [ReplicaID] { (voters + learners).sorted() }
    /// Votes needed for a majority.
    public var quorum: Int { voters.count / 2 + 1 }

    public func isVoter(_ id: ReplicaID) -> Bool { voters.contains(id) }
    public func isLearner(_ id: ReplicaID) -> Bool { learners.contains(id) }
    public func isMember(_ id: ReplicaID) -> Bool { isVoter(id) || isLearner(id) }

    /// The configuration after `change`.
    public func applying(_ change: ConfigChange) -> Configuration {
        var v = Set(voters), l = Set(learners)
        switch change {
        case let .addVoter(id): l.remove(id); v.insert(id)
        case let .addLearner(id): v.remove(id); l.insert(id)
        case let .remove(id): v.remove(id); l.remove(id)
        }
        return Configuration(voters: Array(v), learners: Array(l))
    }
}

/// What a compacted log prefix leaves behind: the last index and term it
/// covered, the membership at that point, and the application's opaque
/// description of its state there (in Civitas: the block height and hash,
/// from which a replica fetches blocks).
public struct Snapshot: Hashable, Sendable {
    public var index: UInt64
    public var term: UInt64
    public var configuration: Configuration
    public var data: [UInt8]

    public init(index: UInt64, term: UInt64, configuration: Configuration, data: [UInt8]) {
        self.index = index
        self.term = term
        self.configuration = configuration
        self.data = data
    }
}
