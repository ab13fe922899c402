/// The simulation's one source of randomness: xoshiro256** seeded through
/// SplitMix64. Everything a run does is drawn from it (or from generators
/// forked from it), so a seed reproduces a run exactly.
public struct SimRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// An independent generator for one purpose (so adding draws elsewhere does not shift it).
    public mutating func fork() -> SimRandom { SimRandom(seed: next()) }

    /// Uniform in `0..<n` (n > 0).
    public mutating func below(_ n: UInt64) -> UInt64 { n <= 1 ? 0 : next() % n }

    /// Uniform in `range`.
    public mutating func between(_ range: ClosedRange<UInt64>) -> UInt64 {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in `0..<bound`, in whole microseconds (the kernel's resolution):
    /// the same draw as `below` of the bound's microseconds.
    public mutating func duration(below bound: Duration) -> Duration {
        .microseconds(below(UInt64(clamping: bound.wholeMicroseconds)))
    }

    /// Uniform in `range`, in whole microseconds (the kernel's resolution):
    /// the same draw as `between` of the bounds' microseconds.
    public mutating func duration(in range: ClosedRange<Duration>) -> Duration {
        let lower = UInt64(clamping: range.lowerBound.wholeMicroseconds)
        let upper = UInt64(clamping: range.upperBound.wholeMicroseconds)
        return .microseconds(between(lower...upper))
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { p > 0 && unit() < p }

    /// An element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T { items[Int(below(UInt64(items.count)))] }
}
