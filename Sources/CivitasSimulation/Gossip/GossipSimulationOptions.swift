public import CivitasGossip

/// A dissemination scenario: how many nodes, how lossy the links, how much
/// churn, how many messages. Everything else is drawn from `seed`.
public struct GossipSimulationOptions: Sendable {
    /// Nodes in the overlay.
    public var nodes: Int
    /// The run's seed: the same options and seed give the same report.
    public var seed: UInt64
    /// Probability that any one message on any link is lost.
    public var loss: Double
    /// Fraction of nodes that crash during the publishing phase (each restarts
    /// after `downtime` with empty state and new links).
    public var churn: Double
    /// Payloads published, from random live nodes.
    public var messages: Int
    /// Time between two publications.
    public var publishInterval: Duration = .milliseconds(200)
    /// Payload size in bytes.
    public var payloadBytes: Int = 256
    /// Links each node opens when it starts (the overlay's average degree is about twice this).
    public var outboundLinks: Int = 3
    /// Below this many links a node opens more (what the membership core's target does in a node).
    public var minimumLinks: Int = 3
    /// One-way latency and jitter of every link.
    public var baseLatency: Duration = .milliseconds(10)
    /// Uniform extra delay in [0, jitter].
    public var jitter: Duration = .milliseconds(10)
    /// Time from a crash until the crashed node's neighbours see the link drop (keepalive / SWIM detection).
    public var failureDetection: Duration = .seconds(1)
    /// Time a crashed node stays down, drawn uniformly from this range.
    public var downtime: ClosedRange<Duration> = .seconds(2) ... .seconds(8)
    /// Time after the last publication before coverage is measured.
    public var settle: Duration = .seconds(20)
    /// The dissemination core's settings.
    public var plumtree: PlumtreeSettings = .init()

    public init(nodes: Int, seed: UInt64, loss: Double = 0, churn: Double = 0, messages: Int = 20) {
        self.nodes = nodes
        self.seed = seed
        self.loss = loss
        self.churn = churn
        self.messages = messages
    }
}
