import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasNodeCore
import CivitasRaft

/// What a planner's city run keeps beside the simulation: the workload's
/// state (each community's open proposal, who voted), the faults and their
/// recoveries, and every measurement the report gives (`CityRun+Report`).
/// The simulation calls it as messages leave, as blocks apply and once a
/// simulated second; it never changes what a node does.
struct CityRun {
    let plan: CityPlan
    let interval: UInt64
    /// The timeline's bucket and the number of buckets over the run's duration.
    let bucket: Duration
    let buckets: Int
    /// Each node's community.
    let communityOf: [Int]

    /// The workload's state (each community's open proposal, who voted).
    var workload: CityWorkload

    // Timeline, per community and bucket
    var submissions: [[Int]]
    var commits: [[Int]]
    var bytes: [[UInt64]]
    var availableSamples: [[Int]]
    var samples: [Int]

    // Traffic
    var bytesSent: [UInt64]
    var linkBytes: [SimNetwork.GroupPair: UInt64] = [:]
    /// Per community, messages sent by label (`labels`).
    var messages: [[UInt64]]

    // Blocks
    /// Per community: when each checkpoint height committed (first applied anywhere).
    var checkpointCommitted: [[UInt64: SimTime]]
    /// Per community: heights holding notices, with the notices' count, the commit time and every node's apply time.
    var notices: [[UInt64: NoticeTrack]]
    /// Per (anchoring community, anchored community): when each checkpoint height was first anchored.
    var anchoredFirst: [Pair: [UInt64: SimTime]] = [:]
    /// Per (anchoring, anchored): the highest checkpoint anchored so far.
    var maxAnchored: [Pair: UInt64] = [:]
    /// Per node, per anchored community: (height, time) of each anchor it applied, in order.
    var nodeAnchors: [[Int: [(height: UInt64, time: SimTime)]]]

    // Leaders
    var lastLeader: [NodeID?]
    var lastTerm: [UInt64]
    var elections: [Int]
    var leaderChanges: [Int]

    var faults: [FaultState] = []

    struct Pair: Hashable {
        let by: Int, of: Int
    }

    struct NoticeTrack {
        var count: Int
        var committed: SimTime
        var applies: [SimTime]
    }

    /// A fault as it ran: what, where, when, whom it touched and when the city recovered.
    struct FaultState {
        var kind: CityPlan.FaultKind
        var drill: Bool
        var community: Int?
        var validator: Int?
        var length: UInt64
        var loss: Double
        var stepMillis: Int64
        var nodes: [Int] = []
        var start: SimTime?
        var end: SimTime?
        /// Each community's last checkpoint height when the fault ended: anchoring must catch up to it.
        var baseline: [UInt64] = []
        var recovered: SimTime?
    }

    /// Bytes a message costs on the wire beyond its encoding: the frame's
    /// length and type, and the TLS record's header and tag (TCP/IP headers not counted).
    static let framing = 30

    init(plan: CityPlan, communityOf: [Int]) {
        self.plan = plan
        self.communityOf = communityOf
        interval = plan.protocolSettings.checkpointInterval
        let n = plan.communities.count
        let bucketSeconds = max(1, (plan.durationSeconds + 59) / 60)
        bucket = .seconds(bucketSeconds)
        buckets = Int((plan.durationSeconds + bucketSeconds - 1) / bucketSeconds)
        workload = CityWorkload(plan: plan, communities: plan.communities.indices.map { SimCommunity.id(community: $0, plan: plan) })
        submissions = Array(repeating: Array(repeating: 0, count: buckets), count: n)
        commits = submissions
        availableSamples = submissions
        bytes = Array(repeating: Array(repeating: 0, count: buckets), count: n)
        samples = Array(repeating: 0, count: buckets)
        bytesSent = Array(repeating: 0, count: communityOf.count)
        messages = Array(repeating: Array(repeating: 0, count: Self.labels.count), count: n)
        checkpointCommitted = Array(repeating: [:], count: n)
        notices = Array(repeating: [:], count: n)
        nodeAnchors = Array(repeating: [:], count: communityOf.count)
        lastLeader = Array(repeating: nil, count: n)
        lastTerm = Array(repeating: 0, count: n)
        elections = Array(repeating: 0, count: n)
        leaderChanges = Array(repeating: 0, count: n)
    }

    /// The bucket of `time`, if within the run's duration.
    func bucket(of time: SimTime) -> Int? {
        let b = Int(time.sinceStart.wholeMicroseconds / bucket.wholeMicroseconds)
        return b < buckets ? b : nil
    }

    mutating func addFault(_ d: CityPlan.Drill, drill: Bool, node: Int?) -> Int {
        faults.append(FaultState(kind: d.kind, drill: drill, community: d.community, validator: d.validator, length: d.lengthSeconds,
                                 loss: d.loss, stepMillis: d.stepMillis))
        return faults.count - 1
    }

    mutating func submitted(community c: Int, at now: SimTime) {
        if let b = bucket(of: now) { submissions[c][b] += 1 }
    }

    // MARK: - Traffic

    /// A message of `size` bytes (its encoding) left node `i` for node `j`.
    mutating func sent(_ label: Int, size: Int, from i: Int, to j: Int, at now: SimTime) {
        let bytes = UInt64(size + Self.framing)
        let c = communityOf[i]
        bytesSent[i] += bytes
        if let b = bucket(of: now) { self.bytes[c][b] += bytes }
        if communityOf[j] != c { linkBytes[SimNetwork.GroupPair(c, communityOf[j]), default: 0] += bytes }
        messages[c][label] += 1
    }

    /// The report's names of messages, by index: counting a message costs no string.
    static let labels: [String] = ["consensus", "block.vote", "raft"] + MessageType.allCases.map { "raft.\($0)" }
        + ["swim.ping", "swim.ack", "swim.ping-request", "swim.nack", "swim.sync", "swim.digest"]
        + GossipTopic.allCases.map { "plumtree.\($0)" }
        + ["plumtree.ihave", "plumtree.graft", "plumtree.prune", "sync.status", "sync.request", "sync.blocks", "plumtree"]
    private static let raftLabels: [Int] = {
        var table = Array(repeating: 2, count: 256)
        for (k, type) in MessageType.allCases.enumerated() { table[Int(type.rawValue)] = 3 + k }
        return table
    }()
    private static let swimBase = 3 + MessageType.allCases.count
    private static let topicBase = swimBase + 6
    private static let afterTopics = topicBase + GossipTopic.allCases.count
    private static let topicLabels: [Int] = {
        var table = Array(repeating: 0, count: 256)
        for (k, topic) in GossipTopic.allCases.enumerated() { table[Int(topic.rawValue)] = topicBase + k }
        return table
    }()

    /// A consensus message's name (an index into `labels`): after the
    /// object's type and version bytes, 0 (Raft, then its message type) or 1 (a block vote).
    static func label(consensus bytes: [UInt8]) -> Int {
        guard bytes.count > 3 else { return 0 }
        if bytes[2] == 1 { return 1 }
        return raftLabels[Int(bytes[3])]
    }

    /// A gossip message's name (an index into `labels`).
    static func label(gossip message: GossipMessage) -> Int {
        switch message {
        case .ping: swimBase
        case .ack: swimBase + 1
        case .pingRequest: swimBase + 2
        case .nack: swimBase + 3
        case .sync: swimBase + 4
        case .digest: swimBase + 5
        case let .gossip(topic, _, _, _): topicLabels[Int(topic.rawValue)]
        case .ihave: afterTopics
        case .graft: afterTopics + 1
        case .prune: afterTopics + 2
        case .chainStatus: afterTopics + 3
        case .blockRequest: afterTopics + 4
        case .blockResponse: afterTopics + 5
        }
    }

    /// The report's name of a gossip message a node's transport counted by
    /// kind (`GossipMessage.kindName`, a live run's count): the label above,
    /// but a payload without its topic ("plumtree").
    static func label(gossipKind kind: String) -> Int? {
        let name = ["ping": "swim.ping", "ack": "swim.ack", "ping-request": "swim.ping-request", "nack": "swim.nack", "sync": "swim.sync",
                    "digest": "swim.digest", "gossip": "plumtree", "ihave": "plumtree.ihave", "graft": "plumtree.graft", "prune": "plumtree.prune",
                    "chain-status": "sync.status", "block-request": "sync.request", "block-response": "sync.blocks"][kind]
        return name.flatMap { labels.firstIndex(of: $0) }
    }

    // MARK: - Blocks

    /// Node `i` of community `c` applied `block` (`first`: the first node of its community to).
    mutating func applied(_ block: SealedBlock, node i: Int, community c: Int, first: Bool, at now: SimTime,
                          communityIndex: (CommunityID) -> Int?, appliedOK: (Hash) -> Bool) {
        let h = block.height
        let own = block.block.transactions.first?.community
        if first {
            if let b = bucket(of: now) { commits[c][b] += block.block.transactions.count }
            if h % interval == 0 { checkpointCommitted[c][h] = now }
            let count = block.block.transactions.filter { $0.kind == .notice }.count
            if count > 0 { notices[c][h] = NoticeTrack(count: count, committed: now, applies: []) }
        }
        if notices[c][h] != nil { notices[c][h]!.applies.append(now) }
        for tx in block.block.transactions {
            guard case let .checkpoint(cp) = tx.payload, cp.community != own ?? cp.community, let of = communityIndex(cp.community), of != c,
                  appliedOK(tx.id) else { continue }
            let height = cp.certificate.height
            nodeAnchors[i][of, default: []].append((height, now))
            let pair = Pair(by: c, of: of)
            if anchoredFirst[pair]?[height] == nil {
                anchoredFirst[pair, default: [:]][height] = now
                maxAnchored[pair] = max(maxAnchored[pair] ?? 0, height)
            }
        }
    }

    /// Each community's last checkpoint height now.
    func lastCheckpoints(_ sim: NodeSimulation) -> [UInt64] {
        sim.canonical.map { (($0.keys.max() ?? 0) / interval) * interval }
    }

    // MARK: - Once a second

    mutating func sample(_ sim: NodeSimulation) {
        let now = sim.now
        let b = bucket(of: now)
        if let b { samples[b] += 1 }
        for c in plan.communities.indices {
            sample(community: c, canCommit: sim.canCommit(c), term: sim.validators(c).compactMap { sim.nodes[$0].process?.driver.core.raft?.term }.max(),
                   leader: sim.leader(of: c).map { sim.nodes[$0].id }, at: now)
        }
        for k in faults.indices where faults[k].start != nil && faults[k].end != nil && faults[k].recovered == nil {
            if recovered(faults[k], sim) { faults[k].recovered = now }
        }
    }

    /// Community `c` seen at `now`: whether it could commit, its validators'
    /// highest term (nil: none known) and its leader (nil: none).
    mutating func sample(community c: Int, canCommit: Bool, term: UInt64?, leader: NodeID?, at now: SimTime) {
        if let b = bucket(of: now), canCommit { availableSamples[c][b] += 1 }
        let term = term ?? lastTerm[c]
        if term > lastTerm[c] {
            elections[c] += Int(term - lastTerm[c])
            lastTerm[c] = term
        }
        if let leader, leader != lastLeader[c] {
            if lastLeader[c] != nil { leaderChanges[c] += 1 }
            lastLeader[c] = leader
        }
    }

    /// Node `i` sent `bytes` more (as its transport counted them) and these
    /// gossip messages by kind (`GossipMessage.kindName`), up to `now`: the
    /// live runner's traffic, read from each node's counters.
    mutating func sent(bytes: UInt64, messages: [String: UInt64], from i: Int, at now: SimTime) {
        let c = communityOf[i]
        bytesSent[i] += bytes
        if let b = bucket(of: now) { self.bytes[c][b] += bytes }
        for (kind, count) in messages where count > 0 {
            if let label = Self.label(gossipKind: kind) { self.messages[c][label] += count }
        }
    }

    /// A fault is over once its community commits again, every node it
    /// touched is back at its community's head, and (for the city's faults)
    /// anchoring caught up with the checkpoints made before it ended.
    func recovered(_ fault: FaultState, _ sim: NodeSimulation) -> Bool {
        let touched = fault.community.map { [$0] } ?? Array(plan.communities.indices)
        for c in touched {
            guard sim.canCommit(c) else { return false }
            let head = sim.members(c).filter { sim.nodes[$0].alive }.map { sim.nodes[$0].storedHeight }.max() ?? 0
            for i in fault.nodes where sim.nodes[i].storedHeight < head || !sim.nodes[i].alive { return false }
        }
        switch fault.kind {
        case .communityOffline, .gatewayDown, .lossyCityLinks:
            for c in touched {
                for d in plan.communities.indices where d != c {
                    if (maxAnchored[Pair(by: d, of: c)] ?? 0) < fault.baseline[c] { return false }
                    if (maxAnchored[Pair(by: c, of: d)] ?? 0) < fault.baseline[d] { return false }
                }
            }
        default:
            break
        }
        return true
    }
}
