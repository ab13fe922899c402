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
        // Validate once with our own strict validator, then build the string without
        // a second validation pass. (`String(validating:as:)` is generic over the
        // encoding and resolved metadata at run time on every string; validation
        // and copying dominate block decoding.)
        guard Self.isValidUTF8(bytes) else { throw CodecError(.invalidUTF8, at: start) }
        if #available(macOS 26, iOS 26, tvOS 26, watchOS 26, visionOS 26, *) {
            return String(copying: UTF8Span(unchecked: bytes.span))
        } else {
            return String(decoding: bytes, as: UTF8.self)  // valid input: nothing is repaired
        }
    }

    /// Strict UTF-8 validation, deciding exactly as `String(validating:as:)`
    /// does (no overlong forms, no surrogates, nothing above U+10FFFF): eight
    /// ASCII bytes at a time, runs of three-byte characters (CJK) one 32-bit
    /// load each.
    static func isValidUTF8(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = buf.baseAddress else { return true }
        let raw = UnsafeRawPointer(p)
        let n = buf.count
        var i = 0
        while i < n {
            let b0 = p[i]
            if b0 < 0x80 {
                i &+= 1
                while i &+ 8 <= n, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i &+= 8 }
                continue
            }
            if b0 & 0xF0 == 0xE0 && i &+ 4 <= n {
                // A run of three-byte characters: lead 1110xxxx, two 10xxxxxx continuations.
                let runStart = i
                while i &+ 4 <= n {
                    let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                    guard w & 0x00C0_C0F0 == 0x0080_80E0 else { break }
                    let scalar = (w & 0x0F) << 12 | (w & 0x3F00) >> 2 | (w & 0x3F_0000) >> 16
                    // Overlong (below U+0800) or a surrogate (U+D800...U+DFFF).
                    guard scalar >= 0x800, scalar & 0xF800 != 0xD800 else { return false }
                    i &+= 3
                }
                if i != runStart { continue }
            }
            if b0 < 0xC2 { return false }  // a stray continuation byte, or an overlong C0/C1 lead
            if b0 < 0xE0 {
                guard i &+ 1 < n, p[i &+ 1] & 0xC0 == 0x80 else { return false }
                i &+= 2
                continue
            }
            if b0 < 0xF0 {
                guard i &+ 2 < n else { return false }
                let b1 = p[i &+ 1], b2 = p[i &+ 2]
                guard b1 & 0xC0 == 0x80, b2 & 0xC0 == 0x80 else { return false }
                if b0 == 0xE0 && b1 < 0xA0 { return false }  // overlong
                if b0 == 0xED && b1 >= 0xA0 { return false }  // surrogate
                i &+= 3
                continue
            }
            if b0 < 0xF5 {
                guard i &+ 3 < n else { return false }
                let b1 = p[i &+ 1], b2 = p[i &+ 2], b3 = p[i &+ 3]
                guard b1 & 0xC0 == 0x80, b2 & 0xC0 == 0x80, b3 & 0xC0 == 0x80 else { return false }
                if b0 == 0xF0 && b1 < 0x90 { return false }  // overlong
                if b0 == 0xF4 && b1 >= 0x90 { return false }  // above U+10FFFF
                i &+= 4
                continue
            }
            return false
        }
        return true
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
