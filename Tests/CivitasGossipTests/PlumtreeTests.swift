import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasTime
import Testing

/// A few Plumtree cores on scripted links: 1 ms steps, a per-link latency,
/// and a filter that can drop chosen messages.
struct TreeNet {
    struct InFlight {
        var at: MonotonicTime
        var from: Int
        var to: Int
        var message: GossipMessage
    }

    var nodes: [Plumtree]
    var links: Set<[Int]> = []
    var now: MonotonicTime = .origin
    var inFlight: [InFlight] = []
    var wake: [MonotonicTime?]
    var delivered: [[MessageID]]
    var copies: [Int]
    var disconnects: [(node: Int, peer: NodeID, reason: Misbehaviour)] = []
    var sent: [(from: Int, to: Int, message: GossipMessage)] = []
    var drop: (Int, Int, GossipMessage, MonotonicTime) -> Bool = { _, _, _, _ in false }

    init(count: Int, settings: PlumtreeSettings = .init()) {
        nodes = (0..<count).map { Plumtree(settings: settings, seed: UInt64($0)) }
        wake = Array(repeating: nil, count: count)
        delivered = Array(repeating: [], count: count)
        copies = Array(repeating: 0, count: count)
    }

    static func id(_ i: Int) -> NodeID { Fixtures.id(i) }

    func index(_ id: NodeID) -> Int { (0..<nodes.count).first { Self.id($0) == id }! }

    /// Latency of the link a–b: distinct per link so the first copy is predictable.
    func latency(_ a: Int, _ b: Int) -> Duration { .milliseconds(2 + (a * 7 + b * 3) % 5) }

    mutating func link(_ a: Int, _ b: Int) {
        links.insert([min(a, b), max(a, b)])
        carry(a, nodes[a].peerUp(Self.id(b), now: now))
        carry(b, nodes[b].peerUp(Self.id(a), now: now))
    }

    mutating func fullMesh() {
        for a in nodes.indices { for b in nodes.indices where a < b { link(a, b) } }
    }

    mutating func carry(_ i: Int, _ d: PlumtreeDirectives) {
        for s in d.sends {
            let j = index(s.to)
            sent.append((i, j, s.message))
            if drop(i, j, s.message, now) { continue }
            inFlight.append(InFlight(at: now + latency(i, j), from: i, to: j, message: s.message))
        }
        for delivery in d.deliveries { delivered[i].append(delivery.id) }
        for (peer, reason) in d.disconnects { disconnects.append((i, peer, reason)) }
        if let w = d.nextWakeup { wake[i] = min(wake[i] ?? w, w) }
    }

    mutating func broadcast(from i: Int, _ text: String) -> MessageID {
        let (id, d) = nodes[i].broadcast(topic: .communityTransactions, payload: Array(text.utf8), now: now)
        delivered[i].append(id)
        carry(i, d)
        return id
    }

    mutating func run(for duration: Duration) {
        let until = now + duration
        while now < until {
            now += .milliseconds(1)
            let due = inFlight.filter { $0.at <= now }
            inFlight.removeAll { $0.at <= now }
            for m in due where links.contains([min(m.from, m.to), max(m.from, m.to)]) {
                if case .gossip = m.message { copies[m.to] += 1 }
                carry(m.to, nodes[m.to].receive(m.message, from: Self.id(m.from), now: now))
            }
            for i in nodes.indices {
                if let w = wake[i], w <= now {
                    wake[i] = nil
                    carry(i, nodes[i].tick(now: now))
                }
            }
        }
    }

    var eagerEdges: Int { nodes.reduce(0) { $0 + $1.eagerPeers.count } / 2 }
}

@Suite("Plumtree dissemination")
struct PlumtreeTests {
    @Test func theFirstBroadcastPrunesAFullMeshToASpanningTreeAndLaterOnesArriveOnce() {
        var net = TreeNet(count: 8)
        net.fullMesh()
        #expect(net.eagerEdges == 28)
        let first = net.broadcast(from: 0, "first")
        net.run(for: .milliseconds(500))
        #expect(net.delivered.allSatisfy { $0 == [first] })
        #expect(net.eagerEdges == 7, "eager links form a spanning tree of 8 nodes")
        for i in 0..<8 {
            // Eager and lazy partition each node's links; the eager graph is symmetric.
            #expect(net.nodes[i].eagerPeers.count + net.nodes[i].lazyPeers.count == 7)
            for p in net.nodes[i].eagerPeers { #expect(net.nodes[net.index(p)].eagerPeers.contains(TreeNet.id(i))) }
        }
        // A later message from another origin travels the same tree and leaves it intact.
        net.copies = Array(repeating: 0, count: 8)
        let treeDegree = net.nodes[5].eagerPeers.count
        let prunes = net.nodes.reduce(0) { $0 + $1.stats.prunesSent }
        let second = net.broadcast(from: 5, "second")
        net.run(for: .milliseconds(500))
        #expect(net.delivered.allSatisfy { $0.last == second && $0.count == 2 })
        #expect(net.eagerEdges == 7)
        #expect(net.nodes.reduce(0) { $0 + $1.stats.prunesSent } == prunes, "no prunes: the tree had no cycle left")
        // The origin pushes to all 7 neighbours (so its crash cannot lose the message); the tree
        // copy still reaches the nodes outside its own subtree edges, and nothing else moves.
        #expect(net.copies.reduce(0, +) == 7 + (7 - treeDegree), "\(net.copies)")
    }

    @Test func aLostEagerCopyIsGraftedFromALazyNeighbourAfterTheTimeout() {
        var net = TreeNet(count: 3)
        net.fullMesh()
        _ = net.broadcast(from: 0, "build the tree")
        net.run(for: .milliseconds(500))
        // A leaf of the tree: one eager link (its parent) and one lazy link.
        let leaf = (0..<3).first { net.nodes[$0].eagerPeers.count == 1 }!
        let parent = net.index(net.nodes[leaf].eagerPeers[0])
        let other = (0..<3).first { $0 != leaf && $0 != parent }!
        #expect(net.nodes[leaf].lazyPeers == [TreeNet.id(other)])
        // The parent's next payload copy to the leaf is lost.
        net.drop = { from, to, m, _ in if case .gossip = m { return from == parent && to == leaf }; return false }
        let id = net.broadcast(from: parent, "lost on the way to the leaf")
        net.run(for: .milliseconds(120))
        #expect(!net.delivered[leaf].contains(id), "not before the missing timeout (150 ms)")
        net.run(for: .milliseconds(300))
        #expect(net.delivered[leaf].contains(id))
        #expect(net.nodes[leaf].stats.graftsSent == 1)
        #expect(net.sent.contains { $0.from == leaf && $0.to == other && $0.message == .graft([id]) })
        #expect(net.nodes[leaf].eagerPeers.contains(TreeNet.id(other)), "the graft made the lazy link eager")
    }

    @Test func aMessageSurvivesItsOriginCrashingRightAfterPublishingWithItsTreeCopyLost() {
        var net = TreeNet(count: 6)
        net.fullMesh()
        _ = net.broadcast(from: 0, "tree")
        net.run(for: .milliseconds(500))
        let origin = (0..<6).first { net.nodes[$0].eagerPeers.count == 1 && net.nodes[$0].lazyPeers.count == 4 }!
        let treePeer = net.index(net.nodes[origin].eagerPeers[0])
        let publishedAt = net.now
        // The tree copy is lost, and the origin sends nothing after the instant it published (it crashed).
        net.drop = { from, to, m, now in
            guard from == origin else { return false }
            if now > publishedAt { return true }
            if case .gossip = m { return to == treePeer }
            return false
        }
        let id = net.broadcast(from: origin, "published just before a crash")
        net.run(for: .milliseconds(2_000))
        for i in 0..<6 where i != origin { #expect(net.delivered[i].contains(id), "node \(i)") }
    }

    @Test func graftsRotateThroughAnnouncersWhenAnswersAreLost() {
        var net = TreeNet(count: 4)
        net.fullMesh()
        _ = net.broadcast(from: 0, "tree")
        net.run(for: .milliseconds(500))
        // Node 3 gets no payload copy from anyone for 600 ms: its first grafts go unanswered.
        let cutoff = net.now + .milliseconds(600)
        net.drop = { _, to, m, now in if case .gossip = m { return to == 3 && now < cutoff }; return false }
        let id = net.broadcast(from: 0, "hard to get")
        net.run(for: .milliseconds(2_000))
        #expect(net.delivered[3].contains(id))
        #expect(net.nodes[3].stats.graftsSent >= 2, "retried after the graft timeout")
        let asked = Set(net.sent.filter { $0.from == 3 && $0.message == .graft([id]) }.map(\.to))
        #expect(asked.count >= 2, "grafts went to more than one announcer: \(asked)")
    }

    @Test func theDedupCacheIsBounded() {
        var ids = BoundedIDSet<Int>(capacity: 3)
        for k in 1...5 { ids.insert(k) }
        #expect(ids.count == 3)
        #expect(!ids.contains(1) && !ids.contains(2) && ids.contains(3) && ids.contains(5))
        let again = ids.insert(5)
        #expect(!again)

        var settings = PlumtreeSettings()
        settings.dedupCapacity = 16
        settings.payloadCacheCount = 4
        var net = TreeNet(count: 2, settings: settings)
        net.link(0, 1)
        for k in 0..<100 { _ = net.broadcast(from: 0, "message \(k)") }
        net.run(for: .milliseconds(200))
        #expect(net.delivered[1].count == 100)
        #expect(net.nodes[0].dedupCount == 16 && net.nodes[1].dedupCount == 16)
    }

    @Test func aFloodingPeerIsDisconnectedAndKeptOutUntilItsBanEnds() {
        var settings = PlumtreeSettings()
        settings.policy.messagesPerSecond = 10
        settings.policy.burstMessages = 20
        settings.policy.floodPenalty = 5
        settings.policy.banThreshold = -50
        settings.policy.banDuration = .seconds(60)
        var node = Plumtree(settings: settings, seed: 1)
        let flooder = Fixtures.id(66), honest = Fixtures.id(67)
        _ = node.peerUp(flooder, now: .origin)
        _ = node.peerUp(honest, now: .origin)
        var bannedAfter: Int?
        for k in 0..<100 {
            let payload = Array("spam \(k)".utf8)
            let d = node.receive(.gossip(topic: .communityTransactions, round: 0, id: .of(topic: .communityTransactions, payload: payload), payload: payload), from: flooder, now: .origin + .microseconds(k))
            if d.disconnects.contains(where: { $0.peer == flooder && $0.reason == .flooding }) { bannedAfter = k + 1; break }
        }
        #expect(bannedAfter == 30, "20 within the burst, then 10 over the limit at 5 points each")
        #expect(!node.eagerPeers.contains(flooder) && !node.lazyPeers.contains(flooder))
        #expect(node.eagerPeers == [honest])
        // It reconnects: refused while banned, accepted after.
        #expect(node.peerUp(flooder, now: .origin + .seconds(30)).disconnects.count == 1)
        #expect(node.peerUp(flooder, now: .origin + .seconds(61)).disconnects.isEmpty)
        #expect(node.eagerPeers.contains(flooder))
    }

    @Test func invalidMessagesArePenalisedAndNeverForwarded() {
        var node = Plumtree(seed: 2)
        let bad = Fixtures.id(70), other = Fixtures.id(71)
        _ = node.peerUp(bad, now: .origin)
        _ = node.peerUp(other, now: .origin)
        let payload = Array("a valid looking transaction".utf8)
        // 1. The ID is not the payload's hash.
        var d = node.receive(.gossip(topic: .communityTransactions, round: 0, id: .of(topic: .communityBlocks, payload: payload), payload: payload), from: bad, now: .origin + .nanoseconds(1))
        #expect(d.deliveries.isEmpty && d.sends.isEmpty)
        #expect(node.policy.score(of: bad) == -25)
        // 2. A topic this overlay does not carry.
        d = node.receive(.gossip(topic: .cityCheckpoints, round: 0, id: .of(topic: .cityCheckpoints, payload: payload), payload: payload), from: bad, now: .origin + .nanoseconds(2))
        #expect(d.deliveries.isEmpty && d.sends.isEmpty)
        #expect(node.policy.score(of: bad) == -50)
        // 3. The application refuses the payload (say, a bad transaction signature).
        d = node.receive(.gossip(topic: .communityTransactions, round: 0, id: .of(topic: .communityTransactions, payload: payload), payload: payload), from: bad, now: .origin + .nanoseconds(3)) { _, _ in false }
        #expect(d.deliveries.isEmpty && d.sends.isEmpty)
        #expect(node.policy.score(of: bad) == -75)
        // 4. A membership message on the dissemination channel: the fourth strike bans.
        d = node.receive(.nack(sequence: 1), from: bad, now: .origin + .nanoseconds(4))
        #expect(d.disconnects.map(\.peer) == [bad])
        #expect(node.eagerPeers == [other])
        #expect(node.policy.score(of: other) == 0, "healthy peers are untouched")
    }

    @Test func anAnnouncerManyHopsCloserBecomesTheParentAndTheOldParentIsPruned() {
        let (p, q, r) = (Fixtures.id(1), Fixtures.id(2), Fixtures.id(3))
        var settings = PlumtreeSettings()
        settings.optimizationThreshold = 3
        var x = Plumtree(settings: settings, seed: 1)
        for peer in [p, q, r] { _ = x.peerUp(peer, now: .origin) }
        _ = x.receive(.prune, from: q, now: .origin)
        _ = x.receive(.prune, from: r, now: .origin)
        #expect(x.lazyPeers == [q, r])
        let payload: [UInt8] = Array("deep".utf8)
        let id = MessageID.of(topic: .communityTransactions, payload: payload)
        // The payload arrives from P after 10 hops.
        let first = x.receive(.gossip(topic: .communityTransactions, round: 9, id: id, payload: payload), from: p, now: .origin + .nanoseconds(1))
        #expect(first.deliveries.first?.hops == 10)
        // R announces it 8 hops from the origin: not closer by the threshold (3); nothing changes.
        let near = x.receive(.ihave([Announcement(topic: .communityTransactions, round: 7, id: id)]), from: r, now: .origin + .nanoseconds(2))
        #expect(near.sends.isEmpty && x.eagerPeers == [p])
        // Q announces it 2 hops from the origin: Q becomes the parent, P is pruned.
        let far = x.receive(.ihave([Announcement(topic: .communityTransactions, round: 2, id: id)]), from: q, now: .origin + .nanoseconds(3))
        #expect(far.sends.contains { $0.to == q && $0.message == .graft([]) })
        #expect(far.sends.contains { $0.to == p && $0.message == .prune })
        #expect(x.eagerPeers == [q] && Set(x.lazyPeers) == [p, r])
        #expect(x.stats.optimizations == 1)
        // One swap per message: a later, even closer announcement of the same message changes nothing.
        // (Off by default: docs/gossip.md has the simulator's figures.)
        let again = x.receive(.ihave([Announcement(topic: .communityTransactions, round: 0, id: id)]), from: r, now: .origin + .nanoseconds(4))
        #expect(again.sends.isEmpty)
        // The receiving side: an empty GRAFT only makes the link eager.
        var announcer = Plumtree(seed: 2)
        _ = announcer.peerUp(Fixtures.id(9), now: .origin)
        _ = announcer.receive(.prune, from: Fixtures.id(9), now: .origin)
        let graft = announcer.receive(.graft([]), from: Fixtures.id(9), now: .origin + .nanoseconds(1))
        #expect(graft.sends.isEmpty && announcer.eagerPeers == [Fixtures.id(9)])
    }
}
