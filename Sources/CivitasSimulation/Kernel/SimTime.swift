public import CivitasTime

/// An instant of a simulation's virtual time: whole microseconds since the
/// run's start. Every event of a run is scheduled at one; a node's clocks are
/// read from it through `monotonic(readingAtStart:)` and `wallClock(startingAt:)`,
/// the only two places where kernel time becomes a node's time.
///
/// Arithmetic is with Swift's `Duration`, truncated toward zero to the
/// microsecond (the kernel's resolution), and saturates: an instant never
/// falls before the start nor past `SimTime.max`.
public struct SimTime: Sendable, Hashable, Comparable, InstantProtocol, CustomStringConvertible {
    /// Microseconds since the run's start.
    public let microsecondsSinceStart: UInt64

    /// The instant `microsecondsSinceStart` microseconds after the start.
    public init(microsecondsSinceStart: UInt64) {
        self.microsecondsSinceStart = microsecondsSinceStart
    }

    /// The run's start.
    public static let start = SimTime(microsecondsSinceStart: 0)
    /// The last representable instant, about 584,000 years after the start ("never").
    public static let max = SimTime(microsecondsSinceStart: .max)

    @inline(__always)
    public static func < (a: SimTime, b: SimTime) -> Bool {
        a.microsecondsSinceStart < b.microsecondsSinceStart
    }

    /// The time since the run's start.
    public var sinceStart: Duration { .microseconds(microsecondsSinceStart) }

    /// The instant `duration` later (earlier, if negative), truncated to the
    /// microsecond and held within `start ... max`.
    public func advanced(by duration: Duration) -> SimTime {
        let target = Int128(microsecondsSinceStart) + duration.microsecondsTowardZero
        if target <= 0 { return .start }
        if target >= Int128(UInt64.max) { return .max }
        return SimTime(microsecondsSinceStart: UInt64(target))
    }

    /// The time from this instant to `other`: negative when `other` is earlier.
    public func duration(to other: SimTime) -> Duration {
        other >= self
            ? .microseconds(other.microsecondsSinceStart - microsecondsSinceStart)
            : .zero - .microseconds(microsecondsSinceStart - other.microsecondsSinceStart)
    }

    public static func + (t: SimTime, d: Duration) -> SimTime { t.advanced(by: d) }
    public static func - (t: SimTime, d: Duration) -> SimTime { t.advanced(by: .zero - d) }
    /// The time from `u` to `t`: negative when `t` is earlier.
    public static func - (t: SimTime, u: SimTime) -> Duration { u.duration(to: t) }
    public static func += (t: inout SimTime, d: Duration) { t = t + d }
    public static func -= (t: inout SimTime, d: Duration) { t = t - d }

    // MARK: The clock boundary

    /// What a node's monotonic clock reads at this instant, if it read `start`
    /// at the run's start (each node counts from an origin of its own).
    public func monotonic(readingAtStart start: MonotonicTime) -> MonotonicTime {
        start + sinceStart
    }

    /// The first instant at which a monotonic clock that read `start` at the
    /// run's start reads `instant` or later (rounded up to the microsecond):
    /// when a timer a node set on its monotonic clock fires in the kernel.
    public init(notBefore instant: MonotonicTime, readingAtStart start: MonotonicTime) {
        let nanoseconds = (instant - start).wholeNanoseconds
        guard nanoseconds > 0 else {
            self = .start
            return
        }
        let (micros, rest) = nanoseconds.quotientAndRemainder(dividingBy: 1_000)
        self.init(microsecondsSinceStart: UInt64(micros) + (rest == 0 ? 0 : 1))
    }

    /// What a true wall clock reads at this instant, in whole milliseconds
    /// (truncated), if it read `start` milliseconds at the run's start
    /// (a node's own wall clock adds its skew and steps to this).
    public func wallClock(startingAt start: UInt64) -> UInt64 {
        let (sum, overflow) = start.addingReportingOverflow(microsecondsSinceStart / 1_000)
        return overflow ? .max : sum
    }

    /// Seconds since the start with six decimals, e.g. `12.000500 s (simulated)`.
    public var description: String {
        let fraction = String(microsecondsSinceStart % 1_000_000)
        let padded = String(repeating: "0", count: 6 - fraction.count) + fraction
        return "\(microsecondsSinceStart / 1_000_000).\(padded) s (simulated)"
    }
}

extension Duration {
    /// Whole microseconds (the kernel's resolution), truncated toward zero.
    var microsecondsTowardZero: Int128 {
        let (seconds, attoseconds) = components
        return Int128(seconds) * 1_000_000 + Int128(attoseconds / 1_000_000_000_000)
    }

    /// Whole microseconds, truncated toward zero and clamped to `Int64`: for random draws and figures.
    var wholeMicroseconds: Int64 { Int64(clamping: microsecondsTowardZero) }

    /// The duration in milliseconds, from its whole microseconds: the figure
    /// the simulator's reports print (exactly the decimal of a whole number of µs).
    public var inMilliseconds: Double { Double(wholeMicroseconds) / 1_000 }

    /// The duration in seconds, from its whole microseconds (as `inMilliseconds`).
    public var inSeconds: Double { Double(wholeMicroseconds) / 1_000_000 }
}
