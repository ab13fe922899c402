/// The first broken invariant of a run.
public struct InvariantViolation: Sendable, Hashable, CustomStringConvertible {
    /// Which property broke.
    public enum Property: String, Sendable {
        case electionSafety = "election safety"
        case logMatching = "log matching"
        case leaderCompleteness = "leader completeness"
        case stateMachineSafety = "state machine safety"
        case committedEntryLost = "committed entry lost"
        case termWentBackwards = "term went backwards"
        case commitWentBackwards = "commit index went backwards"
        case persistenceContract = "persistence contract"
        case malformedMessage = "malformed message"
        case liveness = "liveness"
        case storage = "storage recovery"
    }

    public let property: Property
    /// When it broke.
    public let time: SimTime
    public let replica: UInt64?
    public let detail: String

    public var description: String {
        let who = replica.map { " replica \($0)" } ?? ""
        return "\(property.rawValue) violated at t=\(formatTime(time))\(who): \(detail)"
    }
}

/// What a run did and whether every invariant held.
public struct RaftSimulationReport: Sendable {
    public let seed: UInt64
    public var violation: InvariantViolation? = nil
    /// Simulated time covered: the instant the run ended.
    public var simulatedTime: SimTime = .start
    public var events = 0
    public var elections = 0
    public var highestTerm: UInt64 = 0
    public var committedEntries: UInt64 = 0
    public var proposalsRefused = 0
    public var crashes = 0
    public var partitions = 0
    public var otherFaults = 0
    public var membershipChanges = 0
    public var transfers = 0
    public var snapshotsInstalled = 0
    public var messagesSent = 0
    public var messagesLost = 0
    public var appendEntriesSent = 0
    public var appendMessagesSent = 0
    /// Restarts refused by an injected read error (and retried).
    public var storageReadErrors = 0
    /// Recoveries that cut off an unfinished final WAL batch.
    public var tornTailsRecovered = 0
    /// WAL segments rolled and removed after compaction, over all replicas.
    public var walSegmentsRemoved = 0
    /// Time from the end of faults to the liveness proposal being applied everywhere.
    public var recoveryTime: Duration? = nil
    /// The fault log, for reading a failure.
    public var trace: [String] = []

    public var passed: Bool { violation == nil }

    /// A few lines for a terminal.
    public var summary: String {
        var s = passed ? "seed \(seed): ok" : "seed \(seed): FAILED — \(violation!)"
        s += "\n  simulated \(formatTime(simulatedTime)), \(events) events, \(elections) elections (highest term \(highestTerm)), \(committedEntries) entries committed"
        s += "\n  faults: \(crashes) crashes, \(partitions) partitions, \(otherFaults) link faults, \(membershipChanges) membership changes, \(transfers) leader transfers, \(snapshotsInstalled) snapshots installed"
        s += "\n  messages: \(messagesSent) sent, \(messagesLost) lost; \(appendMessagesSent) appends carrying \(appendEntriesSent) entries"
        s += "\n  storage: \(tornTailsRecovered) torn WAL tails cut off, \(storageReadErrors) restarts refused by read errors, \(walSegmentsRemoved) WAL segments removed after compaction"
        if let r = recoveryTime { s += "\n  recovered \(formatTime(r)) after faults stopped" }
        return s
    }
}

/// An instant as reports print it: the time since the run's start, as `formatTime(_: Duration)`.
func formatTime(_ t: SimTime) -> String { formatTime(t.sinceStart) }

/// A duration as reports print it: milliseconds below a second (`250.5 ms`), else seconds (`12.0 s`), to three decimals.
func formatTime(_ d: Duration) -> String {
    let ms = d.inMilliseconds
    return ms >= 1000 ? String(format3(ms / 1000)) + " s" : String(format3(ms)) + " ms"
}

private func format3(_ x: Double) -> String {
    let r = (x * 1000).rounded() / 1000
    return "\(r)"
}
