/// Simulated links between numbered nodes: latency with jitter (which also
/// reorders), loss, duplication, clogging and partitions of every shape.
public struct SimNetwork: Sendable {
    /// How one direction of a link behaves.
    public struct LinkProfile: Sendable, Hashable {
        /// Fixed one-way delay.
        public var baseLatency: Duration
        /// Extra delay drawn uniformly from [0, jitter]; different draws reorder messages.
        public var jitter: Duration
        /// Probability a message is lost.
        public var loss: Double
        /// Probability a message is delivered twice.
        public var duplication: Double
        /// Probability a message takes the slow path (a retransmission, a queue
        /// behind a burst): the long tail of the latency distribution.
        public var tailProbability: Double
        /// Extra delay on the slow path, drawn uniformly from [0, tailLatency].
        public var tailLatency: Duration
        /// The link's capacity in bytes per second (0: unlimited): a message
        /// waits behind the ones before it on the same link, then takes its
        /// size over this rate.
        public var bytesPerSecond: Double

        public init(baseLatency: Duration, jitter: Duration, loss: Double = 0, duplication: Double = 0,
                    tailProbability: Double = 0, tailLatency: Duration = .zero, bytesPerSecond: Double = 0) {
            self.baseLatency = baseLatency
            self.jitter = jitter
            self.loss = loss
            self.duplication = duplication
            self.tailProbability = tailProbability
            self.tailLatency = tailLatency
            self.bytesPerSecond = bytesPerSecond
        }
    }

    /// The shapes of partition a campaign draws from.
    public enum PartitionKind: String, Sendable, CaseIterable {
        /// Two groups that cannot reach each other.
        case symmetric
        /// Messages from one group to the other are lost, the reverse delivered.
        case asymmetric
        /// One node cut off from all others.
        case isolateOne
        /// The current leader cut off (the caller picks the node).
        case isolateLeader
        /// A majority and a minority.
        case majorityMinority
        /// Two groups that cannot reach each other, and one bridge node that reaches both.
        case bridge
    }

    public var profile: LinkProfile
    /// Links between nodes of different groups (a city's communities) take
    /// this profile when it is set: their gateways talk over the city's links.
    public var crossGroupProfile: LinkProfile?
    /// Each node's group (nodes not listed are in group 0).
    public var groups: [UInt64: Int] = [:] {
        didSet { groupTable = Self.table(groups) }
    }
    /// `groups` as an array by node, when the nodes are numbered densely
    /// from 0 (a city's are): every message looks up two groups.
    private var groupTable: [Int] = []
    /// Links inside a group take its profile when one is set (a community's own network).
    public var groupProfiles: [Int: LinkProfile] = [:]
    /// Links between two groups take their pair's profile when one is set
    /// (a city link by its class and distance), else `crossGroupProfile`.
    public var pairProfiles: [GroupPair: LinkProfile] = [:]
    /// Groups cut off from every other group (a community's city link down).
    public var isolatedGroups: Set<Int> = []
    /// Nodes cut off from every other node.
    public var isolatedNodes: Set<UInt64> = []
    /// Loss added to every link between groups (a drill: lossy city links).
    public var extraCrossGroupLoss: Double = 0
    /// When each directed link is free again (links with a capacity).
    private var busyUntil: [Pair: SimTime] = [:]

    /// Two groups, in either order.
    public struct GroupPair: Hashable, Sendable {
        public let a: Int, b: Int
        public init(_ x: Int, _ y: Int) { (a, b) = x < y ? (x, y) : (y, x) }
    }
    /// Directed pairs (from, to) whose messages are dropped.
    private(set) var blocked: Set<Pair> = []
    /// Until when each node's traffic is clogged (held back), and by how much.
    private var clogged: [UInt64: (until: SimTime, delay: Duration)] = [:]
    /// Messages sent, lost, duplicated (for reports).
    public private(set) var sent = 0, lost = 0, duplicated = 0

    struct Pair: Hashable, Sendable {
        let from: UInt64
        let to: UInt64
    }

    public init(profile: LinkProfile) { self.profile = profile }

    private static func table(_ groups: [UInt64: Int]) -> [Int] {
        guard let last = groups.keys.max(), last < UInt64(groups.count) * 2 + 64 else { return [] }
        var table = Array(repeating: 0, count: Int(last) + 1)
        for (node, group) in groups { table[Int(node)] = group }
        return table
    }

    /// The group of `node`.
    @inline(__always) func group(_ node: UInt64) -> Int {
        node < UInt64(groupTable.count) ? groupTable[Int(node)] : groups[node, default: 0]
    }

    /// The delivery times of one message: none (lost), one, or two
    /// (duplicated). A value, not an array: every message sent asks for one.
    public struct Deliveries: Sequence, IteratorProtocol {
        var first: SimTime?
        var second: SimTime?

        public mutating func next() -> SimTime? {
            defer { (first, second) = (second, nil) }
            return first
        }
    }

    /// The delivery times of one message sent now: none (lost), one, or two (duplicated).
    /// `size` (bytes) counts on a link with a capacity.
    public mutating func deliveries(from: UInt64, to: UInt64, size: Int = 0, now: SimTime, random: inout SimRandom) -> Deliveries {
        sent += 1
        let profile = profile(from: from, to: to)
        if isBlocked(from: from, to: to) || random.chance(profile.loss) {
            lost += 1
            return Deliveries()
        }
        var extra = Duration.zero
        if profile.bytesPerSecond > 0 {
            let pair = Pair(from: from, to: to)
            let start = max(now, busyUntil[pair] ?? now)
            let done = start + .microseconds(Int64((Double(size) / profile.bytesPerSecond * 1e6).rounded(.up)))
            busyUntil[pair] = done
            extra += done - now
        }
        if !clogged.isEmpty {
            for node in [from, to] {
                if let c = clogged[node], c.until > now { extra = max(extra, c.delay) }
            }
        }
        if random.chance(profile.tailProbability) { extra += random.duration(in: .zero...profile.tailLatency) }
        let first = now + profile.baseLatency + random.duration(in: .zero...profile.jitter) + extra
        if random.chance(profile.duplication) {
            duplicated += 1
            return Deliveries(first: first, second: now + profile.baseLatency + random.duration(in: .zero...(profile.jitter * 4 + .microseconds(1))) + extra)
        }
        return Deliveries(first: first)
    }

    /// The profile of the link from `from` to `to`.
    public func profile(from: UInt64, to: UInt64) -> LinkProfile {
        let (g, h) = (group(from), group(to))
        if g == h { return groupProfiles[g] ?? profile }
        var cross = pairProfiles[GroupPair(g, h)] ?? crossGroupProfile ?? profile
        cross.loss = min(1, cross.loss + extraCrossGroupLoss)
        return cross
    }

    /// True while a partition (or a cut group or node) drops messages from `from` to `to`.
    public func isBlocked(from: UInt64, to: UInt64) -> Bool {
        if !isolatedNodes.isEmpty, isolatedNodes.contains(from) || isolatedNodes.contains(to) { return true }
        if !isolatedGroups.isEmpty {
            let (g, h) = (group(from), group(to))
            if g != h, isolatedGroups.contains(g) || isolatedGroups.contains(h) { return true }
        }
        return !blocked.isEmpty && blocked.contains(Pair(from: from, to: to))
    }

    /// Drops all messages from any of `a` to any of `b` (one direction).
    public mutating func block(from a: [UInt64], to b: [UInt64]) {
        for x in a { for y in b where x != y { blocked.insert(Pair(from: x, to: y)) } }
    }

    /// Cuts `a` and `b` apart in both directions.
    public mutating func separate(_ a: [UInt64], _ b: [UInt64]) {
        block(from: a, to: b)
        block(from: b, to: a)
    }

    /// Holds back every message to or from `node` by `delay` until `until`.
    public mutating func clog(_ node: UInt64, delay: Duration, until: SimTime) {
        clogged[node] = (until, delay)
    }

    /// Removes every partition and clog.
    public mutating func heal() {
        blocked.removeAll()
        clogged.removeAll()
    }

    /// Applies a partition of `kind` over `nodes`; `focus` is the node to isolate
    /// (for isolateOne/isolateLeader) or the bridge. Returns a description.
    @discardableResult
    public mutating func partition(_ kind: PartitionKind, nodes: [UInt64], focus: UInt64?, random: inout SimRandom) -> String {
        let shuffled = nodes.shuffled(using: &random)
        switch kind {
        case .symmetric, .majorityMinority:
            let cut = kind == .majorityMinority ? nodes.count / 2 + 1 : 1 + Int(random.below(UInt64(max(1, nodes.count - 1))))
            let a = Array(shuffled[..<cut]), b = Array(shuffled[cut...])
            separate(a, b)
            return "\(kind.rawValue) \(a.sorted()) | \(b.sorted())"
        case .asymmetric:
            let cut = 1 + Int(random.below(UInt64(max(1, nodes.count - 1))))
            let a = Array(shuffled[..<cut]), b = Array(shuffled[cut...])
            block(from: a, to: b)
            return "asymmetric \(a.sorted()) -/-> \(b.sorted())"
        case .isolateOne, .isolateLeader:
            let n = focus ?? shuffled[0]
            separate([n], nodes.filter { $0 != n })
            return "\(kind.rawValue) \(n)"
        case .bridge:
            let bridge = focus ?? shuffled[0]
            let rest = shuffled.filter { $0 != bridge }
            let cut = max(1, rest.count / 2)
            let a = Array(rest[..<cut]), b = Array(rest[cut...])
            separate(a, b)
            return "bridge \(bridge) between \(a.sorted()) and \(b.sorted())"
        }
    }
}
