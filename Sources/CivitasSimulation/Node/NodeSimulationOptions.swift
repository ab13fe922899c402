/// One run of the node campaign: a community of validators and observers,
/// every one running the real `NodeCore`, driven through the whole pipeline
/// (mempool, Raft, blocks, certificates, apply) under faults.
public struct NodeSimulationOptions: Sendable, Hashable {
    public var seed: UInt64
    /// Communities in the run: 1, or a city of several, each with the
    /// validators and observers below and a gateway, federated by one
    /// document every residents' committee adopts on its own chain.
    public var communities = 1
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
    public var link = SimNetwork.LinkProfile(baseLatency: .milliseconds(1), jitter: .milliseconds(4), loss: 0.02, duplication: 0.01,
                                             tailProbability: 0.01, tailLatency: .milliseconds(50))
    /// Links between communities (their gateways) in a city.
    public var cityLink = SimNetwork.LinkProfile(baseLatency: .milliseconds(5), jitter: .milliseconds(15), loss: 0.02, duplication: 0.01,
                                                 tailProbability: 0.02, tailLatency: .milliseconds(200))
    /// Mean simulated seconds between one community being cut off from the city (0: never), and how long (seconds).
    public var cityCutEvery: UInt64 = 10
    public var cityCutLength: ClosedRange<UInt64> = 3...15
    /// A committee refers a case to another community about once in this many seconds (0: never).
    public var referralEvery: UInt64 = 3
    /// Gateways send unanswered referrals again this often (seconds; the node's default is 30).
    public var referralResendSeconds: Int64 = 5
    /// A planner's city (`civitas sim city`): communities of their own size,
    /// place, network and workload, drills and the protocol's settings; it
    /// replaces the campaign's uniform communities, rates and random faults.
    public var plan: CityPlan?
    /// Each community's size: the plan's, or `communities` of the same.
    public var shapes: [CommunityShape] {
        if let plan {
            return plan.communities.map {
                CommunityShape(validators: $0.validators.count, observers: $0.observers, gateway: $0.gateway, residents: $0.residents)
            }
        }
        return Array(repeating: CommunityShape(validators: validators, observers: observers, gateway: communities > 1, residents: signers),
                     count: communities)
    }

    /// One community's nodes (validators first, then observers, then its gateway) and residents.
    public struct CommunityShape: Sendable, Hashable {
        public var validators: Int
        public var observers: Int
        public var gateway: Bool
        public var residents: Int
        public var nodes: Int { validators + observers + (gateway ? 1 : 0) }
    }
    /// Mean simulated seconds between crashes (any node), and between partitions.
    public var crashEvery: UInt64 = 6
    public var partitionEvery: UInt64 = 8
    /// How long a crashed node stays down, and a partition lasts (seconds, drawn uniformly).
    public var downtime: ClosedRange<UInt64> = 1...5
    public var partitionLength: ClosedRange<UInt64> = 1...6
    /// A client resubmits a transaction not yet committed after this many ms (to another node).
    public var retryMillis: UInt64 = 4_000
    /// Node tick period in simulated ms: a node is stepped on this grid.
    public var tickMillis: UInt64 = 10
    /// Step every node at every grid point, instead of only at those where
    /// its driver has something to do (`NodeDriver.nextWake`) and after its
    /// inputs. Both give the same run; this one is the slow reference the
    /// wake-up schedule is checked against.
    public var everyTick = false
    /// A block every this many ms at most (the genesis block interval).
    public var blockInterval: UInt64 = 100
    /// Raft log compaction period in blocks (small, so snapshots happen in a run).
    public var compactEveryBlocks: UInt64 = 32
    /// Each node's wall clock starts off true time by up to this many ms either way (skew between nodes).
    public var clockSkewMillis: UInt64 = 0
    /// Mean simulated seconds between clock steps (an NTP correction or an operator's mistake) on
    /// one node's wall clock; 0: none. Monotonic clocks never step.
    public var clockStepEvery: UInt64 = 0
    /// How far a step moves a wall clock (ms; negative: back).
    public var clockStepMillis: ClosedRange<Int64> = -30_000...30_000
    /// Scheduled steps: (simulated second, node, ms). A drill, such as the leader's clock stepping back 30 s.
    public var clockSteps: [ClockStep] = []

    /// One scheduled clock step: at `second`, `node`'s wall clock moves by `millis` (`node` nil: the current leader).
    public struct ClockStep: Sendable, Hashable {
        public var second: UInt64
        public var node: Int?
        public var millis: Int64
        public init(second: UInt64, node: Int?, millis: Int64) {
            self.second = second
            self.node = node
            self.millis = millis
        }
    }

    public init(seed: UInt64) { self.seed = seed }

    /// The options that run `plan`: its communities and settings, its
    /// duration, then `settleSeconds` without new work or faults in which
    /// everything must converge (the campaign's final checks); no campaign faults.
    public static func city(_ plan: CityPlan, settleSeconds: UInt64 = 60) -> NodeSimulationOptions {
        var o = NodeSimulationOptions(seed: plan.seed)
        o.plan = plan
        o.communities = plan.communities.count
        o.faultSeconds = plan.durationSeconds
        o.quietSeconds = settleSeconds
        o.crashEvery = 0
        o.partitionEvery = 0
        o.cityCutEvery = 0
        o.clockStepEvery = 0
        o.referralEvery = 0
        o.submissionsPerSecond = 0
        o.blockInterval = plan.protocolSettings.blockIntervalMillis
        o.compactEveryBlocks = 1_024
        o.referralResendSeconds = 30
        o.retryMillis = 30_000
        return o
    }

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
        o.clockSkewMillis = [0, 200, 2_000][Int(r.below(3))]
        o.clockStepEvery = [0, 0, 8, 15][Int(r.below(4))]
        return o
    }
}
