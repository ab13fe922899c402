public import CivitasCodec

/// One row of the governance state: what a `StateChange` carries, what the
/// in-memory `GovernanceState` and the state database hold, and what
/// `GovernanceSnapshot` lists and digests.
///
/// Every integer lies in `StateInteger`'s range and every time is block time
/// (milliseconds), so both stores hold exactly the values the transition
/// produced.
public protocol StateEntry: Hashable, Sendable {
    /// True if `a`'s key sorts before `b`'s: the order of the table's primary
    /// key in the state database (bytes and names byte-wise, then integers).
    static func precedes(_ a: Self, _ b: Self) -> Bool
    /// Writes the fields in declaration order: the entry's bytes in the state digest.
    func encode(to writer: inout ByteWriter)
}

extension ByteWriter {
    /// `0` for nil, or `1` and the value as a varint.
    mutating func writeOptionalVarint<I: FixedWidthInteger & UnsignedInteger>(_ value: I?) {
        if let value {
            writeByte(1)
            writeVarint(value)
        } else {
            writeByte(0)
        }
    }

    /// `0` for nil, or `1` and the string.
    mutating func writeOptionalString(_ value: String?) {
        if let value {
            writeByte(1)
            writeString(value)
        } else {
            writeByte(0)
        }
    }

    /// A non-negative count or position as a varint.
    mutating func writeCount(_ value: Int) { writeVarint(UInt64(value)) }
}
