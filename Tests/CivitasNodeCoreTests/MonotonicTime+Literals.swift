public import CivitasTime

/// In these tests an integer literal where an instant is expected is
/// milliseconds since the clock's origin (`now: 5` is 5 ms), the unit the
/// mempool's and the core's tests are written in.
extension MonotonicTime: ExpressibleByIntegerLiteral {
    public init(integerLiteral milliseconds: UInt64) {
        self = .origin + .milliseconds(milliseconds)
    }
}
