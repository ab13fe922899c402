/// Unsigned LEB128: seven bits a byte, least significant group first, the high
/// bit set on every byte but the last. Canonical form is the shortest one.
public enum Varint {
    /// Largest encoded size of a `UInt64`.
    public static let maxSize = 10

    /// Bytes needed to encode `value`.
    @inlinable
    public static func size(of value: UInt64) -> Int {
        let bits = 64 &- value.leadingZeroBitCount
        return bits == 0 ? 1 : (bits &+ 6) / 7
    }

    /// The encoding of `value` as bytes.
    public static func encode(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: v))
        return out
    }
}
