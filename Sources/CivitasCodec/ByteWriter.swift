/// Writes canonical encodings, or only counts their size.
///
/// Encoding runs twice over the same `encode(to:)` code: first with a counting
/// writer to learn the exact size, then into a buffer allocated once at that
/// size. One code path for both passes means the size can never disagree with
/// the bytes; if it ever did, the precondition on each write traps instead of
/// writing out of bounds.
public struct ByteWriter {
    @usableFromInline var base: UnsafeMutableRawPointer?
    @usableFromInline let capacity: Int
    @usableFromInline var _position: Int
    /// Bytes written (or counted) so far.
    @inlinable public var position: Int { _position }

    /// A writer that only counts bytes.
    @inlinable
    public static func counting() -> ByteWriter {
        ByteWriter(base: nil, capacity: Int.max, position: 0)
    }

    /// A writer into `buffer`, which must outlive the writer.
    @inlinable
    public init(writingInto buffer: UnsafeMutableRawBufferPointer) {
        self.init(base: buffer.baseAddress, capacity: buffer.count, position: 0)
    }

    @usableFromInline
    init(base: UnsafeMutableRawPointer?, capacity: Int, position: Int) {
        self.base = base
        self.capacity = capacity
        self._position = position
    }

    @inlinable
    mutating func reserve(_ n: Int) -> UnsafeMutableRawPointer? {
        guard let base else {
            _position &+= n
            return nil
        }
        precondition(n <= capacity &- position, "ByteWriter: encoded size disagrees with counted size")
        let p = base + position
        _position &+= n
        return p
    }

    /// Appends one byte.
    @inlinable
    public mutating func writeByte(_ byte: UInt8) {
        if let p = reserve(1) { p.storeBytes(of: byte, as: UInt8.self) }
    }

    /// Appends raw bytes with no length prefix (for fixed-width fields).
    @inlinable
    public mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        if let p = reserve(bytes.count), let src = bytes.baseAddress {
            p.copyMemory(from: src, byteCount: bytes.count)
        }
    }

    /// Appends an unsigned LEB128 varint in its shortest form.
    @inlinable
    public mutating func writeVarint(_ value: UInt64) {
        let size = Varint.size(of: value)
        guard let p = reserve(size) else { return }
        var v = value
        var i = 0
        while v >= 0x80 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: i, as: UInt8.self)
            v >>= 7
            i &+= 1
        }
        p.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
    }

    /// Appends an integer as a varint.
    @inlinable
    public mutating func writeVarint<I: FixedWidthInteger & UnsignedInteger>(_ value: I) {
        writeVarint(UInt64(value))
    }

    /// Appends `0` or `1`.
    @inlinable
    public mutating func writeBool(_ value: Bool) {
        writeByte(value ? 1 : 0)
    }

    /// Appends a varint length followed by the bytes.
    @inlinable
    public mutating func writeLengthPrefixed(_ bytes: [UInt8]) {
        writeVarint(UInt64(bytes.count))
        bytes.withUnsafeBytes { writeRaw($0) }
    }

    /// Appends a varint byte length followed by the string's UTF-8 bytes.
    @inlinable
    public mutating func writeString(_ string: String) {
        var s = string
        s.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            writeRaw(UnsafeRawBufferPointer(utf8))
        }
    }

    /// Appends a value that encodes itself.
    @inlinable
    public mutating func write<T: CanonicalCodable>(_ value: T) {
        value.encode(to: &self)
    }

    /// Appends an element count followed by each element.
    @inlinable
    public mutating func writeList<T: CanonicalCodable>(_ values: [T]) {
        writeVarint(UInt64(values.count))
        for v in values { v.encode(to: &self) }
    }

    /// Appends `0` for nil, or `1` followed by the value.
    @inlinable
    public mutating func writeOptional<T: CanonicalCodable>(_ value: T?) {
        if let value {
            writeByte(1)
            value.encode(to: &self)
        } else {
            writeByte(0)
        }
    }
}
