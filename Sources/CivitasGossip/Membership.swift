public import CivitasLedger
public import CivitasTime
import CivitasCodec

/// What the membership core tells its shell and the node.
public enum MembershipEvent: Sendable, Hashable {
    /// A member was learnt (or came back after being dead).
    case joined(NodeID)
    /// A member is suspected of having failed.
    case suspected(NodeID)
    /// A suspected member refuted the suspicion.
    case recovered(NodeID)
    /// A member was declared dead.
    case died(NodeID)
    /// This node refuted a suspicion about itself with a new incarnation.
    case refuted(incarnation: UInt64)
}

/// Why the membership core asks for a link to be closed.
public enum DisconnectReason: Sendable, Hashable {
    /// More links than `maxPeers` (only links older than `minLinkAge` are closed for this).
    case surplus
    /// The member was declared dead.
    case dead
    /// The peer misbehaved; it is banned for a while.
    case misbehaviour(Misbehaviour)
}

/// What the membership core asks its shell to do after an input.
public struct MembershipDirectives: Sendable {
    /// Send `message` to member `to` (over its link, or by dialing its best address).
    public var sends: [(to: NodeID, message: GossipMessage)] = []
    /// Open a link to `address` (`node` nil for a seed whose ID is not known yet).
    public var dials: [(address: String, node: NodeID?)] = []
    /// Close these links.
    public var disconnects: [(peer: NodeID, reason: DisconnectReason)] = []
    /// Changes in membership.
    public var events: [MembershipEvent] = []
    /// When to call `tick(now:)` next.
    public var nextWakeup: MonotonicTime?

    public init() {}
}

/// A member's state in SWIM.
public enum MemberState: Sendable, Hashable {
    case alive, suspect, dead
}

/// SWIM failure detection with Lifeguard's refinements, plus discovery from
/// seeds and signed peer records, and the choice of links to keep. A value
/// type: time and randomness are inputs (a seed for the generator it owns),
/// it never reads a clock or touches the network.
///
/// Contract with the shell: report links (`connected`, `disconnected`,
/// `dialFailed`), pass every membership message to `receive`, call `tick` at
/// or after `nextWakeup`, and carry out every directive. Persist
/// `addressBook` now and then; give it back to `init` after a restart.
public struct Membership: Sendable {
    /// One known member.
    public struct Member: Sendable {
        public var record: PeerRecord
        public var state: MemberState
        public var incarnation: UInt64
        public var stateChanged: MonotonicTime
        var suspicion: Suspicion?
    }

    struct Suspicion: Sendable {
        var start: MonotonicTime
        var minimum: Duration
        var maximum: Duration
        var confirmers: [NodeID]
        var deadline: MonotonicTime
    }

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

    struct Relay: Sendable {
        var origin: NodeID
        var originSequence: UInt64
        /// When to tell the origin the target has not answered (nil once told).
        var nackDeadline: MonotonicTime?
        var expires: MonotonicTime
    }

    struct Seed: Sendable {
        var address: String
        var node: NodeID?
        var nextAttempt: MonotonicTime
        var backoff: Duration
        var dialing = false
    }

    /// The settings in force.
    public let settings: MembershipSettings
    /// This node's signed record.
    public private(set) var selfRecord: PeerRecord
    /// This node's SWIM incarnation (raised to refute suspicions).
    public private(set) var incarnation: UInt64
    /// Lifeguard's local health score, 0 (healthy) ... `maxLocalHealth`.
    public private(set) var localHealth = 0
    /// Known peers and address quality; the shell persists it.
    public private(set) var addressBook: AddressBook
    /// Links currently open (reported by the shell).
    public private(set) var connected: [NodeID] = []
    /// Per-peer limits, score and bans.
    public private(set) var policy: PeerPolicy

    private var members: [NodeID: Member] = [:]
    private var memberOrder: [NodeID] = []
    private var probeList: [NodeID] = []
    private var probeIndex = 0
    private var probe: Probe?
    private var nextProbeAt: MonotonicTime
    private var relays: [UInt64: Relay] = [:]
    private var relayOrder: [UInt64] = []
    private var sequence: UInt64 = 0
    private var broadcasts: [(node: NodeID, update: MembershipUpdate, transmits: Int)] = []
    private var seeds: [Seed]
    private var dialing: [(node: NodeID, until: MonotonicTime)] = []
    /// When each open link opened (surplus closing spares young links).
    private var linkedAt: [NodeID: MonotonicTime] = [:]
    /// Members whose link closed recently, and until when they are not dialed again.
    private var cooldown: [NodeID: MonotonicTime] = [:]
    private var nextSync: MonotonicTime
    private var random: SplitMix64

    /// The node's own ID.
    public var selfID: NodeID { selfRecord.nodeID }

    /// A core for `selfRecord` (signed by the shell, which holds the key).
    /// `seeds` are "host:port" addresses retried forever; `addressBook` is the
    /// one saved before a restart (records with bad signatures are dropped).
    public init(selfRecord: PeerRecord, seeds: [String], addressBook: AddressBook = .init(),
                settings: MembershipSettings = .init(), incarnation: UInt64 = 0, seed: UInt64, now: MonotonicTime) {
        self.settings = settings
        self.selfRecord = selfRecord
        self.incarnation = incarnation
        self.policy = PeerPolicy(settings: settings.policy)
        var book = AddressBook()
        for e in addressBook.entries where e.record.nodeID != selfRecord.nodeID && e.record.hasValidSignature() {
            book.learn(e.record, now: e.lastSeen)
            for (a, q) in zip(e.record.addresses, e.quality) where q != AddressBook.initialQuality {
                // Replay the saved quality exactly (learn() starts every address at the initial value).
                book.setQuality(node: e.record.nodeID, address: a, quality: q)
            }
        }
        self.addressBook = book
        self.seeds = seeds.filter { !selfRecord.addresses.contains($0) }
            .map { Seed(address: $0, nextAttempt: now, backoff: settings.seedBackoffInitial) }
        random = SplitMix64(seed: seed)
        nextProbeAt = now + settings.probeInterval
        // Nodes started together must not push-pull together: the first round
        // comes at a random point of the interval (memberlist staggers it too).
        nextSync = now + random.duration(below: settings.syncInterval)
    }

    // MARK: Queries

    /// The state of `node`, if it is a member.
    public func state(of node: NodeID) -> MemberState? { members[node]?.state }

    /// The member entry of `node`.
    public func member(_ node: NodeID) -> Member? { members[node] }

    /// Members not declared dead, in the order they were learnt.
    public var liveMembers: [NodeID] { memberOrder.filter { members[$0]?.state != .dead } }

    /// All members (any state), in the order they were learnt.
    public var allMembers: [NodeID] { memberOrder }

    /// Number of members including this node that are not dead (SWIM's N).
    public var clusterSize: Int { 1 + memberOrder.reduce(0) { $0 + (members[$1]?.state == .dead ? 0 : 1) } }

    /// The suspicion deadline of `node`, if suspected.
    public func suspicionDeadline(of node: NodeID) -> MonotonicTime? { members[node]?.suspicion?.deadline }

    /// The probe interval stretched by local health (Lifeguard).
    public var currentProbeInterval: Duration { settings.probeInterval * (localHealth + 1) }

    /// The best address to reach `node`.
    public func address(of node: NodeID) -> String? {
        addressBook.entry(for: node)?.bestAddress?.address ?? members[node]?.record.addresses.first
    }

    // MARK: Inputs

    /// A link to `peer` is open; `address` is the one dialed (nil for inbound).
    public mutating func connected(_ peer: NodeID, address: String?, now: MonotonicTime) -> MembershipDirectives {
        var out = MembershipDirectives()
        handleConnected(peer, address: address, now: now, into: &out)
        finish(&out, now: now)
        return out
    }

    private mutating func handleConnected(_ peer: NodeID, address: String?, now: MonotonicTime, into out: inout MembershipDirectives) {
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

    /// The link to `peer` closed.
    public mutating func disconnected(_ peer: NodeID, now: MonotonicTime) -> MembershipDirectives {
        if connected.contains(peer) { closedLink(peer, now: now) }
        var out = MembershipDirectives()
        // A seed whose link closed keeps its node ID: while it is an alive member it
        // needs no link of its own (a seed sheds surplus links like any node, and
        // must not be dialed straight back by everyone it sheds).
        for i in seeds.indices where seeds[i].node == peer {
            seeds[i].nextAttempt = min(seeds[i].nextAttempt, now + jittered(seeds[i].backoff))
        }
        finish(&out, now: now)
        return out
    }

    /// A dial to `address` failed (refused, timed out, handshake refused).
    public mutating func dialFailed(address: String, node: NodeID?, now: MonotonicTime) -> MembershipDirectives {
        var out = MembershipDirectives()
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
        finish(&out, now: now)
        return out
    }

    /// Leaves the cluster gracefully: tells the members this node is gone.
    public mutating func leave(now: MonotonicTime) -> MembershipDirectives {
        var out = MembershipDirectives()
        let update = MembershipUpdate.dead(node: selfID, incarnation: incarnation, by: selfID)
        // Over every link; the neighbours spread it further by piggybacking.
        for m in connected { out.sends.append((m, .ping(sequence: nextSequence(), updates: [update]))) }
        return out
    }

    /// A membership message from `peer` (authenticated by the transport).
    public mutating func receive(_ message: GossipMessage, from peer: NodeID, now: MonotonicTime) -> MembershipDirectives {
        var out = MembershipDirectives()
        handle(message, from: peer, now: now, into: &out)
        finish(&out, now: now)
        return out
    }

    private mutating func handle(_ message: GossipMessage, from peer: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) {
        if policy.isBanned(peer, now: now) {
            out.disconnects.append((peer, .misbehaviour(.invalid("message from a banned peer"))))
            return
        }
        if let bad = policy.charge(peer, bytes: 0, now: now) {
            drop(peer, bad, into: &out)
            return
        }
        switch message {
        case let .ping(seq, updates):
            guard apply(updates, from: peer, asSync: false, now: now, into: &out) else { return }
            out.sends.append((peer, .ack(sequence: seq, updates: piggyback())))
        case let .ack(seq, updates):
            guard apply(updates, from: peer, asSync: false, now: now, into: &out) else { return }
            if probe?.sequence == seq {
                probe?.acked = true
            } else if let relay = relays.removeValue(forKey: seq) {
                out.sends.append((relay.origin, .ack(sequence: relay.originSequence, updates: piggyback())))
            }
        case let .pingRequest(seq, target, updates):
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
        case let .nack(seq):
            if probe?.sequence == seq { probe?.nacks += 1 }
        case let .sync(reply, updates):
            guard apply(updates, from: peer, asSync: true, now: now, into: &out) else { return }
            if !reply { out.sends.append((peer, .sync(reply: true, updates: fullState()))) }
        case let .digest(reply, entries):
            answerDigest(entries, from: peer, now: now, into: &out)
            if !reply { out.sends.append((peer, .digest(reply: true, members: digest()))) }
        default:
            penalise(peer, "\(message.kindName) is not a membership message", now: now, into: &out)
        }
    }

    /// Time passed: probe, time out suspicions, retry seeds, keep the target number of links.
    public mutating func tick(now: MonotonicTime) -> MembershipDirectives {
        var out = MembershipDirectives()
        step(now: now, into: &out)
        finish(&out, now: now)
        return out
    }

    private mutating func step(now: MonotonicTime, into out: inout MembershipDirectives) {
        runProbe(now: now, into: &out)
        runRelays(now: now, into: &out)
        expireSuspicions(now: now, into: &out)
        reclaimDead(now: now)
        retrySeeds(now: now, into: &out)
        maintainLinks(now: now, into: &out)
        if now >= nextSync {
            nextSync = now + jittered(scaledSyncInterval)
            // Push-pull over a link, by digest: records travel only where one side knows better.
            let candidates = connected.filter { members[$0]?.state == .alive }
            if !candidates.isEmpty {
                let peer = candidates[Int(random.next() % UInt64(candidates.count))]
                out.sends.append((peer, .digest(reply: false, members: digest())))
            }
            policy.expire(now: now)
            cooldown = cooldown.filter { $0.value > now }
        }
    }

    // MARK: SWIM probing

    private mutating func runProbe(now: MonotonicTime, into out: inout MembershipDirectives) {
        if var p = probe {
            if !p.acked && !p.indirectSent && now >= p.ackDeadline {
                // Lifeguard: ask k others, and expect a nack from each that cannot reach the target.
                let relaysChosen = pickMembers(settings.indirectProbes, excluding: [p.target])
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

    private mutating func runRelays(now: MonotonicTime, into out: inout MembershipDirectives) {
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

    // MARK: Suspicion (Lifeguard)

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

    private mutating func suspect(_ node: NodeID, incarnation: UInt64, by: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) {
        guard var m = members[node] else { return }
        let (minimum, maximum) = suspicionBounds()
        m.state = .suspect
        m.incarnation = incarnation
        m.stateChanged = now
        let timeout = Self.suspicionTimeout(minimum: minimum, maximum: maximum, confirmations: 0, expected: settings.indirectProbes)
        m.suspicion = Suspicion(start: now, minimum: minimum, maximum: maximum, confirmers: [by], deadline: now + timeout)
        members[node] = m
        enqueue(.suspect(node: node, incarnation: incarnation, by: by))
        out.events.append(.suspected(node))
    }

    private mutating func expireSuspicions(now: MonotonicTime, into out: inout MembershipDirectives) {
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
        members[node] = m
        enqueue(.dead(node: node, incarnation: incarnation, by: by))
        out.events.append(.died(node))
        if connected.contains(node) {
            closedLink(node, now: now)
            out.disconnects.append((node, .dead))
        }
    }

    private mutating func reclaimDead(now: MonotonicTime) {
        let before = memberOrder.count
        memberOrder.removeAll { id in
            guard let m = members[id], m.state == .dead, now - m.stateChanged >= settings.deadRetention else { return false }
            members[id] = nil
            return true
        }
        if memberOrder.count != before { probeIndex = probeList.count }
    }

    private mutating func refute(_ seen: UInt64, into out: inout MembershipDirectives) {
        incarnation = max(incarnation, seen) &+ 1
        localHealth = min(settings.maxLocalHealth, localHealth + 1)
        enqueue(.alive(incarnation: incarnation, record: selfRecord))
        out.events.append(.refuted(incarnation: incarnation))
    }

    // MARK: Updates

    /// Applies piggybacked or synced updates; false if the sender was dropped.
    private mutating func apply(_ updates: [MembershipUpdate], from peer: NodeID, asSync: Bool, now: MonotonicTime, into out: inout MembershipDirectives) -> Bool {
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

    private func accepts(_ record: PeerRecord) -> Bool {
        if record.community == selfRecord.community { return true }
        // Gateways also track the gateways of other communities.
        return selfRecord.role == .gateway && record.role == .gateway
    }

    private mutating func applyAlive(_ record: PeerRecord, incarnation inc: UInt64, from peer: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) -> Bool {
        let id = record.nodeID
        if id == selfID {
            if inc > incarnation || (inc == incarnation && record != selfRecord && record.sequence >= selfRecord.sequence) { refute(inc, into: &out) }
            return true
        }
        guard accepts(record) else { return true }
        let known = members[id]
        if let known, inc < known.incarnation { return true }
        if let known, inc == known.incarnation, known.state != .alive || known.record == record { return true }
        if let known, known.record != record, record.sequence < known.record.sequence { return true }
        // Only a record we have not verified costs a signature check.
        if known?.record != record {
            guard record.hasValidSignature() else {
                penalise(peer, "peer record of \(id) has a bad signature", now: now, into: &out)
                return !policy.isBanned(peer, now: now)
            }
            addressBook.learn(record, now: now)
        }
        if var m = known {
            let wasAlive = m.state == .alive
            m.record = record.sequence >= m.record.sequence ? record : m.record
            m.incarnation = inc
            m.state = .alive
            m.suspicion = nil
            m.stateChanged = now
            members[id] = m
            if !wasAlive { out.events.append(.recovered(id)) }
        } else {
            guard memberOrder.count < settings.maxMembers else { return true }
            members[id] = Member(record: record, state: .alive, incarnation: inc, stateChanged: now)
            memberOrder.append(id)
            // A newcomer goes to a random place in the current probe pass (memberlist does the same).
            let at = probeIndex + Int(random.next() % UInt64(probeList.count - probeIndex + 1))
            probeList.insert(id, at: at)
            out.events.append(.joined(id))
        }
        enqueue(.alive(incarnation: inc, record: record))
        return true
    }

    private mutating func applySuspect(_ node: NodeID, incarnation inc: UInt64, by: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) {
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
            members[node] = m
            enqueue(.suspect(node: node, incarnation: inc, by: by))
            return
        }
        suspect(node, incarnation: inc, by: by, now: now, into: &out)
    }

    private mutating func applyDead(_ node: NodeID, incarnation inc: UInt64, by: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) {
        if node == selfID {
            if by != selfID, inc >= incarnation { refute(inc, into: &out) }
            return
        }
        guard let m = members[node], m.state != .dead, inc >= m.incarnation else { return }
        declareDead(node, incarnation: inc, by: by, now: now, into: &out)
    }

    private mutating func enqueue(_ update: MembershipUpdate) {
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

    private mutating func piggyback() -> [MembershipUpdate] {
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

    private func fullState() -> [MembershipUpdate] {
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
    private mutating func answerDigest(_ entries: [MemberDigest], from peer: NodeID, now: MonotonicTime, into out: inout MembershipDirectives) {
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

    // MARK: Seeds and links

    private mutating func retrySeeds(now: MonotonicTime, into out: inout MembershipDirectives) {
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
    private func seedSatisfied(_ s: Seed) -> Bool {
        guard let node = s.node else { return false }
        return connected.contains(node) || members[node].map { $0.state != .dead } == true
    }

    private mutating func maintainLinks(now: MonotonicTime, into out: inout MembershipDirectives) {
        dialing.removeAll { $0.until <= now }
        let mine = selfRecord.community
        let inCommunity = connected.filter { members[$0]?.record.community == mine }.count
        let pending = dialing.count
        if inCommunity + pending < settings.targetPeers {
            dial(settings.targetPeers - inCommunity - pending, now: now, into: &out) { $0.community == mine }
        }
        if selfRecord.role == .gateway {
            let foreign = connected.filter { members[$0].map { $0.record.community != mine } ?? false }.count
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

    private mutating func closedLink(_ peer: NodeID, now: MonotonicTime) {
        connected.removeAll { $0 == peer }
        linkedAt[peer] = nil
        cooldown[peer] = now + settings.redialCooldown
        // A probe over a link that closed proves nothing either way: drop it
        // (the member is probed by its other neighbours).
        if probe?.target == peer, probe?.acked == false { probe = nil }
    }

    /// `syncInterval`, stretched for large clusters as memberlist does: × (1 + ceil(log2(N / 32))) above 32 members.
    var scaledSyncInterval: Duration {
        var factor = 1, n = 32
        while n < clusterSize { n *= 2; factor += 1 }
        return settings.syncInterval * factor
    }

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

    private mutating func pickMembers(_ k: Int, excluding: [NodeID]) -> [NodeID] {
        // Relays are neighbours: a ping-request travels over an open link.
        var pool = connected.filter { members[$0]?.state == .alive && !excluding.contains($0) }
        pool.shuffle(using: &random)
        return Array(pool.prefix(k))
    }

    private mutating func jittered(_ backoff: Duration) -> Duration {
        // ±25% jitter, so seeds restarted together do not retry in lockstep.
        let quarter = Duration.nanoseconds(backoff.wholeNanoseconds / 4)
        return backoff - quarter + random.duration(upTo: quarter * 2)
    }

    private mutating func nextSequence() -> UInt64 {
        sequence &+= 1
        return sequence
    }

    private mutating func penalise(_ peer: NodeID, _ why: String, now: MonotonicTime, into out: inout MembershipDirectives) {
        if let bad = policy.penalise(peer, .invalid(why), now: now) { drop(peer, bad, into: &out) }
    }

    private mutating func drop(_ peer: NodeID, _ why: Misbehaviour, into out: inout MembershipDirectives) {
        connected.removeAll { $0 == peer }
        linkedAt[peer] = nil
        out.disconnects.append((peer, .misbehaviour(why)))
    }

    private func finish(_ out: inout MembershipDirectives, now: MonotonicTime) {
        var wake = nextProbeAt
        if let p = probe { wake = min(wake, p.indirectSent ? p.periodEnd : p.ackDeadline) }
        wake = min(wake, nextSync)
        for id in memberOrder { if let d = members[id]?.suspicion?.deadline { wake = min(wake, d) } }
        for seq in relayOrder { if let r = relays[seq] { wake = min(wake, r.nackDeadline ?? r.expires) } }
        for s in seeds where !seedSatisfied(s) { wake = min(wake, max(s.nextAttempt, now)) }
        out.nextWakeup = max(wake, now)
    }
}

extension AddressBook {
    /// Sets one address's quality (restoring a saved book).
    mutating func setQuality(node: NodeID, address: String, quality: UInt8) {
        guard let e = entry(for: node), let j = e.record.addresses.firstIndex(of: address) else { return }
        var copy = e
        copy.quality[j] = min(quality, AddressBook.maxQuality)
        replace(copy)
    }
}
