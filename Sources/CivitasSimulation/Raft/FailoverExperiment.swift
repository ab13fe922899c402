import CivitasRaft

/// Crashes the leader of a healthy cluster at a random moment and measures
/// how long the cluster goes without a leader (until another replica wins an
/// election), over many trials.
public struct FailoverExperiment: Sendable {
    public var nodes: Int = 5
    /// Election timeout range in milliseconds (Raft draws uniformly from it).
    public var electionTimeoutMs: ClosedRange<Int> = 1_000...2_000
    /// Heartbeat interval in milliseconds.
    public var heartbeatMs: Int = 100
    /// Raft's tick: timeouts and heartbeats are whole ticks (the node's default, 100 ms).
    public var tickMs: Int = 100
    public var preVote = true
    public var checkQuorum = true
    /// One-way link latency in milliseconds (plus up to 10% jitter).
    public var latencyMs: Double = 5
    public var trials: Int = 1000
    public var seed: UInt64 = 1

    public init() {}

    /// Times without a leader, one per trial.
    public func run() -> [Duration] {
        var out: [Duration] = []
        out.reserveCapacity(trials)
        for t in 0..<trials {
            if let d = trial(seed: seed &* 1_000_003 &+ UInt64(t)) { out.append(d) }
        }
        return out
    }

    func trial(seed: UInt64) -> Duration? {
        var o = RaftSimulationOptions()
        o.voters = nodes
        o.spares = 0
        let tick = max(1, tickMs)
        o.tick = .milliseconds(tick)
        o.raft.electionTicks = max(1, electionTimeoutMs.lowerBound / tick)
        o.raft.electionJitterTicks = max(1, (electionTimeoutMs.upperBound - electionTimeoutMs.lowerBound) / tick)
        o.raft.heartbeatTicks = max(1, heartbeatMs / tick)
        o.raft.preVote = preVote
        o.raft.checkQuorum = checkQuorum
        // To the kernel's microsecond, truncated (`Duration.milliseconds(2.3)` holds 2.2999…
        // ms, the binary fraction, which the kernel would truncate to one microsecond less).
        let latency = Duration.microseconds(Int64(latencyMs * 1_000))
        o.link = SimNetwork.LinkProfile(baseLatency: latency, jitter: max(.microseconds(1), latency / 10))
        o.fsyncLatency = .microseconds(100) ... .milliseconds(1)
        o.faults = []
        o.proposalInterval = .milliseconds(20)
        var sim = RaftSimulation(seed: seed, options: o)
        return sim.runFailoverTrial()
    }
}

extension RaftSimulation {
    /// Elects a leader, lets it serve for a random while, crashes it, and
    /// returns the time until another replica becomes leader.
    mutating func runFailoverTrial() -> Duration? {
        faultsActive = false
        startFounders()
        queue.schedule(.propose, at: .start)
        let limit = SimTime.start + .seconds(120)
        var crashAt: SimTime? = nil
        var victim: ReplicaID? = nil
        while let (time, event) = queue.pop(), time < limit {
            now = time
            if case .endFaults = event { continue }
            if crashAt == nil, let leader = currentLeader() {
                // Serve for a random while, so the crash lands anywhere in the heartbeat cycle.
                crashAt = now + .milliseconds(500) + random.duration(below: .seconds(1))
                victim = leader
            }
            if let at = crashAt, let v = victim, now >= at {
                if replicas[index(v)].alive {
                    crash(v)
                    crashAt = now
                }
                if let l = currentLeader(), l != v { return now - at }
            }
            handle(event)
            if let at = crashAt, let v = victim, !replicas[index(v)].alive, let l = currentLeader(), l != v {
                return now - at
            }
        }
        return nil
    }
}
