public import CivitasCodec

/// A SHA-256 digest: transaction IDs, block hashes, Merkle roots.
public typealias Hash = Bytes32

/// An Ed25519 signature (64 bytes).
public typealias Signature = Bytes64

/// An Ed25519 public key (32 raw bytes, RFC 8032 encoding).
public struct PublicKey: Hashable, Sendable, Comparable, CanonicalCodable, CustomStringConvertible {
    /// The raw key bytes.
    public var raw: Bytes32

    @inlinable public init(raw: Bytes32) { self.raw = raw }

    @inlinable public func encode(to writer: inout ByteWriter) { raw.encode(to: &writer) }
    @inlinable public init(from reader: inout ByteReader) throws(CodecError) { raw = try Bytes32(from: &reader) }
    public static var minEncodedSize: Int { 32 }
    public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
    public var description: String { raw.hex }

    /// The subject ID this key stands for.
    public var subjectID: SubjectID { SubjectID(deriving: self) }
    /// The node ID this key stands for.
    public var nodeID: NodeID { NodeID(deriving: self) }
}

/// A subject (resident, committee, provider …) on the chain: the first 16 bytes
/// of SHA-256("civitas/v1/subject-id" ‖ 0x00 ‖ public key).
public struct SubjectID: Hashable, Sendable, Comparable, CanonicalCodable, CustomStringConvertible {
    /// The identifier bytes.
    public var raw: Bytes16

    @inlinable public init(raw: Bytes16) { self.raw = raw }

    /// Derives the ID from the subject's public key.
    public init(deriving key: PublicKey) {
        raw = Hashing.truncatedID(domain: "civitas/v1/subject-id", key: key)
    }

    @inlinable public func encode(to writer: inout ByteWriter) { raw.encode(to: &writer) }
    @inlinable public init(from reader: inout ByteReader) throws(CodecError) { raw = try Bytes16(from: &reader) }
    public static var minEncodedSize: Int { 16 }
    public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
    public var description: String { "sub_" + raw.hex }
}

/// A node of the network: the first 16 bytes of
/// SHA-256("civitas/v1/node-id" ‖ 0x00 ‖ node public key).
public struct NodeID: Hashable, Sendable, Comparable, CanonicalCodable, CustomStringConvertible {
    /// The identifier bytes.
    public var raw: Bytes16

    @inlinable public init(raw: Bytes16) { self.raw = raw }

    /// Derives the ID from the node's public key.
    public init(deriving key: PublicKey) {
        raw = Hashing.truncatedID(domain: "civitas/v1/node-id", key: key)
    }

    @inlinable public func encode(to writer: inout ByteWriter) { raw.encode(to: &writer) }
    @inlinable public init(from reader: inout ByteReader) throws(CodecError) { raw = try Bytes16(from: &reader) }
    public static var minEncodedSize: Int { 16 }
    public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
    public var description: String { "node_" + raw.hex }
}

/// A community's name on the chain: 1–64 bytes of `a-z`, `0-9` and `-`,
/// not starting or ending with `-`.
public struct CommunityID: Hashable, Sendable, Comparable, CanonicalCodable, CustomStringConvertible {
    /// The name.
    public let name: String

    /// The largest name length in bytes.
    public static let maxLength = 64

    /// Validates `name`; nil if it breaks the naming rule.
    public init?(_ name: String) {
        guard Self.isValid(name) else { return nil }
        self.name = name
    }

    static func isValid(_ name: String) -> Bool {
        var copy = name
        return copy.withUTF8 { isValid(UnsafeRawBufferPointer($0)) }
    }

    @inlinable public func encode(to writer: inout ByteWriter) { writer.writeString(name) }

    public init(from reader: inout ByteReader) throws(CodecError) {
        let start = reader.offset
        let n = try reader.readLength(limit: Self.maxLength)
        let bytes = UnsafeRawBufferPointer(start: try reader.take(n), count: n)
        // Checked on the raw bytes (a-z, 0-9 and '-' are ASCII, so also valid UTF-8).
        guard Self.isValid(bytes) else {
            throw CodecError(.invalidValue(field: "community", reason: "must be 1-64 of a-z, 0-9, '-' not at either end"), at: start)
        }
        name = String(decoding: bytes, as: UTF8.self)
    }

    static func isValid(_ u: UnsafeRawBufferPointer) -> Bool {
        guard (1...maxLength).contains(u.count), u[0] != UInt8(ascii: "-"), u[u.count - 1] != UInt8(ascii: "-") else { return false }
        for c in u {
            guard (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") else {
                return false
            }
        }
        return true
    }

    public static var minEncodedSize: Int { 2 }
    public static func < (a: Self, b: Self) -> Bool { a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }
    public var description: String { name }
}

/// Milliseconds since 1970-01-01T00:00:00Z. Cores never read a clock: times
/// come from transactions, block headers or the shell.
public typealias Timestamp = UInt64
