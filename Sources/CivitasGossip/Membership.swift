public import CivitasLedger
public import CivitasTime
import CivitasCodec

/// SWIM failure detection with Lifeguard's refinements, plus discovery from
/// seeds and signed peer records, and the choice of links to keep. A value
/// type: time and randomness are inputs (a seed for the generator it owns),
/// it never reads a clock or touches the network.
///
/// Contract with the shell: report links (`connected`, `disconnected`,
/// `dialFailed`), pass every membership message to `receive`, call `tick` at
/// or after `nextWakeup`, and carry out every directive. Persist
/// `addressBook` now and then; give it back to `init` after a restart.
///
/// This file holds the state, the inputs and the wake-up; each part of the
/// protocol is an extension of its own: `Membership+Probing.swift` (SWIM's
/// probe cycle), `+Suspicion` (Lifeguard's suspicion and death), `+Discovery`
/// (members from signed records), `+StateExchange` (piggybacking and
/// push-pull), `+Links` (seeds, dials and surplus links).
public struct Membership: Sendable {
    /// The settings in force.
    public let settings: MembershipSettings
    /// This node's signed record.
    public private(set) var selfRecord: PeerRecord
    /// This node's SWIM incarnation (raised to refute suspicions).
    public internal(set) var incarnation: UInt64
    /// Lifeguard's local health score, 0 (healthy) ... `maxLocalHealth`.
    public internal(set) var localHealth = 0
    /// Known peers and address quality; the shell persists it.
    public internal(set) var addressBook: AddressBook
    /// Links currently open (reported by the shell).
    public internal(set) var connected: [NodeID] = []
    /// Per-peer limits, score and bans.
    public internal(set) var policy: PeerPolicy

    // Members, in the order they were learnt (written through `setMember`).
    private(set) var members: [NodeID: Member] = [:]
    var memberOrder: [NodeID] = []
    /// Members dead, and suspected, kept with `members`: the cluster size and
    /// the timers are read at every message, and would look every member up.
    private(set) var deadCount = 0
    private(set) var suspectCount = 0
    // Probing: the current pass over the linked members, the probe in flight, pings relayed for others.
    var probeList: [NodeID] = []
    var probeIndex = 0
    var probe: Probe?
    var nextProbeAt: MonotonicTime
    var relays: [UInt64: Relay] = [:]
    var relayOrder: [UInt64] = []
    var sequence: UInt64 = 0
    // State exchange: updates still to piggyback, and the next push-pull.
    var broadcasts: [(node: NodeID, update: MembershipUpdate, transmits: Int)] = []
    var nextSync: MonotonicTime
    // Links: seeds, dials in flight, when each link opened, members not to redial before a time.
    var seeds: [Seed]
    var dialing: [(node: NodeID, until: MonotonicTime)] = []
    var linkedAt: [NodeID: MonotonicTime] = [:]
    var cooldown: [NodeID: MonotonicTime] = [:]
    var linkSummary: LinkSummary?
    var memberTimers: MemberTimers?
    var random: SplitMix64
    /// Where peer records' signatures are checked.
    let signatures: SignatureVerifier

    /// The node's own ID.
    public var selfID: NodeID { selfRecord.nodeID }

    /// A core for `selfRecord` (signed by the shell, which holds the key).
    /// `seeds` are "host:port" addresses retried forever; `addressBook` is the
    /// one saved before a restart (records with bad signatures are dropped).
    public init(selfRecord: PeerRecord, seeds: [String], addressBook: AddressBook = .init(),
                settings: MembershipSettings = .init(), incarnation: UInt64 = 0, seed: UInt64, now: MonotonicTime,
                signatures: SignatureVerifier = .direct) {
        self.settings = settings
        self.signatures = signatures
        self.selfRecord = selfRecord
        self.incarnation = incarnation
        self.policy = PeerPolicy(settings: settings.policy)
        self.addressBook = Self.verified(addressBook, excluding: selfRecord.nodeID, signatures: signatures)
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
    public var clusterSize: Int { 1 + members.count - deadCount }

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
        linkOpened(peer, address: address, now: now, into: &out)
        finish(&out, now: now)
        return out
    }

    /// The link to `peer` closed.
    public mutating func disconnected(_ peer: NodeID, now: MonotonicTime) -> MembershipDirectives {
        var out = MembershipDirectives()
        linkClosed(peer, now: now)
        finish(&out, now: now)
        return out
    }

    /// A dial to `address` failed (refused, timed out, handshake refused).
    public mutating func dialFailed(address: String, node: NodeID?, now: MonotonicTime) -> MembershipDirectives {
        var out = MembershipDirectives()
        recordDialFailure(address: address, node: node, now: now)
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
            receivePing(seq, updates: updates, from: peer, now: now, into: &out)
        case let .ack(seq, updates):
            receiveAck(seq, updates: updates, from: peer, now: now, into: &out)
        case let .pingRequest(seq, target, updates):
            receivePingRequest(seq, target: target, updates: updates, from: peer, now: now, into: &out)
        case let .nack(seq):
            receiveNack(seq)
        case let .sync(reply, updates):
            receiveSync(reply: reply, updates: updates, from: peer, now: now, into: &out)
        case let .digest(reply, entries):
            receiveDigest(reply: reply, entries: entries, from: peer, now: now, into: &out)
        default:
            penalise(peer, "\(message.kindName) is not a membership message", now: now, into: &out)
        }
    }

    /// Time passed: probe, time out suspicions, retry seeds, keep the target number of links.
    public mutating func tick(now: MonotonicTime) -> MembershipDirectives {
        var out = MembershipDirectives()
        runProbe(now: now, into: &out)
        runRelays(now: now, into: &out)
        expireSuspicions(now: now, into: &out)
        reclaimDead(now: now)
        retrySeeds(now: now, into: &out)
        maintainLinks(now: now, into: &out)
        if now >= nextSync {
            startPushPull(now: now, into: &out)
            // Housekeeping rides on the push-pull timer.
            policy.expire(now: now)
            cooldown = cooldown.filter { $0.value > now }
        }
        finish(&out, now: now)
        return out
    }

    /// Records member `id` as `member` (nil: forgotten), keeping the counts by state.
    mutating func setMember(_ id: NodeID, _ member: Member?) {
        linkSummary = nil
        memberTimers = nil
        if let old = members[id] { count(old.state, by: -1) }
        if let member { count(member.state, by: 1) }
        members[id] = member
    }

    private mutating func count(_ state: MemberState, by delta: Int) {
        switch state {
        case .dead: deadCount += delta
        case .suspect: suspectCount += delta
        case .alive: break
        }
    }

    /// The next wake-up: the earliest of every timer the core holds.
    private mutating func finish(_ out: inout MembershipDirectives, now: MonotonicTime) {
        var wake = nextProbeAt
        if let p = probe { wake = min(wake, p.indirectSent ? p.periodEnd : p.ackDeadline) }
        wake = min(wake, nextSync)
        if let d = currentMemberTimers().suspicion { wake = min(wake, d) }
        for seq in relayOrder { if let r = relays[seq] { wake = min(wake, r.nackDeadline ?? r.expires) } }
        if let due = currentLinkSummary().seedDue { wake = min(wake, max(due, now)) }
        out.nextWakeup = max(wake, now)
    }
}
