/// What a dissemination run measured.
public struct GossipSimulationReport: Sendable {
    /// The scenario that ran.
    public let options: GossipSimulationOptions
    /// Nodes up at the end.
    public let liveNodes: Int
    /// Nodes that crashed at least once.
    public let crashedNodes: Int
    /// Payloads published.
    public let messagesPublished: Int
    /// (message, node) pairs that had to be delivered: the node was up at
    /// publication and stayed up to the end.
    public let requiredDeliveries: Int
    /// Required pairs never delivered.
    public let missedDeliveries: Int
    /// Mean over messages of the time until 99% of the required nodes had it.
    public let meanTimeTo99: Duration
    /// Worst message's time to 99%.
    public let maxTimeTo99: Duration
    /// Mean over fully covered messages of the time until the last required node had it.
    public let meanTimeTo100: Duration
    /// Worst message's time to 100%.
    public let maxTimeTo100: Duration
    /// Largest hop count among the first 99% of receivers, over all messages.
    public let maxHopsTo99: UInt32
    /// Largest hop count of any receiver, over fully covered messages.
    public let maxHopsTo100: UInt32
    /// Mean over messages of the largest hop count among the first 99%.
    public let meanHopsTo99: Double
    /// Payload copies received per first delivery (1.0 is perfect: each node got each payload once).
    public let payloadCopiesPerDelivery: Double
    /// Bytes of IHAVE, GRAFT and PRUNE sent, per node, over the run.
    public let controlBytesPerNode: Double
    /// Bytes of payload messages sent, per node, over the run.
    public let payloadBytesPerNode: Double
    /// Messages handed to the simulated network, and lost by it.
    public let messagesSent: Int
    public let messagesLost: Int
    /// Simulation events processed.
    public let events: Int

    /// True if every message reached every node it had to.
    public var complete: Bool { missedDeliveries == 0 && messagesPublished == options.messages }

    /// Milliseconds with two decimals, truncated (`12.34 ms`).
    private static func ms(_ d: Duration) -> String {
        let (whole, micros) = d.wholeMicroseconds.quotientAndRemainder(dividingBy: 1_000)
        let frac = micros / 10
        return "\(whole).\(frac < 10 ? "0" : "")\(frac) ms"
    }

    private static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let v = (x * scale).rounded() / scale
        let s = "\(v)"
        guard let dot = s.firstIndex(of: ".") else { return s }
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        return decimals >= digits ? s : s + String(repeating: "0", count: digits - decimals)
    }

    /// A few lines for a terminal.
    public var summary: String {
        let o = options
        return """
        gossip: \(o.nodes) nodes, seed \(o.seed), loss \(Self.fixed(o.loss * 100, 1))%, churn \(Self.fixed(o.churn * 100, 1))% (\(crashedNodes) crashed), \(messagesPublished) messages
          coverage: \(requiredDeliveries - missedDeliveries)/\(requiredDeliveries) required deliveries\(complete ? " — every message reached every live node" : " — INCOMPLETE: \(missedDeliveries) missed")
          time to 99%: mean \(Self.ms(meanTimeTo99)), max \(Self.ms(maxTimeTo99)); hops to 99%: mean \(Self.fixed(meanHopsTo99, 1)), max \(maxHopsTo99)
          time to 100%: mean \(Self.ms(meanTimeTo100)), max \(Self.ms(maxTimeTo100)); hops to 100%: max \(maxHopsTo100)
          payload copies per node per message: \(Self.fixed(payloadCopiesPerDelivery, 3))
          control bytes per node: \(Int(controlBytesPerNode.rounded())) (\(Int((controlBytesPerNode / Double(max(1, messagesPublished))).rounded())) per message); payload bytes sent per node: \(Int(payloadBytesPerNode.rounded()))
          network: \(messagesSent) messages sent, \(messagesLost) lost; \(events) events
        """
    }
}
