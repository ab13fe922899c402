/// The range every integer of the governance state lies in: 0 ... Int64.max,
/// what SQLite's INTEGER holds. A height or time from a payload or a block
/// header beyond it is clamped when it enters the state (the order of all
/// smaller values is kept), so the in-memory state and the state database
/// record the same value and their digests can agree.
public enum StateInteger {
    /// The largest value the state holds.
    public static let max = UInt64(Int64.max)

    /// `value`, or `max` if it is larger.
    @inlinable
    public static func clamp(_ value: UInt64) -> UInt64 { Swift.min(value, max) }

    /// `a + b` of two state integers, saturating at `max`.
    @inlinable
    public static func sum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (s, overflow) = clamp(a).addingReportingOverflow(clamp(b))
        return overflow ? max : clamp(s)
    }

    /// Milliseconds in `seconds`, saturating at `max`.
    @inlinable
    public static func milliseconds(seconds: UInt64) -> UInt64 {
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? max : clamp(ms)
    }
}
