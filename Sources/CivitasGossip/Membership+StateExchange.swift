import CivitasLedger
import CivitasTime

/// How member states spread: every update is piggybacked on pings and acks
/// a bounded number of times, and now and then two linked members compare
/// digests (push-pull) and send each other only what the other lacks.
extension Membership {
    // MARK: Incoming updates

    /// Applies piggybacked or synced updates; false if the sender was dropped.
    mutating func apply(_ updates: [MembershipUpdate], from peer: NodeID, asSync: Bool, now: MonotonicTime,
                        into out: inout MembershipDirectives) -> Bool {
        for u in updates {
            switch u {
            case let .alive(inc, record):
                guard applyAlive(record, incarnation: inc, from: peer, now: now, into: &out) else { return false }
            case let .suspect(node, inc, by):
                applySuspect(node, incarnation: inc, by: by, now: now, into: &out)
            case let .dead(node, inc, by):
                // memberlist's rule: a dead state learnt by push-pull is only a suspicion
                // here, so a healed partition does not kill the other side outright.
                if asSync && node != by {
                    applySuspect(node, incarnation: inc, by: by, now: now, into: &out)
                } else {
                    applyDead(node, incarnation: inc, by: by, now: now, into: &out)
                }
            }
        }
        return true
    }

    // MARK: Piggybacking

    /// Queues `update` for piggybacking.
    mutating func enqueue(_ update: MembershipUpdate) {
        // A newer update about a node replaces any older one still queued.
        broadcasts.removeAll { $0.node == update.node && !Self.isConfirmation(update, of: $0.update) }
        broadcasts.append((update.node, update, 0))
    }

    private static func isConfirmation(_ new: MembershipUpdate, of old: MembershipUpdate) -> Bool {
        // Confirmations of one suspicion by different members all travel: each shortens the timeout elsewhere.
        if case let .suspect(n1, i1, b1) = new, case let .suspect(n2, i2, b2) = old { return n1 == n2 && i1 == i2 && b1 != b2 }
        return false
    }

    private var retransmitLimit: Int {
        var digits = 0, n = clusterSize + 1
        while n > 0 { digits += 1; n /= 10 }  // ceil(log10(N + 1)), near enough
        return settings.retransmitMultiplier * max(1, digits)
    }

    /// The updates to carry on the next SWIM message, freshest first.
    mutating func piggyback() -> [MembershipUpdate] {
        guard !broadcasts.isEmpty else { return [] }
        // Fewest transmissions first, so fresh news travels before old.
        let order = broadcasts.indices.sorted { broadcasts[$0].transmits < broadcasts[$1].transmits || (broadcasts[$0].transmits == broadcasts[$1].transmits && $0 < $1) }
        var chosen: [MembershipUpdate] = []
        let limit = retransmitLimit
        for i in order.prefix(settings.maxPiggyback) {
            chosen.append(broadcasts[i].update)
            broadcasts[i].transmits += 1
        }
        broadcasts.removeAll { $0.transmits >= limit }
        return chosen
    }

    // MARK: Push-pull

    /// `syncInterval`, stretched for large clusters as memberlist does: × (1 + ceil(log2(N / 32))) above 32 members.
    var scaledSyncInterval: Duration {
        var factor = 1, n = 32
        while n < clusterSize { n *= 2; factor += 1 }
        return settings.syncInterval * factor
    }

    /// Sends one linked member this node's digest, and sets the next round.
    mutating func startPushPull(now: MonotonicTime, into out: inout MembershipDirectives) {
        nextSync = now + jittered(scaledSyncInterval)
        // By digest: records travel only where one side knows better.
        let candidates = connected.filter { members[$0]?.state == .alive }
        if !candidates.isEmpty {
            let peer = candidates[Int(random.next() % UInt64(candidates.count))]
            out.sends.append((peer, .digest(reply: false, members: digest())))
        }
    }

    mutating func receiveSync(reply: Bool, updates: [MembershipUpdate], from peer: NodeID, now: MonotonicTime,
                              into out: inout MembershipDirectives) {
        guard apply(updates, from: peer, asSync: true, now: now, into: &out) else { return }
        if !reply { out.sends.append((peer, .sync(reply: true, updates: fullState()))) }
    }

    mutating func receiveDigest(reply: Bool, entries: [MemberDigest], from peer: NodeID, now: MonotonicTime,
                                into out: inout MembershipDirectives) {
        answerDigest(entries, from: peer, into: &out)
        if !reply { out.sends.append((peer, .digest(reply: true, members: digest()))) }
    }

    /// Every member state this node knows, itself first (a full-state sync: how a node joins).
    func fullState() -> [MembershipUpdate] {
        var list: [MembershipUpdate] = [.alive(incarnation: incarnation, record: selfRecord)]
        for id in memberOrder {
            guard list.count < settings.maxSyncUpdates, let m = members[id] else { continue }
            switch m.state {
            case .alive: list.append(.alive(incarnation: m.incarnation, record: m.record))
            case .suspect:
                list.append(.alive(incarnation: m.incarnation, record: m.record))
                if list.count < settings.maxSyncUpdates { list.append(.suspect(node: id, incarnation: m.incarnation, by: selfID)) }
            case .dead: list.append(.dead(node: id, incarnation: m.incarnation, by: selfID))
            }
        }
        return list
    }

    /// What this node knows of every member, itself first, for a push-pull digest.
    private func digest() -> [MemberDigest] {
        var list = [MemberDigest(node: selfID, incarnation: incarnation, state: .alive, recordSequence: selfRecord.sequence)]
        for id in memberOrder {
            guard list.count < GossipLimits.digestMembers, let m = members[id] else { continue }
            list.append(MemberDigest(node: id, incarnation: m.incarnation, state: m.state, recordSequence: m.record.sequence))
        }
        return list
    }

    private static func rank(_ s: MemberState) -> Int {
        switch s {
        case .alive: 0
        case .suspect: 1
        case .dead: 2
        }
    }

    /// True if the state (incarnation, state, record sequence) `mine` is newer than `theirs`.
    private static func isNewer(_ mine: (UInt64, MemberState, UInt64), than theirs: MemberDigest) -> Bool {
        if mine.0 != theirs.incarnation { return mine.0 > theirs.incarnation }
        if rank(mine.1) != rank(theirs.state) { return rank(mine.1) > rank(theirs.state) }
        return mine.2 > theirs.recordSequence
    }

    /// A peer's digest: send it (as a sync reply) every member state this node knows better,
    /// and the members it does not know; refute if it holds this node suspect or dead.
    private mutating func answerDigest(_ entries: [MemberDigest], from peer: NodeID, into out: inout MembershipDirectives) {
        var theirs: [NodeID: MemberDigest] = [:]
        for e in entries { theirs[e.node] = e }
        if let me = theirs[selfID], me.state != .alive, me.incarnation >= incarnation { refute(me.incarnation, into: &out) }
        var updates: [MembershipUpdate] = []
        if theirs[selfID].map({ Self.isNewer((incarnation, .alive, selfRecord.sequence), than: $0) }) ?? true {
            updates.append(.alive(incarnation: incarnation, record: selfRecord))
        }
        for id in memberOrder where id != peer {
            guard updates.count + 2 <= settings.maxSyncUpdates, let m = members[id] else { continue }
            if let t = theirs[id] {
                guard Self.isNewer((m.incarnation, m.state, m.record.sequence), than: t) else { continue }
            } else if m.state == .dead {
                continue  // a dead member the peer never knew is no news
            }
            switch m.state {
            case .alive: updates.append(.alive(incarnation: m.incarnation, record: m.record))
            case .suspect:
                updates.append(.alive(incarnation: m.incarnation, record: m.record))
                updates.append(.suspect(node: id, incarnation: m.incarnation, by: selfID))
            case .dead: updates.append(.dead(node: id, incarnation: m.incarnation, by: selfID))
            }
        }
        if !updates.isEmpty { out.sends.append((peer, .sync(reply: true, updates: updates))) }
    }
}
