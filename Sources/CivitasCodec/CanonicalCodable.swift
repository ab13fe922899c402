/// A value with exactly one binary encoding.
///
/// `encode(to:)` writes the fields in a fixed order with no names or tags;
/// `init(from:)` accepts only that encoding and throws on anything else.
public protocol CanonicalCodable {
    /// Writes the value's fields.
    func encode(to writer: inout ByteWriter)
    /// Reads the value's fields, refusing every non-canonical form.
    init(from reader: inout ByteReader) throws(CodecError)
    /// The fewest bytes any encoding of this type takes (bounds list allocations).
    static var minEncodedSize: Int { get }
}

/// A value that travels or is stored on its own, so its encoding begins with
/// a type byte and a version byte.
///
/// Upgrade rule: a decoder refuses any (type, version) pair it does not know.
/// A new layout of a type gets the next version byte and is emitted only after
/// every node of the network can decode it (activated by height in genesis
/// parameters). Hashes are taken over the whole encoding, header included, so
/// two types or versions never hash alike.
public protocol CanonicalObject: CanonicalCodable {
    /// The type byte (registered in docs/codec.md).
    static var typeTag: UInt8 { get }
    /// The layout version this build writes and reads.
    static var formatVersion: UInt8 { get }
}

extension CanonicalCodable {
    /// The canonical encoding, written into a buffer allocated once at its exact size.
    @inlinable
    public func canonicalBytes() -> [UInt8] {
        var counter = ByteWriter.counting()
        encode(to: &counter)
        let size = counter.position
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var writer = ByteWriter(writingInto: UnsafeMutableRawBufferPointer(buffer))
            encode(to: &writer)
            precondition(writer.position == size, "encoded size changed between passes")
            initialized = size
        }
    }

    /// Decodes a value that must span all of `bytes`.
    @inlinable
    public init(canonicalBytes bytes: [UInt8], limits: DecodingLimits = .default) throws(CodecError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(CodecError) -> Self in try Self(canonicalBuffer: buffer, limits: limits) }
        }
        self = try result.get()
    }

    /// Decodes a value that must span all of `buffer`.
    @inlinable
    public init(canonicalBuffer buffer: UnsafeRawBufferPointer, limits: DecodingLimits = .default) throws(CodecError) {
        var reader = ByteReader(buffer, limits: limits)
        self = try Self(from: &reader)
        try reader.finish()
    }
}

extension CanonicalObject {
    /// The type and version bytes followed by the fields.
    @inlinable
    public func encoded() -> [UInt8] {
        ObjectEnvelope(self).canonicalBytes()
    }

    /// The size of `encoded()`, counted without building it.
    @inlinable
    public var encodedSize: Int {
        var counter = ByteWriter.counting()
        ObjectEnvelope(self).encode(to: &counter)
        return counter.position
    }

    /// Decodes an object with its type and version header; the whole input must be used.
    @inlinable
    public init(encoded bytes: [UInt8], limits: DecodingLimits = .default) throws(CodecError) {
        self = try ObjectEnvelope<Self>(canonicalBytes: bytes, limits: limits).value
    }

    /// Decodes an object with its type and version header from a borrowed buffer.
    @inlinable
    public init(encodedBuffer buffer: UnsafeRawBufferPointer, limits: DecodingLimits = .default) throws(CodecError) {
        self = try ObjectEnvelope<Self>(canonicalBuffer: buffer, limits: limits).value
    }
}

/// A top-level object with its two header bytes.
public struct ObjectEnvelope<Value: CanonicalObject>: CanonicalCodable {
    /// The wrapped value.
    public var value: Value

    @inlinable
    public init(_ value: Value) { self.value = value }

    @inlinable
    public func encode(to writer: inout ByteWriter) {
        writer.writeByte(Value.typeTag)
        writer.writeByte(Value.formatVersion)
        value.encode(to: &writer)
    }

    @inlinable
    public init(from reader: inout ByteReader) throws(CodecError) {
        let start = reader.offset
        let type = try reader.readByte()
        guard type == Value.typeTag else {
            throw CodecError(.unknownTag(tag: UInt64(type), field: "object type (expected 0x\(String(Value.typeTag, radix: 16)))"), at: start)
        }
        let version = try reader.readByte()
        guard version == Value.formatVersion else {
            throw CodecError(.unknownVersion(type: type, version: version), at: start + 1)
        }
        value = try Value(from: &reader)
    }

    public static var minEncodedSize: Int { 2 + Value.minEncodedSize }
}

/// Unsigned integers encode as varints when used as list elements or optionals.
extension UInt64: CanonicalCodable {
    @inlinable public func encode(to writer: inout ByteWriter) { writer.writeVarint(self) }
    @inlinable public init(from reader: inout ByteReader) throws(CodecError) { self = try reader.readVarint() }
    public static var minEncodedSize: Int { 1 }
}

extension UInt32: CanonicalCodable {
    @inlinable public func encode(to writer: inout ByteWriter) { writer.writeVarint(UInt64(self)) }
    @inlinable public init(from reader: inout ByteReader) throws(CodecError) { self = try reader.readVarint(as: UInt32.self) }
    public static var minEncodedSize: Int { 1 }
}

/// A value whose identity is its canonical encoding: `==` and hashing compare
/// encodings byte for byte. Types with `String` fields adopt it, because
/// Swift's `String ==` treats canonically equivalent Unicode (é vs e + ◌́) as
/// equal although the encodings — and so hashes and signatures — differ.
public protocol CanonicalIdentity: CanonicalCodable, Hashable {}

extension CanonicalIdentity {
    public static func == (a: Self, b: Self) -> Bool { a.canonicalBytes() == b.canonicalBytes() }
    public func hash(into hasher: inout Hasher) { hasher.combine(canonicalBytes()) }
}
