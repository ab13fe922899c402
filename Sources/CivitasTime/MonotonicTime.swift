/// An instant on a node's monotonic clock: nanoseconds since an arbitrary
/// origin chosen by the shell (the process start, the simulation's start).
/// Only differences between instants of one clock mean anything; timers are
/// set and compared in this type, never in wall time.
///
/// Arithmetic is with Swift's `Duration` and saturates: an instant never
/// falls before the origin nor past `MonotonicTime.max`.
public struct MonotonicTime: Sendable, Hashable, Comparable, InstantProtocol, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public let nanosecondsSinceOrigin: UInt64

    /// The instant `nanosecondsSinceOrigin` nanoseconds after the origin.
    public init(nanosecondsSinceOrigin: UInt64) {
        self.nanosecondsSinceOrigin = nanosecondsSinceOrigin
    }

    /// The clock's origin.
    public static let origin = MonotonicTime(nanosecondsSinceOrigin: 0)
    /// The last representable instant, about 584 years after the origin.
    public static let max = MonotonicTime(nanosecondsSinceOrigin: .max)

    public static func < (a: MonotonicTime, b: MonotonicTime) -> Bool {
        a.nanosecondsSinceOrigin < b.nanosecondsSinceOrigin
    }

    /// The instant `duration` later (earlier, if negative), truncated to the
    /// nanosecond and held within `origin ... max`.
    public func advanced(by duration: Duration) -> MonotonicTime {
        let target = Int128(nanosecondsSinceOrigin) + duration.nanosecondsTowardZero
        if target <= 0 { return .origin }
        if target >= Int128(UInt64.max) { return .max }
        return MonotonicTime(nanosecondsSinceOrigin: UInt64(target))
    }

    /// The time from this instant to `other`: negative when `other` is earlier.
    public func duration(to other: MonotonicTime) -> Duration {
        other >= self
            ? .nanoseconds(other.nanosecondsSinceOrigin - nanosecondsSinceOrigin)
            : .zero - .nanoseconds(nanosecondsSinceOrigin - other.nanosecondsSinceOrigin)
    }

    public static func + (t: MonotonicTime, d: Duration) -> MonotonicTime { t.advanced(by: d) }
    public static func - (t: MonotonicTime, d: Duration) -> MonotonicTime { t.advanced(by: .zero - d) }
    /// The time from `u` to `t`: negative when `t` is earlier.
    public static func - (t: MonotonicTime, u: MonotonicTime) -> Duration { u.duration(to: t) }
    public static func += (t: inout MonotonicTime, d: Duration) { t = t + d }
    public static func -= (t: inout MonotonicTime, d: Duration) { t = t - d }

    /// Seconds since the origin with nine decimals, e.g. `12.000500000 s (monotonic)`.
    public var description: String {
        let fraction = String(nanosecondsSinceOrigin % 1_000_000_000)
        let padded = String(repeating: "0", count: 9 - fraction.count) + fraction
        return "\(nanosecondsSinceOrigin / 1_000_000_000).\(padded) s (monotonic)"
    }
}

extension Duration {
    /// The duration in whole nanoseconds, truncated toward zero and clamped
    /// to `Int64` (±292 years): for integer arithmetic such as jitter and rate limits.
    public var wholeNanoseconds: Int64 {
        Int64(clamping: nanosecondsTowardZero)
    }

    /// Whole nanoseconds, truncated toward zero: one division of the
    /// attosecond count (`components` divides twice; every timer of every
    /// node does this arithmetic).
    var nanosecondsTowardZero: Int128 { attoseconds / 1_000_000_000 }
}
