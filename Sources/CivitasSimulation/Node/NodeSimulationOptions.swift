/// One run of the node campaign: a community of validators and observers,
/// every one running the real `NodeCore`, driven through the whole pipeline
/// (mempool, Raft, blocks, certificates, apply) under faults.
public struct NodeSimulationOptions: Sendable, Hashable {
    public var seed: UInt64
    public var validators = 5
    public var observers = 10
    /// Residents submitting transactions.
    public var signers = 24
    /// Client submissions per simulated second (new transactions; retries come on top).
    public var submissionsPerSecond = 40
    /// Simulated time with faults, then without (liveness), in seconds.
    public var faultSeconds: UInt64 = 30
    public var quietSeconds: UInt64 = 30
    /// Link profile inside the community.
    public var link = SimNetwork.LinkProfile(baseLatency: 1_000, jitter: 4_000, loss: 0.02, duplication: 0.01,
                                             tailProbability: 0.01, tailLatency: 50_000)
    /// Mean simulated seconds between crashes (any node), and between partitions.
    public var crashEvery: UInt64 = 6
    public var partitionEvery: UInt64 = 8
    /// How long a crashed node stays down, and a partition lasts (seconds, drawn uniformly).
    public var downtime: ClosedRange<UInt64> = 1...5
    public var partitionLength: ClosedRange<UInt64> = 1...6
    /// A client resubmits a transaction not yet committed after this many ms (to another node).
    public var retryMillis: UInt64 = 4_000
    /// Node tick period in simulated ms.
    public var tickMillis: UInt64 = 10
    /// A block every this many ms at most (the genesis block interval).
    public var blockInterval: UInt64 = 100
    /// Raft log compaction period in blocks (small, so snapshots happen in a run).
    public var compactEveryBlocks: UInt64 = 32

    public init(seed: UInt64) { self.seed = seed }

    /// The campaign's options for `seed`: fault rates, loss and sizes vary by seed.
    public static func drawn(seed: UInt64) -> NodeSimulationOptions {
        var o = NodeSimulationOptions(seed: seed)
        var r = SimRandom(seed: seed ^ 0x6E6F_6465_7369_6D00)
        o.link.loss = [0, 0.01, 0.02, 0.05][Int(r.below(4))]
        o.link.duplication = [0, 0.01, 0.02][Int(r.below(3))]
        o.crashEvery = r.between(3...10)
        o.partitionEvery = r.between(4...12)
        o.submissionsPerSecond = Int(r.between(20...80))
        o.compactEveryBlocks = [16, 32, 1_024][Int(r.below(3))]
        return o
    }
}
