public import CivitasLedger
public import CivitasCodec
public import CivitasTime

/// Settings of the dissemination core; every default says why.
public struct PlumtreeSettings: Sendable, Hashable {
    /// Topics this instance carries; a message on another topic is invalid.
    /// A node runs one instance for its community overlay (the community
    /// topics) and, on a gateway, one for the city overlay (the city topics).
    public var topics: Set<GossipTopic> = Set(GossipTopic.allCases.filter(\.isCommunityTopic))
    /// Wait after the first IHAVE for a missing message before grafting. 150 ms:
    /// above one eager hop on a city network (tens of ms) plus queueing, so a
    /// message that is merely slower on the tree is not fetched twice.
    public var missingTimeout: Duration = .milliseconds(150)
    /// Wait for a graft's answer before asking the next announcer. 200 ms: one round trip with margin.
    public var graftRetryTimeout: Duration = .milliseconds(200)
    /// Grafts per missing message before giving up on it. 12: at 10% loss the
    /// chance that twelve request/answer pairs all fail is below 10⁻⁹.
    public var maxGraftAttempts: Int = 12
    /// How long IHAVEs are gathered before one batch per lazy peer is sent
    /// (each batch waits a random 0.5 … 1.5 times this, so the two ends of a
    /// lazy link rarely flush together). 50 ms: batches many announcements per
    /// message under load, and adds little to the missing timeout. At the
    /// flush, an announcement is dropped for a neighbour that has meanwhile
    /// shown it has the message (sent it, or announced it to us): usually
    /// only one end of a lazy link announces a message to the other.
    public var lazyFlushInterval: Duration = .milliseconds(50)
    /// Message IDs remembered for dedup. 65,536: minutes of a busy community's
    /// traffic (2 MiB of IDs); a message older than that is no longer gossiped.
    public var dedupCapacity: Int = 65_536
    /// Payloads kept to answer grafts. 1,024 messages or `payloadCacheBytes`, whichever is hit first.
    public var payloadCacheCount: Int = 1_024
    /// Bytes of payload kept to answer grafts. 64 MiB.
    public var payloadCacheBytes: Int = 64 << 20
    /// Missing messages tracked at once (bounds what IHAVE floods can make us remember). 4,096.
    public var maxMissing: Int = 4_096
    /// Largest payload accepted (at most `GossipLimits.payloadBytes`). 4 MiB.
    public var maxPayloadBytes: Int = GossipLimits.payloadBytes
    /// Anti-entropy: every interval the next neighbour in turn gets an IHAVE
    /// of the messages first seen within `antiEntropyWindow` that it has not
    /// shown it has (by sending or announcing them) and that no earlier
    /// digest named to it. 1 s: repairs the rare node whose eager copy and
    /// every announcement were lost (at 10% loss and thousands of nodes, a few per run).
    public var antiEntropyInterval: Duration = .seconds(1)
    /// Age of the messages an anti-entropy IHAVE covers. 10 s: long enough for
    /// the round-robin to reach every one of up to ten neighbours.
    public var antiEntropyWindow: Duration = .seconds(10)
    /// Tree optimisation (the Plumtree paper's §3.8): an IHAVE for a message
    /// already received, from a lazy neighbour at least this many hops closer
    /// to the origin than the path the payload took, makes that neighbour the
    /// parent (GRAFT without messages) and prunes the old one. 0 (off): in the
    /// simulator it adds copies instead of saving them, because one tree serves
    /// every origin (figures in docs/gossip.md). Kept as a setting to measure.
    public var optimizationThreshold: UInt32 = 0
    /// The shell's links deliver, in order, every message queued on a link
    /// that stays open (TLS over TCP: the network shell sets this). Then a
    /// neighbour sent a payload or an announcement needs no anti-entropy
    /// digest of it, and digests go only to links that opened later. False
    /// (the default, and the simulator's lossy links): every neighbour that
    /// has not shown it has a message is named in a digest once.
    public var reliableLinks = false
    /// Rate limits and score for neighbours.
    public var policy: PeerPolicySettings = .init()

    public init() {}
}

/// What the dissemination core asks its shell to do after an input.
public struct PlumtreeDirectives: Sendable {
    /// A message to send to a neighbour.
    public struct Send: Sendable {
        public var to: NodeID
        public var message: GossipMessage
    }

    /// A new payload for the application (first copy only).
    public struct Delivery: Sendable {
        public var topic: GossipTopic
        public var id: MessageID
        public var payload: [UInt8]
        /// Hops from the origin (1 for a neighbour of the origin).
        public var hops: UInt32
        /// The neighbour it came from.
        public var from: NodeID
    }

    public var sends: [Send] = []
    public var deliveries: [Delivery] = []
    /// Neighbours to disconnect (and not accept again until their ban ends).
    public var disconnects: [(peer: NodeID, reason: Misbehaviour)] = []
    /// When to call `tick(now:)` next (nil: only on the next input).
    public var nextWakeup: MonotonicTime?

    public init() {}
}

/// Plumtree (Leitão, Pereira & Rodrigues, 2007): eager push along a spanning
/// tree, lazy IHAVE announcements on the other links, GRAFT on a gap, PRUNE
/// on a duplicate. A value type; no clock, no I/O, no randomness beyond the
/// seeded generator it owns.
///
/// Contract with the shell: report every link as it comes up (`peerUp`) and
/// goes down (`peerDown`); pass every message from a neighbour to `receive`;
/// call `tick` at or after `nextWakeup`; carry out every directive. A
/// `disconnect` directive bans the peer here as well: the shell must close the
/// link, and this core refuses the peer until the ban ends.
public struct Plumtree: Sendable {
    /// The settings in force.
    public let settings: PlumtreeSettings
    /// Neighbours we push payloads to (the tree edges).
    public private(set) var eagerPeers: [NodeID] = []
    /// Neighbours we only announce to.
    public private(set) var lazyPeers: [NodeID] = []
    /// Per-neighbour limits, score and bans.
    public private(set) var policy: PeerPolicy
    /// Counters for reports.
    public private(set) var stats = Stats()

    /// Counters of what this node received and sent.
    public struct Stats: Sendable, Hashable {
        /// Payload copies received (first copies, duplicates and graft answers).
        public var payloadsReceived = 0
        /// Payload copies that were duplicates.
        public var duplicates = 0
        /// Grafts sent.
        public var graftsSent = 0
        /// Prunes sent.
        public var prunesSent = 0
        /// Parents swapped for a closer announcer (tree optimisation).
        public var optimizations = 0
    }

    private struct Cached: Sendable {
        var topic: GossipTopic
        var round: UInt32
        var payload: [UInt8]
        /// The first copy was the origin's push over a lazy link: the tree
        /// copy that follows is expected, not a sign of a cycle.
        var beatTheTree = false
        /// The neighbour the first copy came from (nil: published here).
        var from: NodeID? = nil
        /// The tree was already optimised for this message (one swap per message).
        var optimised = false
    }

    private struct Missing: Sendable {
        var announcers: [(peer: NodeID, round: UInt32)]
        var next = 0
        var attempts = 0
        var deadline: MonotonicTime
    }

    private var received: BoundedIDSet<MessageID>
    private var cache: [MessageID: Cached] = [:]
    private var cacheOrder: [MessageID] = []
    private var cacheHead = 0
    private var cacheBytes = 0
    private var missing: [MessageID: Missing] = [:]
    private var missingOrder: [MessageID] = []
    private var lazyQueue: [(peer: NodeID, announcements: [Announcement])] = []
    private var lazyFlushAt: MonotonicTime?
    /// A message seen within the anti-entropy window, and which neighbours
    /// need no digest of it: those that showed they have it (sent it or
    /// announced it) and those already sent a digest naming it.
    private struct Recent: Sendable {
        var id: MessageID
        var topic: GossipTopic
        var round: UInt32
        var at: MonotonicTime
        var settled: [NodeID]
        /// Neighbours that showed they have it (sent it or announced it): no announcement to them.
        var shown: [NodeID] = []
    }

    private var recent: [Recent] = []
    /// Position of `recent[0]` in the sequence of all recent entries (indexes in `recentIndex` are absolute).
    private var recentBase = 0
    private var recentIndex: [MessageID: Int] = [:]
    private var antiEntropyTurn = 0
    private var nextAntiEntropy: MonotonicTime?
    private var random: SplitMix64

    /// A core with no neighbours; `seed` picks where the anti-entropy round-robin starts.
    public init(settings: PlumtreeSettings = .init(), seed: UInt64) {
        self.settings = settings
        policy = PeerPolicy(settings: settings.policy)
        received = BoundedIDSet(capacity: settings.dedupCapacity)
        random = SplitMix64(seed: seed)
        antiEntropyTurn = Int(random.next() % 1_024)  // nodes start their round-robin at different neighbours
    }

    /// True if this node has seen message `id`.
    public func hasSeen(_ id: MessageID) -> Bool { received.contains(id) }

    /// Number of message IDs held in the dedup cache.
    public var dedupCount: Int { received.count }

    /// Number of missing messages being tracked.
    public var missingCount: Int { missing.count }

    // MARK: Inputs

    /// A link to `peer` came up. New links start eager; duplicates prune them.
    public mutating func peerUp(_ peer: NodeID, now: MonotonicTime) -> PlumtreeDirectives {
        var out = PlumtreeDirectives()
        if policy.isBanned(peer, now: now) {
            out.disconnects.append((peer, .invalid("banned peer reconnected")))
        } else if !eagerPeers.contains(peer) && !lazyPeers.contains(peer) {
            eagerPeers.append(peer)
        }
        finish(&out, now: now)
        return out
    }

    /// The link to `peer` went down.
    public mutating func peerDown(_ peer: NodeID, now: MonotonicTime) -> PlumtreeDirectives {
        forget(peer)
        var out = PlumtreeDirectives()
        finish(&out, now: now)
        return out
    }

    /// Publishes a payload from this node. Returns its ID with the directives.
    public mutating func broadcast(topic: GossipTopic, payload: [UInt8], now: MonotonicTime) -> (id: MessageID, directives: PlumtreeDirectives) {
        precondition(settings.topics.contains(topic), "this instance does not carry \(topic)")
        precondition(payload.count <= settings.maxPayloadBytes, "payload above maxPayloadBytes")
        let id = MessageID.of(topic: topic, payload: payload)
        var out = PlumtreeDirectives()
        if received.insert(id) {
            store(id, Cached(topic: topic, round: 0, payload: payload), now: now)
            // The origin pushes to every neighbour, lazy ones too: if it crashes right
            // after publishing, one lost eager copy must not lose the message. The
            // cost is a few copies per message network-wide; receivers keep the link lazy.
            let message = GossipMessage.gossip(topic: topic, round: 0, id: id, payload: payload)
            for p in eagerPeers + lazyPeers { out.sends.append(.init(to: p, message: message)) }
            recentIndex[id] = recentBase + recent.count
            recent.append(Recent(id: id, topic: topic, round: 0, at: now, settled: settings.reliableLinks ? eagerPeers + lazyPeers : []))
            if nextAntiEntropy == nil { nextAntiEntropy = now + settings.antiEntropyInterval }
        }
        finish(&out, now: now)
        return (id, out)
    }

    /// Announces the cached messages `ids` again to `peers` (IHAVE): a peer
    /// that lacks one grafts it, one that has it only notes the announcement.
    /// For what a peer may have missed for longer than the anti-entropy window
    /// (a link that was down, a payload it could not yet accept).
    public mutating func reannounce(_ ids: [MessageID], to peers: [NodeID], now: MonotonicTime) -> PlumtreeDirectives {
        var out = PlumtreeDirectives()
        let announcements = ids.compactMap { id in cache[id].map { Announcement(topic: $0.topic, round: $0.round, id: id) } }
        if !announcements.isEmpty {
            for peer in peers where eagerPeers.contains(peer) || lazyPeers.contains(peer) {
                out.sends.append(.init(to: peer, message: .ihave(announcements)))
            }
        }
        finish(&out, now: now)
        return out
    }

    /// A message from neighbour `peer`. `validate` is the application's check
    /// of a payload (signatures, certificates); a payload it refuses is not
    /// delivered or forwarded, and costs the sender score.
    public mutating func receive(
        _ message: GossipMessage, from peer: NodeID, now: MonotonicTime,
        validate: (GossipTopic, [UInt8]) -> Bool = { _, _ in true }
    ) -> PlumtreeDirectives {
        var out = PlumtreeDirectives()
        handle(message, from: peer, now: now, validate: validate, into: &out)
        finish(&out, now: now)
        return out
    }

    private mutating func handle(_ message: GossipMessage, from peer: NodeID, now: MonotonicTime, validate: (GossipTopic, [UInt8]) -> Bool, into out: inout PlumtreeDirectives) {
        if policy.isBanned(peer, now: now) {
            out.disconnects.append((peer, .invalid("message from a banned peer")))
            return
        }
        guard eagerPeers.contains(peer) || lazyPeers.contains(peer) else { return }  // link already gone
        switch message {
        case let .gossip(topic, round, id, payload):
            if let bad = policy.charge(peer, bytes: payload.count, now: now) { drop(peer, bad, into: &out); return }
            stats.payloadsReceived += 1
            guard settings.topics.contains(topic) else { invalid(peer, "topic \(topic) is not carried here", now: now, into: &out); return }
            guard payload.count <= settings.maxPayloadBytes else { invalid(peer, "payload of \(payload.count) bytes", now: now, into: &out); return }
            guard MessageID.of(topic: topic, payload: payload) == id else { invalid(peer, "message ID is not the payload's hash", now: now, into: &out); return }
            if received.contains(id) {
                settle(id, peer)
                stats.duplicates += 1
                if let c = cache[id], c.beatTheTree {
                    // The tree copy after the origin's shortcut: forward it down the tree now.
                    if eagerPeers.contains(peer) {
                        cache[id]?.beatTheTree = false
                        let message = GossipMessage.gossip(topic: topic, round: round &+ 1, id: id, payload: c.payload)
                        for p in eagerPeers where p != peer { out.sends.append(.init(to: p, message: message)) }
                    }
                    return
                }
                if let i = eagerPeers.firstIndex(of: peer) {
                    eagerPeers.remove(at: i)
                    lazyPeers.append(peer)
                    out.sends.append(.init(to: peer, message: .prune))
                    stats.prunesSent += 1
                }
                return
            }
            missing[id] = nil
            // A refused payload is not remembered as seen: the application may
            // accept it later (a city checkpoint before its community's
            // document is adopted), when it is announced again.
            guard validate(topic, payload) else { invalid(peer, "payload refused by the application", now: now, into: &out); return }
            received.insert(id)
            // The origin's push over a lazy link: deliver it and announce it to
            // every link, but leave the eager forwarding to the tree copy that
            // follows, so the tree is not disturbed (pruned) by this shortcut.
            let beatTheTree = round == 0 && lazyPeers.contains(peer)
            if !beatTheTree, let i = lazyPeers.firstIndex(of: peer) {
                lazyPeers.remove(at: i)
                eagerPeers.append(peer)
            }
            let hops = round &+ 1
            out.deliveries.append(.init(topic: topic, id: id, payload: payload, hops: hops, from: peer))
            store(id, Cached(topic: topic, round: hops, payload: payload, beatTheTree: beatTheTree, from: peer), now: now)
            push(id: id, topic: topic, round: hops, payload: payload, except: peer, now: now, eager: !beatTheTree, into: &out)

        case let .ihave(announcements):
            if let bad = policy.charge(peer, bytes: announcements.count * Announcement.minEncodedSize, now: now) { drop(peer, bad, into: &out); return }
            for a in announcements {
                guard settings.topics.contains(a.topic) else { invalid(peer, "announced topic \(a.topic) is not carried here", now: now, into: &out); return }
                if received.contains(a.id) {
                    settle(a.id, peer)
                    optimise(a, announcer: peer, into: &out)
                    continue
                }
                if var m = missing[a.id] {
                    if !m.announcers.contains(where: { $0.peer == peer }) {
                        // Announcers closest to the origin are asked first (those not yet asked, in round order),
                        // so a graft does not hang this node on a needlessly deep path.
                        // (`next` counts attempts and may run past the end when it wraps around.)
                        let from = min(m.next, m.announcers.count)
                        let at = m.announcers.indices.first { $0 >= from && m.announcers[$0].round > a.round } ?? m.announcers.count
                        m.announcers.insert((peer, a.round), at: at)
                    }
                    missing[a.id] = m
                } else if missing.count < settings.maxMissing {
                    missing[a.id] = Missing(announcers: [(peer, a.round)], deadline: now + settings.missingTimeout)
                    missingOrder.append(a.id)
                }
            }

        case let .graft(ids):
            // An empty GRAFT asks only to become an eager link (the tree optimisation).
            if let bad = policy.charge(peer, bytes: max(1, ids.count * 32), now: now) { drop(peer, bad, into: &out); return }
            if let i = lazyPeers.firstIndex(of: peer) {
                lazyPeers.remove(at: i)
                eagerPeers.append(peer)
            }
            for id in ids {
                if let c = cache[id] {
                    out.sends.append(.init(to: peer, message: .gossip(topic: c.topic, round: c.round, id: id, payload: c.payload)))
                }
            }

        case .prune:
            if let bad = policy.charge(peer, bytes: 1, now: now) { drop(peer, bad, into: &out); return }
            if let i = eagerPeers.firstIndex(of: peer) {
                eagerPeers.remove(at: i)
                lazyPeers.append(peer)
            }

        default:
            invalid(peer, "\(message.kindName) is not a dissemination message", now: now, into: &out)
        }
    }

    /// Time passed: flush announcements, graft missing messages, run anti-entropy.
    public mutating func tick(now: MonotonicTime) -> PlumtreeDirectives {
        var out = PlumtreeDirectives()
        if let at = lazyFlushAt, at <= now { flushLazy(into: &out) }
        graftMissing(now: now, into: &out)
        if let at = nextAntiEntropy, at <= now { antiEntropy(now: now, into: &out) }
        finish(&out, now: now)
        return out
    }

    // MARK: Internals

    /// The paper's optimisation: `announcer` (a lazy neighbour) has message
    /// `a.id` `a.round` hops from its origin, and this node got it
    /// `optimizationThreshold` or more hops later than through it would take:
    /// make the announcer the parent and prune the old parent.
    private mutating func optimise(_ a: Announcement, announcer: NodeID, into out: inout PlumtreeDirectives) {
        guard settings.optimizationThreshold > 0, var c = cache[a.id], !c.optimised, !c.beatTheTree,
              let parent = c.from, parent != announcer, eagerPeers.contains(parent),
              let q = lazyPeers.firstIndex(of: announcer),
              UInt64(a.round) + 1 + UInt64(settings.optimizationThreshold) <= UInt64(c.round) else { return }
        c.optimised = true
        cache[a.id] = c
        lazyPeers.remove(at: q)
        eagerPeers.append(announcer)
        out.sends.append(.init(to: announcer, message: .graft([])))
        if let i = eagerPeers.firstIndex(of: parent) {
            eagerPeers.remove(at: i)
            lazyPeers.append(parent)
        }
        out.sends.append(.init(to: parent, message: .prune))
        stats.optimizations += 1
        stats.prunesSent += 1
    }

    /// Forwards a payload: eagerly to the tree unless `eager` is false, and as
    /// an announcement to the lazy links (to every link when `eager` is false).
    private mutating func push(id: MessageID, topic: GossipTopic, round: UInt32, payload: [UInt8], except: NodeID?, now: MonotonicTime,
                               eager: Bool = true, into out: inout PlumtreeDirectives) {
        if eager {
            let message = GossipMessage.gossip(topic: topic, round: round, id: id, payload: payload)
            for p in eagerPeers where p != except { out.sends.append(.init(to: p, message: message)) }
        }
        let announcement = Announcement(topic: topic, round: round, id: id)
        for p in eager ? lazyPeers : eagerPeers + lazyPeers where p != except {
            if let i = lazyQueue.firstIndex(where: { $0.peer == p }) {
                lazyQueue[i].announcements.append(announcement)
            } else {
                lazyQueue.append((p, [announcement]))
            }
        }
        if !lazyQueue.isEmpty && lazyFlushAt == nil {
            let half = Duration.nanoseconds(settings.lazyFlushInterval.wholeNanoseconds / 2)
            lazyFlushAt = now + half + random.duration(upTo: half * 2)
        }
        recentIndex[id] = recentBase + recent.count
        // Over reliable links every neighbour was just sent the payload or an announcement.
        let settled = settings.reliableLinks ? eagerPeers + lazyPeers : except.map { [$0] } ?? []
        recent.append(Recent(id: id, topic: topic, round: round, at: now, settled: settled))
        if nextAntiEntropy == nil { nextAntiEntropy = now + settings.antiEntropyInterval }
    }

    private mutating func store(_ id: MessageID, _ c: Cached, now: MonotonicTime) {
        cache[id] = c
        cacheOrder.append(id)
        cacheBytes += c.payload.count
        while cacheOrder.count - cacheHead > settings.payloadCacheCount || (cacheBytes > settings.payloadCacheBytes && cacheOrder.count - cacheHead > 1) {
            let old = cacheOrder[cacheHead]
            cacheHead += 1
            if let gone = cache.removeValue(forKey: old) { cacheBytes -= gone.payload.count }
        }
        // Compacted often enough that the spent part of the order stays small beside the cache (64 KiB of IDs at most).
        if cacheHead > 1_024 && cacheHead * 2 > cacheOrder.count {
            cacheOrder.removeFirst(cacheHead)
            cacheHead = 0
        }
    }

    private mutating func flushLazy(into out: inout PlumtreeDirectives) {
        for (peer, queued) in lazyQueue where lazyPeers.contains(peer) || eagerPeers.contains(peer) {
            // Nothing to announce that the neighbour has shown it has.
            let list = queued.filter { a in
                guard let absolute = recentIndex[a.id] else { return true }
                return !recent[absolute - recentBase].shown.contains(peer)
            }
            var start = 0
            while start < list.count {
                let end = min(list.count, start + GossipLimits.announcements)
                out.sends.append(.init(to: peer, message: .ihave(Array(list[start..<end]))))
                start = end
            }
        }
        lazyQueue.removeAll(keepingCapacity: true)
        lazyFlushAt = nil
    }

    private mutating func graftMissing(now: MonotonicTime, into out: inout PlumtreeDirectives) {
        guard !missing.isEmpty else { missingOrder.removeAll(); return }
        var grafts: [(peer: NodeID, ids: [MessageID])] = []
        var keep: [MessageID] = []
        for id in missingOrder {
            guard var m = missing[id] else { continue }
            if m.deadline > now { keep.append(id); continue }
            // Rotate through the announcers still linked: a lost graft or answer is retried elsewhere.
            m.announcers.removeAll { !eagerPeers.contains($0.peer) && !lazyPeers.contains($0.peer) }
            if m.announcers.isEmpty || m.attempts >= settings.maxGraftAttempts {
                missing[id] = nil
                continue
            }
            let target = m.announcers[m.next % m.announcers.count].peer
            m.next += 1
            m.attempts += 1
            m.deadline = now + settings.graftRetryTimeout
            missing[id] = m
            keep.append(id)
            if let i = lazyPeers.firstIndex(of: target) {
                lazyPeers.remove(at: i)
                eagerPeers.append(target)
            }
            if let i = grafts.firstIndex(where: { $0.peer == target }) {
                if grafts[i].ids.count < GossipLimits.graftIDs { grafts[i].ids.append(id) }
            } else {
                grafts.append((target, [id]))
            }
        }
        missingOrder = keep
        for g in grafts {
            out.sends.append(.init(to: g.peer, message: .graft(g.ids)))
            stats.graftsSent += 1
        }
    }

    private mutating func antiEntropy(now: MonotonicTime, into out: inout PlumtreeDirectives) {
        let horizon = now - settings.antiEntropyWindow  // saturates at the origin
        let expired = recent.firstIndex(where: { $0.at >= horizon }) ?? recent.count
        if expired > 0 {
            for r in recent[..<expired] { recentIndex[r.id] = nil }
            recent.removeFirst(expired)
            recentBase += expired
        }
        // Round-robin over the neighbours sorted by ID, so every link gets a digest within a window;
        // each digest names only messages the neighbour has not shown it has, and each only once.
        let neighbours = (eagerPeers + lazyPeers).sorted()
        if !recent.isEmpty, !neighbours.isEmpty {
            antiEntropyTurn = (antiEntropyTurn + 1) % neighbours.count
            let peer = neighbours[antiEntropyTurn]
            var list: [Announcement] = []
            for i in recent.indices where !recent[i].settled.contains(peer) && list.count < GossipLimits.announcements {
                list.append(Announcement(topic: recent[i].topic, round: recent[i].round, id: recent[i].id))
                recent[i].settled.append(peer)
            }
            if !list.isEmpty { out.sends.append(.init(to: peer, message: .ihave(list))) }
        }
        nextAntiEntropy = recent.isEmpty ? nil : now + settings.antiEntropyInterval
        policy.expire(now: now)
    }

    /// `peer` has shown it has message `id`: no digest will name it to them.
    private mutating func settle(_ id: MessageID, _ peer: NodeID) {
        guard let absolute = recentIndex[id] else { return }
        let i = absolute - recentBase
        if !recent[i].settled.contains(peer) { recent[i].settled.append(peer) }
        if !recent[i].shown.contains(peer) { recent[i].shown.append(peer) }
    }

    private mutating func invalid(_ peer: NodeID, _ why: String, now: MonotonicTime, into out: inout PlumtreeDirectives) {
        if let bad = policy.penalise(peer, .invalid(why), now: now) { drop(peer, bad, into: &out) }
    }

    private mutating func drop(_ peer: NodeID, _ why: Misbehaviour, into out: inout PlumtreeDirectives) {
        forget(peer)
        out.disconnects.append((peer, why))
    }

    private mutating func forget(_ peer: NodeID) {
        eagerPeers.removeAll { $0 == peer }
        lazyPeers.removeAll { $0 == peer }
        lazyQueue.removeAll { $0.peer == peer }
    }

    private func finish(_ out: inout PlumtreeDirectives, now: MonotonicTime) {
        var wake: MonotonicTime? = lazyFlushAt
        func consider(_ t: MonotonicTime?) {
            guard let t else { return }
            wake = wake.map { min($0, t) } ?? t
        }
        consider(nextAntiEntropy)
        for id in missingOrder { consider(missing[id]?.deadline) }
        out.nextWakeup = wake
    }
}
