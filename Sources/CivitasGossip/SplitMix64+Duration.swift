import CivitasCodec

/// Random durations for jitter, drawn in whole nanoseconds. A zero range
/// draws nothing, so the generator's sequence does not depend on it.
extension SplitMix64 {
    /// Uniform in `0 ..< bound`; zero when `bound` is under a nanosecond.
    mutating func duration(below bound: Duration) -> Duration {
        let n = UInt64(clamping: bound.wholeNanoseconds)
        return n == 0 ? .zero : .nanoseconds(next() % n)
    }

    /// Uniform in `0 ... bound`; zero when `bound` is under a nanosecond.
    mutating func duration(upTo bound: Duration) -> Duration {
        let n = UInt64(clamping: bound.wholeNanoseconds)
        return n == 0 ? .zero : .nanoseconds(next() % (n + 1))
    }
}
