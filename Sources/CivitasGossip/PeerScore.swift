public import CivitasLedger
public import CivitasTime

/// Why a core asks the shell to drop a peer.
public enum Misbehaviour: Sendable, Hashable, CustomStringConvertible {
    /// More messages or bytes than the per-peer rate limit allows.
    case flooding
    /// A message that failed validation (wrong ID, unknown topic, bad signature, bad block …).
    case invalid(String)
    /// Asked for blocks and did not answer in time, repeatedly.
    case unresponsive

    public var description: String {
        switch self {
        case .flooding: return "flooding (rate limit exceeded)"
        case let .invalid(why): return "invalid message: \(why)"
        case .unresponsive: return "unresponsive"
        }
    }
}

/// Settings of the per-peer token buckets and score (shared by the cores that police peers).
public struct PeerPolicySettings: Sendable, Hashable {
    /// Sustained messages per second a peer may send. 20,000: every
    /// transaction is a message of its own, and a community's validators order
    /// thousands a second under load (`make bench-ordering`); still far below
    /// what would let one peer starve the node.
    public var messagesPerSecond: UInt64 = 20_000
    /// Burst allowance in messages (the bucket's size): two seconds of the sustained rate.
    public var burstMessages: UInt64 = 40_000
    /// Sustained payload bytes per second a peer may send. 32 MiB/s: eight
    /// maximum payloads a second, and 20,000 transactions of a few hundred bytes.
    public var bytesPerSecond: UInt64 = 32 << 20
    /// Burst allowance in bytes. 64 MiB: sixteen maximum payloads back to back.
    public var burstBytes: UInt64 = 64 << 20
    /// Score lost per message over the limit. 1: a short burst costs little.
    public var floodPenalty: Int = 1
    /// Score lost per invalid message. 25: four invalid messages ban a peer,
    /// because honest nodes never send one.
    public var invalidPenalty: Int = 25
    /// Score at or below which a peer is disconnected and banned. -100.
    public var banThreshold: Int = -100
    /// Score regained per second of good behaviour (up to 0). 1: an honest peer
    /// that tripped the limit once recovers within minutes.
    public var recoveryPerSecond: Int = 1
    /// How long a banned peer is refused. 10 minutes: long enough that a
    /// flooding peer's reconnection loop costs it more than us.
    public var banDuration: Duration = .seconds(600)

    public init() {}
}

/// Token buckets, score and bans for every peer a core hears from. Pure: it
/// takes `now`, and says when a peer must be dropped.
public struct PeerPolicy: Sendable {
    /// Tokens are kept in nano-units (one token = 10^9), so refills at any
    /// interval lose nothing to rounding.
    struct Entry: Sendable {
        var messageTokens: UInt64
        var byteTokens: UInt64
        var score: Int
        var updated: MonotonicTime
        var scoreUpdated: MonotonicTime
    }

    /// The settings in force.
    public let settings: PeerPolicySettings
    private var entries: [NodeID: Entry] = [:]
    private var bannedUntil: [NodeID: MonotonicTime] = [:]

    public init(settings: PeerPolicySettings = .init()) { self.settings = settings }

    /// True while `peer` is banned.
    public func isBanned(_ peer: NodeID, now: MonotonicTime) -> Bool {
        if let until = bannedUntil[peer], until > now { return true }
        return false
    }

    /// The peer's current score (0 for a peer never penalised).
    public func score(of peer: NodeID) -> Int { entries[peer]?.score ?? 0 }

    private static let nano: UInt64 = 1_000_000_000

    private static func scaled(_ x: UInt64) -> UInt64 {
        let (v, o) = x.multipliedReportingOverflow(by: nano)
        return o ? .max : v
    }

    private mutating func refill(_ peer: NodeID, now: MonotonicTime) -> Entry {
        let fullMessages = Self.scaled(settings.burstMessages), fullBytes = Self.scaled(settings.burstBytes)
        var e = entries[peer] ?? Entry(messageTokens: fullMessages, byteTokens: fullBytes, score: 0, updated: now, scoreUpdated: now)
        if now > e.updated {
            // Tokens per second times nanoseconds: nano-tokens, the unit the buckets hold.
            let elapsed = now.nanosecondsSinceOrigin - e.updated.nanosecondsSinceOrigin
            let (m, mo) = settings.messagesPerSecond.multipliedReportingOverflow(by: elapsed)
            e.messageTokens = mo ? fullMessages : min(fullMessages, e.messageTokens.addingReportingOverflow(m).overflow ? .max : e.messageTokens + m)
            let (b, bo) = settings.bytesPerSecond.multipliedReportingOverflow(by: elapsed)
            e.byteTokens = bo ? fullBytes : min(fullBytes, e.byteTokens.addingReportingOverflow(b).overflow ? .max : e.byteTokens + b)
            e.updated = now
        }
        if now > e.scoreUpdated {
            // Whole seconds, from the clocks' nanoseconds (no Duration arithmetic on every message).
            let seconds = Int64((now.nanosecondsSinceOrigin - e.scoreUpdated.nanosecondsSinceOrigin) / 1_000_000_000)
            if seconds > 0 {
                if e.score < 0 { e.score = min(0, e.score + Int(min(seconds, 1 << 20)) * settings.recoveryPerSecond) }
                e.scoreUpdated += .seconds(seconds)  // keep the fraction of a second for next time
            }
        }
        return e
    }

    /// Charges one message of `bytes` to `peer`. Returns a misbehaviour when
    /// the peer must now be dropped (the peer is then banned).
    public mutating func charge(_ peer: NodeID, bytes: Int, now: MonotonicTime) -> Misbehaviour? {
        var e = refill(peer, now: now)
        let cost = Self.scaled(UInt64(max(0, bytes)))
        var over = false
        if e.messageTokens >= Self.nano { e.messageTokens -= Self.nano } else { over = true }
        if e.byteTokens >= cost { e.byteTokens -= cost } else { e.byteTokens = 0; over = true }
        if over { e.score -= settings.floodPenalty }
        entries[peer] = e
        if e.score <= settings.banThreshold {
            ban(peer, now: now)
            return .flooding
        }
        return nil
    }

    /// Records an invalid message from `peer`; returns it back when the peer must be dropped.
    public mutating func penalise(_ peer: NodeID, _ why: Misbehaviour, now: MonotonicTime) -> Misbehaviour? {
        var e = refill(peer, now: now)
        e.score -= settings.invalidPenalty
        entries[peer] = e
        if e.score <= settings.banThreshold {
            ban(peer, now: now)
            return why
        }
        return nil
    }

    /// Bans `peer` now, whatever its score.
    public mutating func ban(_ peer: NodeID, now: MonotonicTime) {
        bannedUntil[peer] = now + settings.banDuration
        entries[peer] = nil
    }

    /// Forgets expired bans and idle peers (call now and then to bound memory).
    public mutating func expire(now: MonotonicTime) {
        bannedUntil = bannedUntil.filter { $0.value > now }
        entries = entries.filter { $0.value.score < 0 || now - $0.value.updated < .seconds(60) }
    }
}
