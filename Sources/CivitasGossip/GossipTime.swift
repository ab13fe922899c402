/// Nanoseconds on the shell's monotonic clock. The cores never read a clock:
/// every input that depends on time carries `now` in this unit, and every
/// setting that is a duration is in this unit too.
public typealias GossipTime = UInt64

/// Duration helpers, so settings read as `.milliseconds(200)` would.
public enum GossipDuration {
    /// `n` milliseconds in nanoseconds.
    @inlinable public static func milliseconds(_ n: UInt64) -> GossipTime { n &* 1_000_000 }
    /// `n` seconds in nanoseconds.
    @inlinable public static func seconds(_ n: UInt64) -> GossipTime { n &* 1_000_000_000 }
}
