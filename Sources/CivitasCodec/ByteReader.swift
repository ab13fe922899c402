#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Reads canonical encodings from a contiguous byte span, checking every
/// length against both the bytes left and the configured limits before it
/// allocates.
///
/// A reader borrows memory it does not own: it is valid only inside the
/// `withUnsafeBytes`-style closure that created it (see `Canonical.decode`).
public struct ByteReader {
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let count: Int
    @usableFromInline var _offset: Int
    /// Offset of the next byte to read (public read-only view).
    @inlinable public var offset: Int { _offset }
    /// Caps applied to every length and count read.
    public let limits: DecodingLimits

    @inlinable
    public init(_ buffer: UnsafeRawBufferPointer, limits: DecodingLimits = .default) {
        self.base = buffer.baseAddress
        self.count = buffer.count
        self._offset = 0
        self.limits = limits
    }

    /// Bytes not yet read.
    @inlinable
    public var remaining: Int { count &- offset }

    /// An error at the current offset.
    @inlinable
    public func error(_ kind: CodecError.Kind) -> CodecError {
        CodecError(kind, at: offset)
    }

    /// An `invalidValue` error at the current offset.
    public func invalid(_ field: String, _ reason: String) -> CodecError {
        CodecError(.invalidValue(field: field, reason: reason), at: offset)
    }

    /// Throws unless every byte has been read.
    @inlinable
    public func finish() throws(CodecError) {
        if offset != count { throw error(.trailingBytes(count: count &- offset)) }
    }

    /// Consumes `n` bytes and returns a pointer to them.
    @inlinable
    public mutating func take(_ n: Int) throws(CodecError) -> UnsafeRawPointer {
        guard n <= remaining, let base else {
            if n == 0, base == nil { return UnsafeRawPointer(bitPattern: 1)! }
            throw error(.truncated)
        }
        let p = base + offset
        _offset &+= n
        return p
    }

    /// Reads one byte.
    @inlinable
    public mutating func readByte() throws(CodecError) -> UInt8 {
        guard offset < count, let base else { throw error(.truncated) }
        let b = base.load(fromByteOffset: offset, as: UInt8.self)
        _offset &+= 1
        return b
    }

    /// Reads a canonical (shortest-form) LEB128 varint.
    @inlinable
    public mutating func readVarint() throws(CodecError) -> UInt64 {
        guard offset < count, let base else { throw error(.truncated) }
        let first = base.load(fromByteOffset: offset, as: UInt8.self)
        if first < 0x80 {
            _offset &+= 1
            return UInt64(first)
        }
        return try readVarintSlow()
    }

    @usableFromInline
    mutating func readVarintSlow() throws(CodecError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = 0
        while true {
            guard offset &+ i < count, let base else { throw error(.truncated) }
            let byte = base.load(fromByteOffset: offset &+ i, as: UInt8.self)
            if i == 9 && byte > 1 {
                throw CodecError(.varintOverflow, at: start)
            }
            result |= UInt64(byte & 0x7f) << shift
            i &+= 1
            if byte < 0x80 {
                // The last byte of a multi-byte varint must carry bits, or a shorter form existed.
                if byte == 0 && i > 1 { throw CodecError(.overlongVarint, at: start) }
                _offset &+= i
                return result
            }
            shift &+= 7
        }
    }

    /// Reads a varint that must fit in `T`.
    @inlinable
    public mutating func readVarint<T: FixedWidthInteger & UnsignedInteger>(as: T.Type) throws(CodecError) -> T {
        let start = offset
        let v = try readVarint()
        guard let r = T(exactly: v) else { throw CodecError(.varintOverflow, at: start) }
        return r
    }

    /// Reads a length and checks it against `limit`, the node's `maxFieldBytes`
    /// (unless `fieldLimitApplies` is false, for whole bodies) and the bytes left.
    @inlinable
    public mutating func readLength(limit: Int, fieldLimitApplies: Bool = true) throws(CodecError) -> Int {
        let start = offset
        let n = try readVarint()
        let cap = fieldLimitApplies ? Swift.min(limit, limits.maxFieldBytes) : limit
        guard n <= UInt64(cap) else { throw CodecError(.lengthAboveLimit(length: n, limit: cap), at: start) }
        guard n <= UInt64(remaining) else { throw CodecError(.lengthAboveInput(length: n, remaining: remaining), at: start) }
        return Int(n)
    }

    /// Reads an element count. Each element takes at least `minElementSize`
    /// bytes, so a count the input cannot hold is refused before any allocation.
    @inlinable
    public mutating func readCount(limit: Int, minElementSize: Int) throws(CodecError) -> Int {
        let start = offset
        let n = try readVarint()
        let cap = Swift.min(limit, limits.maxElements)
        guard n <= UInt64(cap) else { throw CodecError(.lengthAboveLimit(length: n, limit: cap), at: start) }
        let (need, overflow) = n.multipliedReportingOverflow(by: UInt64(Swift.max(minElementSize, 1)))
        guard !overflow, need <= UInt64(remaining) else {
            throw CodecError(.lengthAboveInput(length: n, remaining: remaining), at: start)
        }
        return Int(n)
    }

    /// Reads `0` or `1`.
    @inlinable
    public mutating func readBool() throws(CodecError) -> Bool {
        let start = offset
        let b = try readByte()
        switch b {
        case 0: return false
        case 1: return true
        default: throw CodecError(.invalidBool(b), at: start)
        }
    }

    /// Reads a length-prefixed byte string of at most `limit` bytes.
    @inlinable
    public mutating func readLengthPrefixed(limit: Int) throws(CodecError) -> [UInt8] {
        let n = try readLength(limit: limit)
        let p = try take(n)
        return [UInt8](UnsafeRawBufferPointer(start: p, count: n))
    }

    /// Reads a length-prefixed UTF-8 string of at most `limit` bytes.
    public mutating func readString(limit: Int) throws(CodecError) -> String {
        let start = offset
        let n = try readLength(limit: limit)
        let p = try take(n)
        let bytes = UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n)
        // Decoding repairs ill-formed UTF-8 with U+FFFD; the input was valid exactly
        // when nothing was repaired, i.e. the string's bytes are the input's. (This
        // is the specialised UTF-8 path: `String(validating:as:)` is generic over
        // the encoding and was a third of block decoding time.)
        let s = String(decoding: bytes, as: UTF8.self)
        var same = false
        var copy = s
        copy.withUTF8 { utf8 in
            same = utf8.count == n && (n == 0 || memcmp(utf8.baseAddress!, bytes.baseAddress!, n) == 0)
        }
        guard same else { throw CodecError(.invalidUTF8, at: start) }
        return copy
    }

    /// Reads a value that decodes itself.
    @inlinable
    public mutating func read<T: CanonicalCodable>(_ type: T.Type = T.self) throws(CodecError) -> T {
        try T(from: &self)
    }

    /// Reads a count followed by that many elements.
    @inlinable
    public mutating func readList<T: CanonicalCodable>(
        _ type: T.Type = T.self, limit: Int
    ) throws(CodecError) -> [T] {
        let n = try readCount(limit: limit, minElementSize: T.minEncodedSize)
        // Decode each element straight into the array's storage (no append, no regrowth).
        var failure: CodecError? = nil
        let out = [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            initialized = 0
            while initialized < n {
                do throws(CodecError) {
                    (buffer.baseAddress! + initialized).initialize(to: try T(from: &self))
                } catch {
                    failure = error
                    return
                }
                initialized += 1
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Reads `0` (nil) or `1` followed by a value.
    @inlinable
    public mutating func readOptional<T: CanonicalCodable>(_ type: T.Type = T.self) throws(CodecError) -> T? {
        try readBool() ? try T(from: &self) : nil
    }
}
