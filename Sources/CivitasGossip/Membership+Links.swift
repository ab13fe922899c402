import CivitasLedger
import CivitasTime

/// Links: seeds are dialed until they answer (forever, with backoff), the
/// node dials alive members while it has fewer than `targetPeers` links in
/// its community (and `gatewayPeers` to other gateways), and closes surplus
/// links above `maxPeers` with hysteresis, so links do not churn.
extension Membership {
    /// A configured seed: an address, and its node once a link to it opened.
    struct Seed: Sendable {
        var address: String
        var node: NodeID?
        var nextAttempt: MonotonicTime
        var backoff: Duration
        var dialing = false
    }

    /// What the link timers read at every wake: the links in and out of the
    /// community, and when the first seed still to dial is due. Kept until a
    /// link, a member or a seed changes (nil: to compute again), because
    /// computing it looks up every linked member and every seed, and on a
    /// gateway with the city's gateways for seeds that was most of a wake.
    struct LinkSummary: Sendable {
        var inCommunity: Int
        var foreign: Int
        /// The earliest next attempt of a seed not satisfied, if any.
        var seedDue: MonotonicTime?
    }

    /// The link summary, computed again if something changed since.
    mutating func currentLinkSummary() -> LinkSummary {
        if let linkSummary { return linkSummary }
        let mine = selfRecord.community
        var summary = LinkSummary(inCommunity: 0, foreign: 0, seedDue: nil)
        for peer in connected {
            guard let community = members[peer]?.record.community else { continue }
            if community == mine { summary.inCommunity += 1 } else { summary.foreign += 1 }
        }
        for s in seeds where !seedSatisfied(s) { summary.seedDue = min(summary.seedDue ?? s.nextAttempt, s.nextAttempt) }
        linkSummary = summary
        return summary
    }

    // MARK: Link events

    mutating func linkOpened(_ peer: NodeID, address: String?, now: MonotonicTime, into out: inout MembershipDirectives) {
        linkSummary = nil
        if policy.isBanned(peer, now: now) {
            out.disconnects.append((peer, .misbehaviour(.invalid("banned peer reconnected"))))
            return
        }
        if !connected.contains(peer) {
            connected.append(peer)
            linkedAt[peer] = now
        }
        dialing.removeAll { $0.node == peer }
        if let address { addressBook.record(node: peer, address: address, success: true, now: now) }
        var isSeed = false
        for i in seeds.indices where seeds[i].address == address || seeds[i].node == peer {
            seeds[i].node = peer
            seeds[i].dialing = false
            seeds[i].backoff = settings.seedBackoffInitial
            isSeed = true
        }
        // Push-pull with seeds and whenever we know almost nobody: that is how a node joins.
        if isSeed || clusterSize <= 2 {
            out.sends.append((peer, .sync(reply: false, updates: fullState())))
        }
        // Surplus links are not closed here: a newcomer's first link (often to
        // a seed that is already full) must live long enough for the state
        // exchange; `maintainLinks` closes surplus links once they are older
        // than `minLinkAge`.
    }

    mutating func linkClosed(_ peer: NodeID, now: MonotonicTime) {
        linkSummary = nil
        if connected.contains(peer) { closedLink(peer, now: now) }
        // A seed whose link closed keeps its node ID: while it is an alive member it
        // needs no link of its own (a seed sheds surplus links like any node, and
        // must not be dialed straight back by everyone it sheds).
        for i in seeds.indices where seeds[i].node == peer {
            seeds[i].nextAttempt = min(seeds[i].nextAttempt, now + jittered(seeds[i].backoff))
        }
    }

    mutating func recordDialFailure(address: String, node: NodeID?, now: MonotonicTime) {
        linkSummary = nil
        if let node {
            addressBook.record(node: node, address: address, success: false, now: now)
            dialing.removeAll { $0.node == node }
        } else {
            addressBook.record(address: address, success: false, now: now)
        }
        for i in seeds.indices where seeds[i].address == address {
            seeds[i].dialing = false
            seeds[i].nextAttempt = now + jittered(seeds[i].backoff)
            seeds[i].backoff = min(settings.seedBackoffMax, seeds[i].backoff * 2)
        }
    }

    /// Forgets a link this node no longer has, and keeps its peer from being redialed at once.
    mutating func closedLink(_ peer: NodeID, now: MonotonicTime) {
        linkSummary = nil
        connected.removeAll { $0 == peer }
        linkedAt[peer] = nil
        cooldown[peer] = now + settings.redialCooldown
        // A probe over a link that closed proves nothing either way: drop it
        // (the member is probed by its other neighbours).
        if probe?.target == peer, probe?.acked == false { probe = nil }
    }

    // MARK: Timers

    mutating func retrySeeds(now: MonotonicTime, into out: inout MembershipDirectives) {
        guard let due = currentLinkSummary().seedDue, now >= due else { return }
        linkSummary = nil
        for i in seeds.indices {
            let s = seeds[i]
            if seedSatisfied(s) { continue }
            guard !s.dialing || now >= s.nextAttempt else { continue }
            guard now >= s.nextAttempt else { continue }
            out.dials.append((s.address, nil))
            seeds[i].dialing = true
            // If the shell never reports back, the attempt counts as failed after the backoff.
            seeds[i].nextAttempt = now + max(settings.dialTimeout, jittered(s.backoff))
            seeds[i].backoff = min(settings.seedBackoffMax, s.backoff * 2)
        }
    }

    /// A seed needs no dial while we hold a link to it or still count it alive.
    func seedSatisfied(_ s: Seed) -> Bool {
        guard let node = s.node else { return false }
        return connected.contains(node) || members[node].map { $0.state != .dead } == true
    }

    mutating func maintainLinks(now: MonotonicTime, into out: inout MembershipDirectives) {
        dialing.removeAll { $0.until <= now }
        let mine = selfRecord.community
        let summary = currentLinkSummary()
        let inCommunity = summary.inCommunity
        let pending = dialing.count
        if inCommunity + pending < settings.targetPeers {
            dial(settings.targetPeers - inCommunity - pending, now: now, into: &out) { $0.community == mine }
        }
        if selfRecord.role == .gateway {
            let foreign = summary.foreign
            if foreign < settings.gatewayPeers {
                dial(settings.gatewayPeers - foreign, now: now, into: &out) { $0.community != mine && $0.role == .gateway }
            }
        }
        // Hysteresis: only links older than `minLinkAge` are closed for surplus, and a
        // closed peer is not dialed again for `redialCooldown` (by either side), so a
        // node above the maximum sheds links without them coming straight back.
        if connected.count > settings.maxPeers {
            var aged = connected.filter { now - (linkedAt[$0] ?? .origin) >= settings.minLinkAge }
            aged.shuffle(using: &random)
            for peer in aged.prefix(connected.count - settings.maxPeers) {
                closedLink(peer, now: now)
                out.disconnects.append((peer, .surplus))
            }
        }
    }

    /// Dials up to `count` eligible members: best address quality first, members just closed last.
    private mutating func dial(_ count: Int, now: MonotonicTime, into out: inout MembershipDirectives, where eligible: (PeerRecord) -> Bool) {
        var candidates: [(id: NodeID, address: String, quality: UInt8, tie: UInt64)] = []
        for id in memberOrder {
            guard let m = members[id], m.state == .alive, eligible(m.record), !connected.contains(id),
                  !dialing.contains(where: { $0.node == id }), !policy.isBanned(id, now: now),
                  let a = address(of: id) else { continue }
            let q = addressBook.entry(for: id)?.bestAddress?.quality ?? AddressBook.initialQuality
            candidates.append((id, a, q, random.next()))
        }
        if candidates.isEmpty {
            // Nobody alive to choose from (a restart): try the address book.
            for e in addressBook.entries where eligible(e.record) && !connected.contains(e.record.nodeID)
                && !dialing.contains(where: { $0.node == e.record.nodeID }) && members[e.record.nodeID]?.state != .dead {
                if let best = e.bestAddress, best.quality > 0 { candidates.append((e.record.nodeID, best.address, best.quality, random.next())) }
            }
        }
        // Members whose link just closed come last (they are dialed only if nobody else is left).
        let cooling = Set(cooldown.filter { $0.value > now }.keys)
        candidates.sort {
            let (a, b) = (cooling.contains($0.id), cooling.contains($1.id))
            if a != b { return !a }
            return $0.quality != $1.quality ? $0.quality > $1.quality : $0.tie < $1.tie
        }
        for c in candidates.prefix(count) {
            out.dials.append((c.address, c.id))
            dialing.append((c.id, now + settings.dialTimeout))
        }
    }

    /// `backoff` ± 25%, so seeds restarted together do not retry in lockstep.
    mutating func jittered(_ backoff: Duration) -> Duration {
        let quarter = Duration.nanoseconds(backoff.wholeNanoseconds / 4)
        return backoff - quarter + random.duration(upTo: quarter * 2)
    }

    // MARK: Misbehaviour

    mutating func penalise(_ peer: NodeID, _ why: String, now: MonotonicTime, into out: inout MembershipDirectives) {
        if let bad = policy.penalise(peer, .invalid(why), now: now) { drop(peer, bad, into: &out) }
    }

    /// Closes the link to a peer that misbehaved (the policy has banned it).
    mutating func drop(_ peer: NodeID, _ why: Misbehaviour, into out: inout MembershipDirectives) {
        linkSummary = nil
        connected.removeAll { $0 == peer }
        linkedAt[peer] = nil
        out.disconnects.append((peer, .misbehaviour(why)))
    }
}
