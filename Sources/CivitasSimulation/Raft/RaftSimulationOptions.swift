public import CivitasRaft

/// Everything a Raft simulation run is made of, apart from its seed.
public struct RaftSimulationOptions: Sendable {
    /// Founding voters.
    public var voters: Int = 5
    /// Fresh replicas that membership changes may add (as learners, then voters).
    public var spares: Int = 2
    /// Length of one tick.
    public var tick: Duration = .milliseconds(100)
    /// Raft settings of every replica (etcd's defaults: 100 ms ticks, 1 s election timeout).
    public var raft = RaftSettings()
    /// Link behaviour when no fault is active.
    /// Latency is 1 ms plus up to 9 ms of jitter, and 1% of messages take up to 200 ms more.
    public var link = SimNetwork.LinkProfile(baseLatency: .milliseconds(1), jitter: .milliseconds(9), loss: 0, duplication: 0,
                                             tailProbability: 0.01, tailLatency: .milliseconds(200))
    /// Time an fsync takes, drawn uniformly.
    public var fsyncLatency: ClosedRange<Duration> = .microseconds(500) ... .milliseconds(5)
    /// Length of the fault phase; faults stop when it ends.
    public var faultPhase: Duration = .seconds(60)
    /// After faults stop: time within which a leader must be elected and a new
    /// proposal applied by every member (the liveness bound).
    public var livenessBound: Duration = .seconds(20)
    /// Mean time between workload proposals.
    public var proposalInterval: Duration = .milliseconds(50)
    /// Largest batch a client proposes at once.
    public var maxBatch: Int = 8
    /// Mean time between injected faults (drawn uniformly from 0.25x to 1.75x).
    public var faultInterval: Duration = .seconds(2)
    /// Fault kinds to draw from.
    public var faults: Set<FaultKind> = Set(FaultKind.allCases)
    /// Compact a replica's log when it holds more than this many applied entries.
    public var compactionThreshold: UInt64 = 300
    /// WAL segment size on the simulated disks: small, so runs roll segments
    /// and remove compacted ones many times.
    public var walSegmentSize: Int = 16 << 10
    /// While faults are active, the chance that a read on a restarting
    /// replica's disk fails with EIO (the restart is then retried).
    public var storageReadErrorRate: Double = 0.02
    /// Check log matching across all replicas this often.
    public var logMatchingInterval: Duration = .seconds(1)

    /// Fault injection into the shell itself, to prove the checkers catch a
    /// broken persistence contract: messages leave before their Ready is fsynced.
    /// Never set outside tests of the simulator.
    public var shellSendsBeforeSync = false

    public init() {}

    /// A scenario drawn from `seed`: cluster size (3 or 5 voters), fault rate,
    /// link jitter and disk speed vary between seeds, so a campaign covers
    /// small clusters (where one crash loses the quorum) and fast fault storms
    /// as well as the defaults. `voters` pins the cluster size when given.
    public static func drawn(seed: UInt64, voters: Int? = nil, faultPhase: Duration = .seconds(60)) -> RaftSimulationOptions {
        var r = SimRandom(seed: seed ^ 0x5CE9_A210)
        var o = RaftSimulationOptions()
        o.voters = voters ?? (r.chance(0.5) ? 3 : 5)
        o.faultPhase = faultPhase
        o.faultInterval = r.pick([.milliseconds(500), .seconds(1), .seconds(2), .seconds(3)])
        o.link.jitter = r.pick([.milliseconds(2), .milliseconds(9), .milliseconds(20)])
        o.fsyncLatency = r.pick([.microseconds(100) ... .milliseconds(1), .microseconds(500) ... .milliseconds(5),
                                  .milliseconds(2) ... .milliseconds(20)])
        o.maxBatch = r.pick([1, 8, 32])
        return o
    }

    /// Kinds of fault a campaign injects.
    public enum FaultKind: String, Sendable, CaseIterable, Hashable {
        case crash, partition, clog, loss, duplication, leaderTransfer, membership
    }
}
