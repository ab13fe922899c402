/// Fixed-width byte strings stored inline (no heap allocation), used for
/// hashes, keys and signatures. They encode as their raw bytes with no length.

/// Sixteen bytes (identifiers).
public struct Bytes16: Hashable, Sendable, Comparable {
    @usableFromInline var storage: (UInt64, UInt64)
    @inlinable public init() { storage = (0, 0) }
}

/// Thirty-two bytes (SHA-256 digests, Ed25519 public keys).
public struct Bytes32: Hashable, Sendable, Comparable {
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64)
    @inlinable public init() { storage = (0, 0, 0, 0) }
}

/// Sixty-four bytes (Ed25519 signatures).
public struct Bytes64: Hashable, Sendable, Comparable {
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    @inlinable public init() { storage = (0, 0, 0, 0, 0, 0, 0, 0) }
}

/// Shared behaviour of the fixed-width byte strings.
public protocol FixedBytes: Hashable, Sendable, Comparable, CanonicalCodable, CustomStringConvertible {
    /// Width in bytes.
    static var byteCount: Int { get }
    /// All zero bytes.
    init()
    /// Calls `body` with the bytes.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
    /// Calls `body` with the bytes, mutably.
    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R
}

extension FixedBytes {
    /// The value holding `bytes`, or nil if the count is not `byteCount`.
    @inlinable
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.init()
        withUnsafeMutableBytes { dst in
            for (i, b) in bytes.enumerated() { dst[i] = b }
        }
    }

    /// Parses lower- or upper-case hex of exactly `2 * byteCount` digits.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == Self.byteCount else { return nil }
        self.init(bytes)
    }

    /// The bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lower-case hex.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }

    @inlinable
    public func encode(to writer: inout ByteWriter) {
        withUnsafeBytes { writer.writeRaw($0) }
    }

    @inlinable
    public init(from reader: inout ByteReader) throws(CodecError) {
        let p = try reader.take(Self.byteCount)
        self.init()
        withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: p, count: Self.byteCount)) }
    }

    public static var minEncodedSize: Int { byteCount }

    /// Byte-wise (lexicographic) order, the order used for every sorted list on the chain.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.lexicographicallyPrecedes(r) } }
    }
}

extension Bytes16: FixedBytes {
    public static var byteCount: Int { 16 }
    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }
    @inlinable public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &storage, body)
    }
    @inlinable public static func == (a: Self, b: Self) -> Bool { a.storage == b.storage }
    @inlinable public func hash(into h: inout Hasher) { h.combine(storage.0); h.combine(storage.1) }
}

extension Bytes32: FixedBytes {
    public static var byteCount: Int { 32 }
    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }
    @inlinable public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &storage, body)
    }
    @inlinable public static func == (a: Self, b: Self) -> Bool {
        a.storage.0 == b.storage.0 && a.storage.1 == b.storage.1 && a.storage.2 == b.storage.2 && a.storage.3 == b.storage.3
    }
    @inlinable public func hash(into h: inout Hasher) {
        h.combine(storage.0); h.combine(storage.1); h.combine(storage.2); h.combine(storage.3)
    }
}

extension Bytes64: FixedBytes {
    public static var byteCount: Int { 64 }
    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }
    @inlinable public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &storage, body)
    }
    @inlinable public static func == (a: Self, b: Self) -> Bool {
        a.withUnsafeBytes { l in b.withUnsafeBytes { r in l.elementsEqual(r) } }
    }
    @inlinable public func hash(into h: inout Hasher) { withUnsafeBytes { h.combine(bytes: $0) } }
}

/// Hexadecimal text for bytes.
public enum Hex {
    /// Lower-case hex of `bytes`.
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of `text`, ignoring ASCII whitespace; nil on any other non-hex character or an odd digit count.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8? = nil
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"): continue
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }
}
