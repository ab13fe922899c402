internal import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasTime

/// Runs thousands of `Plumtree` cores in one process on the virtual clock and
/// simulated links of the kernel (`EventQueue`, `SimNetwork`, `SimRandom`),
/// with message loss and churn, and measures dissemination: time and hops to
/// 99% and 100% coverage, payload copies per node, control bytes per node.
///
/// The simulation plays the node's other parts the way the network shell
/// would: links come up instantly and symmetric; a crash is seen by the
/// neighbours after `failureDetection`; a node under `minimumLinks` opens new
/// links to random live nodes (the membership core's target in a real node).
/// A message must reach every node that was up when it was published and
/// stayed up to the end (a node that restarts catches up by block sync).
public struct GossipSimulation {
    enum Event {
        case deliver(to: Int32, from: Int32, message: GossipMessage)
        case wake(Int32)
        case publish(Int)
        case crash(Int32)
        case restart(Int32)
        case linkDown(node: Int32, peer: Int32)
        case maintain
    }

    struct Node {
        var core: Plumtree
        var up = true
        var links: [Int32] = []
        var wakeAt: SimTime?
        /// When the node last went down (kept across restarts).
        var lastCrash: SimTime?
    }

    public let options: GossipSimulationOptions
    private var nodes: [Node] = []
    private var queue = EventQueue<Event>()
    private var network: SimNetwork
    private var random: SimRandom
    private var now = SimTime.start
    private var ids: [NodeID] = []
    private var indexOf: [NodeID: Int32] = [:]

    // Measurements.
    private var messageIndex: [MessageID: Int] = [:]
    private var publishedAt: [SimTime] = []
    private var upAtPublish: [[Bool]] = []
    /// First receipt time per message per node (SimTime.max: never).
    private var firstAt: [[SimTime]] = []
    private var hops: [[UInt32]] = []
    private var copies = 0
    private var controlBytes = 0
    private var payloadBytesSent = 0
    private var events = 0

    public init(options: GossipSimulationOptions) {
        self.options = options
        random = SimRandom(seed: options.seed)
        network = SimNetwork(profile: .init(baseLatency: options.baseLatency, jitter: options.jitter, loss: options.loss))
    }

    private static func nodeID(_ i: Int) -> NodeID {
        var raw = Bytes16()
        raw.withUnsafeMutableBytes { b in
            withUnsafeBytes(of: UInt64(i).bigEndian) { src in
                for k in 0..<8 { b[8 + k] = src[k] }
            }
            b[0] = 0x9c
        }
        return NodeID(raw: raw)
    }

    /// Runs the scenario to the end and reports.
    public mutating func run() -> GossipSimulationReport {
        let n = options.nodes
        precondition(n >= 2, "a dissemination run needs two nodes")
        ids = (0..<n).map(Self.nodeID)
        for (i, id) in ids.enumerated() { indexOf[id] = Int32(i) }
        var coreSeeds = random.fork()
        nodes = (0..<n).map { _ in Node(core: Plumtree(settings: options.plumtree, seed: coreSeeds.next())) }
        var overlay = random.fork()
        for i in 0..<n { connect(Int32(i), count: options.outboundLinks, using: &overlay) }

        // Workload and faults, drawn up front from their own generators.
        let start = SimTime.start + .seconds(1)
        for k in 0..<options.messages {
            queue.schedule(.publish(k), at: start + options.publishInterval * k)
        }
        let publishEnd = start + options.publishInterval * max(0, options.messages - 1)
        var faults = random.fork()
        let crashes = Int((Double(n) * options.churn).rounded())
        var victims = Array(0..<n)
        victims.shuffle(using: &faults)
        for v in victims.prefix(crashes) {
            let at = start + faults.duration(below: publishEnd - start + options.publishInterval)
            queue.schedule(.crash(Int32(v)), at: at)
            queue.schedule(.restart(Int32(v)), at: at + faults.duration(in: options.downtime))
        }
        queue.schedule(.maintain, at: start)
        let end = publishEnd + options.settle

        publishedAt = []
        firstAt = []
        hops = []
        upAtPublish = []
        var overlayRandom = random.fork()
        while let (time, event) = queue.pop() {
            if time > end { break }
            now = time
            events += 1
            switch event {
            case let .deliver(to, from, message):
                guard nodes[Int(to)].up, nodes[Int(to)].links.contains(from) else { continue }
                let d = nodes[Int(to)].core.receive(message, from: ids[Int(from)], now: gossipNow)
                if case .gossip = message { copies += 1 }
                carry(Int(to), d)
            case let .wake(i):
                guard nodes[Int(i)].up, nodes[Int(i)].wakeAt == time else { continue }
                nodes[Int(i)].wakeAt = nil
                let d = nodes[Int(i)].core.tick(now: gossipNow)
                carry(Int(i), d)
            case let .publish(k):
                publish(k)
            case let .crash(i):
                crash(Int(i))
            case let .restart(i):
                restart(Int(i), using: &overlayRandom)
            case let .linkDown(node, peer):
                unlink(Int(node), peer)
            case .maintain:
                for i in 0..<n where nodes[i].up && nodes[i].links.count < options.minimumLinks {
                    connect(Int32(i), count: options.minimumLinks - nodes[i].links.count, using: &overlayRandom)
                }
                if now + .seconds(1) <= end { queue.schedule(.maintain, at: now + .seconds(1)) }
            }
        }
        return report()
    }

    /// The cores' clock: every core's monotonic clock reads its origin at the run's start.
    private var gossipNow: MonotonicTime { now.monotonic(readingAtStart: .origin) }

    // MARK: Overlay

    private mutating func connect(_ i: Int32, count: Int, using rng: inout SimRandom) {
        var opened = 0, tries = 0
        while opened < count && tries < count * 20 {
            tries += 1
            let j = Int32(rng.below(UInt64(nodes.count)))
            guard j != i, nodes[Int(j)].up, !nodes[Int(i)].links.contains(j) else { continue }
            link(i, j)
            opened += 1
        }
    }

    private mutating func link(_ a: Int32, _ b: Int32) {
        nodes[Int(a)].links.append(b)
        nodes[Int(b)].links.append(a)
        carry(Int(a), nodes[Int(a)].core.peerUp(ids[Int(b)], now: gossipNow))
        carry(Int(b), nodes[Int(b)].core.peerUp(ids[Int(a)], now: gossipNow))
    }

    /// `node` sees its link to `peer` drop.
    private mutating func unlink(_ node: Int, _ peer: Int32) {
        guard nodes[node].up, let k = nodes[node].links.firstIndex(of: peer) else { return }
        nodes[node].links.remove(at: k)
        carry(node, nodes[node].core.peerDown(ids[Int(peer)], now: gossipNow))
    }

    private mutating func crash(_ i: Int) {
        guard nodes[i].up else { return }
        nodes[i].up = false
        nodes[i].lastCrash = now
        nodes[i].wakeAt = nil
        for p in nodes[i].links { queue.schedule(.linkDown(node: p, peer: Int32(i)), at: now + options.failureDetection) }
        nodes[i].links = []
    }

    private mutating func restart(_ i: Int, using rng: inout SimRandom) {
        guard !nodes[i].up else { return }
        nodes[i] = Node(core: Plumtree(settings: options.plumtree, seed: rng.next()), lastCrash: nodes[i].lastCrash)
        connect(Int32(i), count: options.outboundLinks, using: &rng)
    }

    // MARK: Directives

    private mutating func carry(_ i: Int, _ d: PlumtreeDirectives) {
        for s in d.sends {
            guard let to = indexOf[s.to] else { continue }
            let size = s.message.encodedSize
            if case .gossip = s.message {
                payloadBytesSent += size
            } else {
                controlBytes += size
            }
            for at in network.deliveries(from: UInt64(i), to: UInt64(to), now: now, random: &random) {
                queue.schedule(.deliver(to: to, from: Int32(i), message: s.message), at: at)
            }
        }
        for delivery in d.deliveries {
            guard let k = messageIndex[delivery.id] else { continue }
            if firstAt[k][i] == .max {
                firstAt[k][i] = now
                hops[k][i] = delivery.hops
            }
        }
        for (peer, _) in d.disconnects {
            if let j = indexOf[peer] { unlink(i, j); unlink(Int(j), Int32(i)) }
        }
        if let wake = d.nextWakeup {
            let at = max(now, SimTime(notBefore: wake, readingAtStart: .origin))
            if nodes[i].wakeAt.map({ at < $0 }) ?? true {
                nodes[i].wakeAt = at
                queue.schedule(.wake(Int32(i)), at: at)
            }
        }
    }

    private mutating func publish(_ k: Int) {
        let live = (0..<nodes.count).filter { nodes[$0].up }
        guard !live.isEmpty else { return }
        let origin = live[Int(random.below(UInt64(live.count)))]
        var payload = [UInt8](repeating: 0, count: options.payloadBytes)
        withUnsafeBytes(of: UInt64(k).littleEndian) { for j in 0..<min(8, payload.count) { payload[j] = $0[j] } }
        for j in 8..<payload.count { payload[j] = UInt8(truncatingIfNeeded: random.next()) }
        let id = MessageID.of(topic: .communityBlocks, payload: payload)
        messageIndex[id] = publishedAt.count
        publishedAt.append(now)
        upAtPublish.append(nodes.map(\.up))
        var first = [SimTime](repeating: .max, count: nodes.count)
        first[origin] = now
        firstAt.append(first)
        hops.append([UInt32](repeating: 0, count: nodes.count))
        let (_, d) = nodes[origin].core.broadcast(topic: .communityBlocks, payload: payload, now: gossipNow)
        carry(origin, d)
    }

    // MARK: Report

    private func report() -> GossipSimulationReport {
        let n = nodes.count
        // Required receivers: up at publication and never down afterwards.
        var times99: [Duration] = [], times100: [Duration] = [], hops99: [UInt32] = [], hops100: [UInt32] = []
        var missed = 0, firstCopies = 0, required = 0
        for k in publishedAt.indices {
            var got: [(Duration, UInt32)] = []
            var need = 0
            for i in 0..<n where upAtPublish[k][i] && nodes[i].up && (nodes[i].lastCrash.map { $0 < publishedAt[k] } ?? true) {
                need += 1
                if firstAt[k][i] != .max { got.append((firstAt[k][i] - publishedAt[k], hops[k][i])) } else { missed += 1 }
            }
            required += need
            firstCopies += firstAt[k].reduce(0) { $0 + ($1 == .max ? 0 : 1) } - 1
            guard need > 0 else { continue }
            got.sort { $0.0 < $1.0 }
            let idx99 = max(0, Int((Double(need) * 0.99).rounded(.up)) - 1)
            if got.count > idx99 {
                times99.append(got[idx99].0)
                hops99.append(got[0...idx99].map(\.1).max() ?? 0)
            }
            if got.count == need, let last = got.last {
                times100.append(last.0)
                hops100.append(got.map(\.1).max() ?? 0)
            }
        }
        let live = nodes.filter(\.up).count
        return GossipSimulationReport(
            options: options,
            liveNodes: live,
            crashedNodes: nodes.filter { $0.lastCrash != nil }.count,
            messagesPublished: publishedAt.count,
            requiredDeliveries: required,
            missedDeliveries: missed,
            meanTimeTo99: times99.isEmpty ? .zero : times99.reduce(.zero, +) / times99.count,
            maxTimeTo99: times99.max() ?? .zero,
            meanTimeTo100: times100.isEmpty ? .zero : times100.reduce(.zero, +) / times100.count,
            maxTimeTo100: times100.max() ?? .zero,
            maxHopsTo99: hops99.max() ?? 0,
            maxHopsTo100: hops100.max() ?? 0,
            meanHopsTo99: hops99.isEmpty ? 0 : Double(hops99.reduce(0) { $0 + Int($1) }) / Double(hops99.count),
            payloadCopiesPerDelivery: firstCopies == 0 ? 0 : Double(copies) / Double(firstCopies),
            controlBytesPerNode: Double(controlBytes) / Double(n),
            payloadBytesPerNode: Double(payloadBytesSent) / Double(n),
            messagesSent: network.sent,
            messagesLost: network.lost,
            events: events
        )
    }
}
