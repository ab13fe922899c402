public import CivitasCodec

/// Test-input helpers on the shared seeded generator.
extension SplitMix64 {
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
