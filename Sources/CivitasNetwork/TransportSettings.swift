/// How a node's links behave. Each default says why it is what it is.
public struct TransportSettings: Sendable, Hashable {
    /// The largest frame accepted or sent. A sealed block is at most 4 MiB
    /// (GossipLimits.payloadBytes); a block range for catch-up is sent as
    /// several frames. A peer announcing a longer frame is disconnected
    /// before the frame is read.
    public var maxFrameBytes: Int = 8 << 20
    /// A connection whose hello has not arrived (and checked out) by then is
    /// closed: a half-open handshake must not hold a connection slot.
    public var helloTimeout: Duration = .seconds(5)
    /// A keepalive ping is sent after this long without traffic from the peer…
    public var keepaliveInterval: Duration = .seconds(10)
    /// …and the link is closed after this long without any (three missed pings).
    public var idleTimeout: Duration = .seconds(30)
    /// At most this many queued bytes per peer and traffic class; beyond it
    /// `send` refuses the message (the sender sees the peer as slow). Consensus
    /// traffic gets the most room because dropping it costs an election.
    public var queueLimitBytes: [TrafficClass: Int] = [.consensus: 32 << 20, .gossip: 16 << 20, .bulk: 64 << 20]
    /// Connections accepted from others, at most (further ones are closed at once).
    public var maxInbound: Int = 64
    /// Connections this node opens, at most.
    public var maxOutbound: Int = 32
    /// Reconnect delays: exponential from `reconnectBase`, capped at
    /// `reconnectMax`, each multiplied by a random factor in [0.5, 1.5) so
    /// that nodes restarted together do not reconnect in lockstep.
    public var reconnectBase: Duration = .milliseconds(100)
    public var reconnectMax: Duration = .seconds(30)
    /// TCP connect timeout.
    public var connectTimeout: Duration = .seconds(5)
    /// What one peer may send us: frames and bytes per second, with this many
    /// seconds of burst. Far above what gossip and catch-up need (a block
    /// range is a few frames of megabytes), far below what would starve the
    /// node's other links. A peer over the budget is disconnected and banned.
    /// Frames: 100,000/s. Every transaction, vote and Raft append is a frame
    /// of its own, so a community ordering a few thousand transactions a second
    /// sends its peers tens of thousands of frames a second in bursts; 5,000
    /// (the first setting) made validators under load ban each other as
    /// flooders and lose their leader. Bytes stay the tighter bound.
    public var inboundFramesPerSecond: Double = 100_000
    public var inboundBytesPerSecond: Double = 64 * 1024 * 1024
    public var inboundBurstSeconds: Double = 2
    /// How long a peer that misbehaved (flooding, malformed frames, a hello
    /// that contradicts its certificate) is refused.
    public var banDuration: Duration = .seconds(600)

    public init() {}
}
