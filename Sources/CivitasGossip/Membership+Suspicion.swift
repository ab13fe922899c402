import CivitasLedger
import CivitasTime

/// Lifeguard's suspicion: a member that missed a probe is suspected, not
/// dead; independent confirmations shorten the wait; at the deadline it is
/// declared dead, unless it refutes with a higher incarnation first.
extension Membership {
    struct Suspicion: Sendable {
        var start: MonotonicTime
        var minimum: Duration
        var maximum: Duration
        var confirmers: [NodeID]
        var deadline: MonotonicTime
    }

    /// The suspicion timeout's floor (`suspicionMultiplier × max(1, log10 N)`
    /// probe intervals) and ceiling (`suspicionMaxMultiplier ×` the floor).
    private func suspicionBounds() -> (Duration, Duration) {
        let n = max(1, clusterSize)
        // max(1, log10 N) in thousandths; `naturalLog` gives the same result on every platform.
        let logScaled = max(1000, Int((Double(Self.naturalLog(Double(n)) / Self.naturalLog(10)) * 1000)))
        let thousandth = Duration.nanoseconds(settings.probeInterval.wholeNanoseconds / 1000)
        let minimum = thousandth * (settings.suspicionMultiplier * logScaled)
        return (minimum, minimum * settings.suspicionMaxMultiplier)
    }

    /// Lifeguard: the timeout falls from the maximum to the minimum as
    /// independent confirmations reach the expected number (k = indirectProbes).
    static func suspicionTimeout(minimum: Duration, maximum: Duration, confirmations: Int, expected: Int) -> Duration {
        guard expected > 0, maximum > minimum else { return minimum }
        let fraction = naturalLog(Double(confirmations + 1)) / naturalLog(Double(expected + 1))
        let span = Double((maximum - minimum).wholeNanoseconds) * min(1, fraction)
        return max(minimum, maximum - .nanoseconds(Int64(span)))
    }

    /// ln(x) for x ≥ 1 by the atanh series (no libm: the result is the same on every platform).
    static func naturalLog(_ x: Double) -> Double {
        guard x > 0 else { return 0 }
        var v = x, exponent = 0.0
        while v > 2 { v /= 2; exponent += 1 }
        let y = (v - 1) / (v + 1), y2 = y * y
        var term = y, sum = 0.0
        var k = 1.0
        while k < 60 {
            sum += term / k
            term *= y2
            k += 2
        }
        return 2 * sum + exponent * 0.693_147_180_559_945_3
    }

    /// Suspects `node` (a probe this node made failed, or another member's news).
    mutating func suspect(_ node: NodeID, incarnation: UInt64, by: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) {
        guard var m = members[node] else { return }
        let (minimum, maximum) = suspicionBounds()
        m.state = .suspect
        m.incarnation = incarnation
        m.stateChanged = now
        let timeout = Self.suspicionTimeout(minimum: minimum, maximum: maximum, confirmations: 0, expected: settings.indirectProbes)
        m.suspicion = Suspicion(start: now, minimum: minimum, maximum: maximum, confirmers: [by], deadline: now + timeout)
        setMember(node, m)
        enqueue(.suspect(node: node, incarnation: incarnation, by: by))
        out.events.append(.suspected(node))
    }

    /// A suspect update heard from another member: a new suspicion, a
    /// confirmation of one held, or (about this node) a reason to refute.
    mutating func applySuspect(_ node: NodeID, incarnation inc: UInt64, by: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) {
        if node == selfID {
            if inc >= incarnation { refute(inc, into: &out) }
            return
        }
        guard var m = members[node], m.state != .dead, inc >= m.incarnation else { return }
        if m.state == .suspect, inc == m.incarnation, var s = m.suspicion {
            // An independent confirmation shortens the timeout (Lifeguard).
            guard !s.confirmers.contains(by) else { return }
            s.confirmers.append(by)
            let timeout = Self.suspicionTimeout(minimum: s.minimum, maximum: s.maximum, confirmations: s.confirmers.count - 1, expected: settings.indirectProbes)
            s.deadline = s.start + timeout
            m.suspicion = s
            setMember(node, m)
            enqueue(.suspect(node: node, incarnation: inc, by: by))
            return
        }
        suspect(node, incarnation: inc, by: by, now: now, into: &out)
    }

    /// A dead update heard from another member (or a member's own leave).
    mutating func applyDead(_ node: NodeID, incarnation inc: UInt64, by: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) {
        if node == selfID {
            if by != selfID, inc >= incarnation { refute(inc, into: &out) }
            return
        }
        guard let m = members[node], m.state != .dead, inc >= m.incarnation else { return }
        declareDead(node, incarnation: inc, by: by, now: now, into: &out)
    }

    /// When the members' own timers are next due: the earliest suspicion
    /// deadline, and the earliest time a dead member may be forgotten. Kept
    /// until a member changes (nil: to compute again): finding them looks at
    /// every member, and a gateway knows the city's.
    struct MemberTimers: Sendable {
        var suspicion: MonotonicTime?
        var reclaim: MonotonicTime?
    }

    /// The members' timers, computed again if a member changed since.
    mutating func currentMemberTimers() -> MemberTimers {
        if let memberTimers { return memberTimers }
        var timers = MemberTimers()
        if suspectCount > 0 || deadCount > 0 {
            for m in members.values {
                if m.state == .suspect, let d = m.suspicion?.deadline { timers.suspicion = min(timers.suspicion ?? d, d) }
                if m.state == .dead {
                    let t = m.stateChanged + settings.deadRetention
                    timers.reclaim = min(timers.reclaim ?? t, t)
                }
            }
        }
        memberTimers = timers
        return timers
    }

    mutating func expireSuspicions(now: MonotonicTime, into out: inout MembershipDirectives) {
        guard let due = currentMemberTimers().suspicion, now >= due else { return }
        for id in memberOrder {
            guard let m = members[id], m.state == .suspect, let s = m.suspicion, s.deadline <= now else { continue }
            declareDead(id, incarnation: m.incarnation, by: selfID, now: now, into: &out)
        }
    }

    private mutating func declareDead(_ node: NodeID, incarnation: UInt64, by: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) {
        guard var m = members[node] else { return }
        m.state = .dead
        m.incarnation = incarnation
        m.stateChanged = now
        m.suspicion = nil
        setMember(node, m)
        enqueue(.dead(node: node, incarnation: incarnation, by: by))
        out.events.append(.died(node))
        if connected.contains(node) {
            closedLink(node, now: now)
            out.disconnects.append((node, .dead))
        }
    }

    /// Forgets members dead for longer than `deadRetention` (their records stay in the address book).
    mutating func reclaimDead(now: MonotonicTime) {
        guard let due = currentMemberTimers().reclaim, now >= due else { return }
        let before = memberOrder.count
        var reclaimed: [NodeID] = []
        memberOrder.removeAll { id in
            guard let m = members[id], m.state == .dead, now - m.stateChanged >= settings.deadRetention else { return false }
            reclaimed.append(id)
            return true
        }
        for id in reclaimed { setMember(id, nil) }
        if memberOrder.count != before { probeIndex = probeList.count }
    }

    /// Someone holds this node suspect or dead at incarnation `seen`: raise
    /// the incarnation above it and gossip `alive`.
    mutating func refute(_ seen: UInt64, into out: inout MembershipDirectives) {
        incarnation = max(incarnation, seen) &+ 1
        localHealth = min(settings.maxLocalHealth, localHealth + 1)
        enqueue(.alive(incarnation: incarnation, record: selfRecord))
        out.events.append(.refuted(incarnation: incarnation))
    }
}
