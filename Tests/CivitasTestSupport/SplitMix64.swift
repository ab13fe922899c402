/// SplitMix64 (Steele, Lea & Flood, 2014): a tiny seeded generator, so every
/// random test input is reproducible from its seed. Tests never use the
/// system's random source.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// True with probability `percent`/100.
    public mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    /// `n` random bytes.
    public mutating func bytes(_ n: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(n)
        while out.count < n {
            var word = next()
            for _ in 0..<min(8, n - out.count) {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }

    /// A value whose bit length is uniform in 0...64, so every varint size (1...10 bytes) is common.
    public mutating func varintValue() -> UInt64 {
        let bits = int(0...64)
        if bits == 0 { return 0 }
        return (next() >> UInt64(64 - bits)) | (1 << UInt64(bits - 1))
    }
}
