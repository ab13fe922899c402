import CivitasLedger
import CivitasTime

/// SWIM's probe cycle over this node's links: one ping per period, indirect
/// pings through neighbours when no ack comes, and Lifeguard's nacks and
/// local health, so a node that is itself slow probes less and accuses nobody.
extension Membership {
    /// The probe of the current period.
    struct Probe: Sendable {
        var target: NodeID
        var sequence: UInt64
        var ackDeadline: MonotonicTime
        var periodEnd: MonotonicTime
        var indirectSent = false
        var acked = false
        var expectedNacks = 0
        var nacks = 0
    }

    /// A ping this node relays for another member's indirect probe.
    struct Relay: Sendable {
        var origin: NodeID
        var originSequence: UInt64
        /// When to tell the origin the target has not answered (nil once told).
        var nackDeadline: MonotonicTime?
        var expires: MonotonicTime
    }

    // MARK: Messages

    mutating func receivePing(_ seq: UInt64, updates: [MembershipUpdate], from peer: NodeID, now: MonotonicTime,
                              into out: inout MembershipDirectives) {
        guard apply(updates, from: peer, asSync: false, now: now, into: &out) else { return }
        out.sends.append((peer, .ack(sequence: seq, updates: piggyback())))
    }

    mutating func receiveAck(_ seq: UInt64, updates: [MembershipUpdate], from peer: NodeID, now: MonotonicTime,
                             into out: inout MembershipDirectives) {
        guard apply(updates, from: peer, asSync: false, now: now, into: &out) else { return }
        if probe?.sequence == seq {
            probe?.acked = true
        } else if let relay = relays.removeValue(forKey: seq) {
            out.sends.append((relay.origin, .ack(sequence: relay.originSequence, updates: piggyback())))
        }
    }

    mutating func receivePingRequest(_ seq: UInt64, target: NodeID, updates: [MembershipUpdate], from peer: NodeID,
                                     now: MonotonicTime, into out: inout MembershipDirectives) {
        guard apply(updates, from: peer, asSync: false, now: now, into: &out) else { return }
        guard target != selfID else {
            out.sends.append((peer, .ack(sequence: seq, updates: piggyback())))
            return
        }
        guard connected.contains(target) else {
            // No link to the target: this relay cannot help, and says so at once
            // (Lifeguard's nack: "I am alive, but got no ack"), so the prober does
            // not blame its own health for the missing answer.
            out.sends.append((peer, .nack(sequence: seq)))
            return
        }
        let mine = nextSequence()
        relays[mine] = Relay(origin: peer, originSequence: seq,
                             nackDeadline: now + settings.probeTimeout * 4 / 5,
                             expires: now + settings.probeInterval * (settings.maxLocalHealth + 1))
        relayOrder.append(mine)
        out.sends.append((target, .ping(sequence: mine, updates: piggyback())))
    }

    mutating func receiveNack(_ seq: UInt64) {
        if probe?.sequence == seq { probe?.nacks += 1 }
    }

    // MARK: Timers

    /// Ends the current probe (ack or suspicion) or escalates it to indirect
    /// pings, and starts the next one when its period comes.
    mutating func runProbe(now: MonotonicTime, into out: inout MembershipDirectives) {
        if var p = probe {
            if !p.acked && !p.indirectSent && now >= p.ackDeadline {
                // Lifeguard: ask k others, and expect a nack from each that cannot reach the target.
                let relaysChosen = pickRelays(settings.indirectProbes, excluding: p.target)
                for r in relaysChosen {
                    out.sends.append((r, .pingRequest(sequence: p.sequence, target: p.target, updates: piggyback())))
                }
                p.indirectSent = true
                p.expectedNacks = relaysChosen.count
                probe = p
            }
            if p.acked || now >= p.periodEnd {
                if p.acked {
                    localHealth = max(0, localHealth - 1)
                } else {
                    localHealth = min(settings.maxLocalHealth, localHealth + (p.expectedNacks > 0 ? max(0, p.expectedNacks - p.nacks) : 1))
                    if let m = members[p.target], m.state == .alive {
                        suspect(p.target, incarnation: m.incarnation, by: selfID, now: now, into: &out)
                    }
                }
                probe = nil
            }
        }
        guard probe == nil, now >= nextProbeAt else { return }
        guard let target = nextProbeTarget() else {
            nextProbeAt = now + currentProbeInterval
            return
        }
        let scale = localHealth + 1
        let seq = nextSequence()
        probe = Probe(target: target, sequence: seq, ackDeadline: now + settings.probeTimeout * scale, periodEnd: now + settings.probeInterval * scale)
        nextProbeAt = now + settings.probeInterval * scale
        out.sends.append((target, .ping(sequence: seq, updates: piggyback())))
    }

    private mutating func nextProbeTarget() -> NodeID? {
        for _ in 0..<2 {
            while probeIndex < probeList.count {
                let id = probeList[probeIndex]
                probeIndex += 1
                if let m = members[id], m.state != .dead, connected.contains(id) { return id }
            }
            // Round-robin over a fresh shuffle each pass: every linked member is probed once per
            // pass (SWIM §4.3). Probes travel over this node's links only: each member is probed
            // by its own neighbours (at least `targetPeers` of them), and what they find spreads
            // by piggybacking, so no node needs a link to every other.
            probeList = connected.filter { members[$0].map { $0.state != .dead } ?? false }
            probeList.shuffle(using: &random)
            probeIndex = 0
            if probeList.isEmpty { return nil }
        }
        return nil
    }

    /// Relayed pings: a nack to the origin when the target is late, then forgotten.
    mutating func runRelays(now: MonotonicTime, into out: inout MembershipDirectives) {
        guard !relayOrder.isEmpty else { return }
        var keep: [UInt64] = []
        for seq in relayOrder {
            guard var r = relays[seq] else { continue }
            if let deadline = r.nackDeadline, now >= deadline {
                out.sends.append((r.origin, .nack(sequence: r.originSequence)))
                r.nackDeadline = nil
            }
            if now >= r.expires { relays[seq] = nil; continue }
            relays[seq] = r
            keep.append(seq)
        }
        relayOrder = keep
    }

    /// Up to `k` alive neighbours: a ping-request travels over an open link.
    private mutating func pickRelays(_ k: Int, excluding target: NodeID) -> [NodeID] {
        var pool = connected.filter { members[$0]?.state == .alive && $0 != target }
        pool.shuffle(using: &random)
        return Array(pool.prefix(k))
    }

    mutating func nextSequence() -> UInt64 {
        sequence &+= 1
        return sequence
    }
}
