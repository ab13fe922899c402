/// Fixed-width byte strings appear in JSON (APIs, reports) as lower-case hex strings.
extension Bytes16: Codable {}
extension Bytes32: Codable {}
extension Bytes64: Codable {}

extension FixedBytes where Self: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = Self(hex: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected \(Self.byteCount * 2) hex digits")
        }
        self = v
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}

extension ByteReader {
    /// Reads a one-byte enumeration tag that must be below `count`.
    @inlinable
    public mutating func readTag(_ field: String, count: UInt8) throws(CodecError) -> UInt8 {
        let start = offset
        let t = try readByte()
        guard t < count else { throw CodecError(.unknownTag(tag: UInt64(t), field: field), at: start) }
        return t
    }

    /// Reads a varint that must lie in `range`.
    @inlinable
    public mutating func readVarint(_ field: String, in range: ClosedRange<UInt64>) throws(CodecError) -> UInt64 {
        let start = offset
        let v = try readVarint()
        guard range.contains(v) else {
            throw CodecError(.invalidValue(field: field, reason: "\(v) is outside \(range.lowerBound)...\(range.upperBound)"), at: start)
        }
        return v
    }

    /// Reads a list whose elements must be in strictly ascending order (a set with one encoding).
    @inlinable
    public mutating func readSortedSet<T: CanonicalCodable & Comparable>(
        _ type: T.Type = T.self, field: String, limit: Int
    ) throws(CodecError) -> [T] {
        let start = offset
        let list = try readList(T.self, limit: limit)
        for i in list.indices.dropFirst() where !(list[i - 1] < list[i]) {
            throw CodecError(.invalidValue(field: field, reason: "elements must be strictly ascending (sorted, no duplicates)"), at: start)
        }
        return list
    }
}
