import CivitasTestSupport
import CivitasCodec
import Testing

/// Lengths, counts, bools, strings and trailing bytes: each non-canonical or
/// over-limit form is refused with its exact error kind and offset.
@Suite("ByteReader rejections")
struct ReaderRejectionTests {
    @Test func lengthAboveRemainingInputIsRejected() {
        let bytes: [UInt8] = [0x05, 0x61, 0x62]
        #expect(read(bytes) { r throws(CodecError) in try r.readLengthPrefixed(limit: 100) }.failure
            == CodecError(.lengthAboveInput(length: 5, remaining: 2), at: 0))
        #expect(read(bytes) { r throws(CodecError) in try r.readString(limit: 100) }.failure
            == CodecError(.lengthAboveInput(length: 5, remaining: 2), at: 0))
    }

    @Test func lengthAboveFieldLimitIsRejected() {
        let bytes: [UInt8] = [0x05] + Array("abcde".utf8)
        #expect(read(bytes) { r throws(CodecError) in try r.readString(limit: 4) }.failure
            == CodecError(.lengthAboveLimit(length: 5, limit: 4), at: 0))
        #expect(read(bytes) { r throws(CodecError) in try r.readString(limit: 5) }.value == "abcde")
    }

    @Test func lengthAboveDecodingLimitsIsRejectedEvenBelowTheFieldLimit() {
        let limits = DecodingLimits(maxFieldBytes: 3, maxElements: 10, maxBodyBytes: 10)
        let bytes: [UInt8] = [0x04, 1, 2, 3, 4]
        #expect(read(bytes, limits: limits) { r throws(CodecError) in try r.readLengthPrefixed(limit: 100) }.failure
            == CodecError(.lengthAboveLimit(length: 4, limit: 3), at: 0))
        #expect(read([0x03, 1, 2, 3], limits: limits) { r throws(CodecError) in try r.readLengthPrefixed(limit: 100) }.value == [1, 2, 3])
    }

    @Test func countAboveLimitIsRejected() {
        let bytes: [UInt8] = [0x03, 1, 2, 3]
        #expect(read(bytes) { r throws(CodecError) in try r.readList(UInt64.self, limit: 2) }.failure
            == CodecError(.lengthAboveLimit(length: 3, limit: 2), at: 0))
        let limits = DecodingLimits(maxFieldBytes: 100, maxElements: 2, maxBodyBytes: 100)
        #expect(read(bytes, limits: limits) { r throws(CodecError) in try r.readList(UInt64.self, limit: 100) }.failure
            == CodecError(.lengthAboveLimit(length: 3, limit: 2), at: 0))
    }

    @Test func countThatTheInputCannotHoldIsRejectedUsingMinElementSize() {
        // Four 16-byte elements need 64 bytes; only 63 follow.
        let bytes: [UInt8] = [0x04] + [UInt8](repeating: 7, count: 63)
        #expect(read(bytes) { r throws(CodecError) in try r.readList(Bytes16.self, limit: 10) }.failure
            == CodecError(.lengthAboveInput(length: 4, remaining: 63), at: 0))
        #expect(read(bytes) { r throws(CodecError) in try r.readCount(limit: 10, minElementSize: 16) }.failure
            == CodecError(.lengthAboveInput(length: 4, remaining: 63), at: 0))
        // Exactly enough is accepted.
        #expect(read(bytes + [7]) { r throws(CodecError) in try r.readList(Bytes16.self, limit: 10) }.value?.count == 4)
    }

    @Test func countWhoseByteSizeOverflowsIsRejected() {
        let limits = DecodingLimits(maxFieldBytes: .max, maxElements: .max, maxBodyBytes: .max)
        let bytes = Varint.encode(1 << 62) + [0, 0, 0]
        #expect(read(bytes, limits: limits) { r throws(CodecError) in try r.readCount(limit: .max, minElementSize: 8) }.failure?.kind
            == .lengthAboveInput(length: 1 << 62, remaining: 3))
    }

    @Test(arguments: [2, 3, 0x7f, 0x80, 0xff] as [UInt8])
    func boolOtherThanZeroOrOneIsRejected(byte: UInt8) {
        #expect(read([byte]) { r throws(CodecError) in try r.readBool() }.failure == CodecError(.invalidBool(byte), at: 0))
        // The optional tag is a bool too.
        #expect(read([byte] + [UInt8](repeating: 0, count: 16)) { r throws(CodecError) in try r.readOptional(Bytes16.self) }.failure
            == CodecError(.invalidBool(byte), at: 0))
    }

    @Test func boolZeroAndOneDecode() {
        #expect(read([0]) { r throws(CodecError) in try r.readBool() }.value == false)
        #expect(read([1]) { r throws(CodecError) in try r.readBool() }.value == true)
    }

    @Test(arguments: [
        [0xc3, 0x28],              // bad continuation
        [0xc0, 0x80],              // overlong NUL
        [0xe0, 0x80, 0xaf],        // overlong '/'
        [0xed, 0xa0, 0x80],        // UTF-16 surrogate
        [0xf4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0x80],                    // lone continuation
        [0xe2, 0x82],              // truncated sequence
        [0xff],                    // never valid
        [0x61, 0xf8, 0x88, 0x80, 0x80, 0x80],  // 5-byte form
    ] as [[UInt8]])
    func invalidUTF8StringIsRejected(utf8: [UInt8]) {
        #expect(read(lengthPrefixed(utf8)) { r throws(CodecError) in try r.readString(limit: 100) }.failure
            == CodecError(.invalidUTF8, at: 0))
    }

    @Test func validMultiByteUTF8RoundTrips() {
        for s in ["", "a", "é", "城市社区", "🏘️ ok", "\u{0}", String(repeating: "€", count: 21)] {
            #expect(read(stringBytes(s)) { r throws(CodecError) in try r.readString(limit: 64) }.value == s)
        }
    }

    @Test func stringLimitCountsBytesNotCharacters() {
        let s = String(repeating: "€", count: 22)  // 66 bytes, 22 characters
        #expect(read(stringBytes(s)) { r throws(CodecError) in try r.readString(limit: 64) }.failure
            == CodecError(.lengthAboveLimit(length: 66, limit: 64), at: 0))
    }

    @Test func trailingBytesAfterACanonicalValueAreRejected() {
        #expect(throws: CodecError(.trailingBytes(count: 1), at: 1)) { try UInt64(canonicalBytes: [0x01, 0x00]) }
        #expect(throws: CodecError(.trailingBytes(count: 3), at: 16)) { try Bytes16(canonicalBytes: [UInt8](repeating: 0, count: 19)) }
        var g = SplitMix64(seed: 0x7A11)
        let bytes = Probe.random(&g).encoded()
        #expect(decodeFailure(Probe.self, bytes + [0]) == CodecError(.trailingBytes(count: 1), at: bytes.count))
        #expect(decodeFailure(Probe.self, bytes + bytes) == CodecError(.trailingBytes(count: bytes.count), at: bytes.count))
    }

    @Test func truncatedFixedBytesAreRejected() {
        #expect(throws: CodecError(.truncated, at: 0)) { try Bytes32(canonicalBytes: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: CodecError(.truncated, at: 0)) { try Bytes64(canonicalBytes: []) }
    }

    // MARK: - Object envelope

    @Test func unknownTypeByteOnAnEnvelopeIsRejected() {
        var g = SplitMix64(seed: 0x7A12)
        var bytes = Probe.random(&g).encoded()
        for type in [0x00, 0x10, 0x7d, 0x7f, 0xff] as [UInt8] {
            bytes[0] = type
            #expect(decodeFailure(Probe.self, bytes) == CodecError(.unknownTag(tag: UInt64(type), field: "object type (expected 0x7e)"), at: 0))
        }
    }

    @Test func unknownVersionOnAnEnvelopeIsRejected() {
        var g = SplitMix64(seed: 0x7A13)
        var bytes = Probe.random(&g).encoded()
        #expect(Array(bytes.prefix(2)) == [0x7e, 3])
        for version in [0, 1, 2, 4, 0xff] as [UInt8] {
            bytes[1] = version
            #expect(decodeFailure(Probe.self, bytes) == CodecError(.unknownVersion(type: 0x7e, version: version), at: 1))
        }
    }

    @Test func emptyOrHeaderOnlyInputIsTruncated() {
        #expect(decodeFailure(Probe.self, []) == CodecError(.truncated, at: 0))
        #expect(decodeFailure(Probe.self, [0x7e]) == CodecError(.truncated, at: 1))
        #expect(decodeFailure(Probe.self, [0x7e, 3]) == CodecError(.truncated, at: 2))
    }

    // MARK: - Properties over the test object

    @Test func randomObjectsRoundTripByteIdentically() throws {
        var g = SplitMix64(seed: 0x7A14)
        for seed in 0..<500 {
            let p = Probe.random(&g)
            let bytes = p.encoded()
            let back = try Probe(encoded: bytes)
            #expect(back == p, "case \(seed)")
            #expect(back.encoded() == bytes, "case \(seed)")
            bytes.withUnsafeBytes { buffer in
                #expect((try? Probe(encodedBuffer: buffer)) == p)
            }
        }
    }

    @Test func mutatedObjectsEitherFailOrReencodeToTheMutatedBytes() {
        var g = SplitMix64(seed: 0x7A15)
        for _ in 0..<300 {
            let bytes = Probe.random(&g).encoded()
            for _ in 0..<20 {
                var m = bytes
                let i = g.int(0...(m.count - 1))
                m[i] ^= UInt8(g.int(1...255))
                if let v = try? Probe(encoded: m) { #expect(v.encoded() == m, "mutated byte \(i)") }
                let cut = Array(bytes.prefix(g.int(0...(bytes.count - 1))))
                #expect(decodeFailure(Probe.self, cut) != nil)
            }
        }
    }

    @Test func everyStrictPrefixOfAnEncodingIsRejected() {
        var g = SplitMix64(seed: 0x7A16)
        for _ in 0..<100 {
            let bytes = Probe.random(&g).encoded()
            for n in 0..<bytes.count {
                #expect(decodeFailure(Probe.self, Array(bytes.prefix(n))) != nil, "prefix of \(n) of \(bytes.count) bytes")
            }
        }
    }
}

/// Inputs that claim huge sizes are refused from their headers, before any allocation.
@Suite("Bounded allocation")
struct BoundedAllocationTests {
    static let huge = DecodingLimits(maxFieldBytes: .max, maxElements: .max, maxBodyBytes: .max)

    @Test func tenByteInputClaimingAMillionElementsIsRefused() {
        let input = Varint.encode(1_000_000) + [UInt8](repeating: 0, count: 7)
        #expect(input.count == 10)
        // Above the node's element cap …
        #expect(read(input) { r throws(CodecError) in try r.readList(UInt64.self, limit: .max) }.failure
            == CodecError(.lengthAboveLimit(length: 1_000_000, limit: DecodingLimits.default.maxElements), at: 0))
        // … and, with no caps at all, above what 7 bytes can hold.
        #expect(read(input, limits: Self.huge) { r throws(CodecError) in try r.readList(UInt64.self, limit: .max) }.failure
            == CodecError(.lengthAboveInput(length: 1_000_000, remaining: 7), at: 0))
        #expect(read(input, limits: Self.huge) { r throws(CodecError) in try r.readList(Bytes64.self, limit: .max) }.failure
            == CodecError(.lengthAboveInput(length: 1_000_000, remaining: 7), at: 0))
    }

    @Test func stringClaimingTwoToTheFortyBytesIsRefused() {
        let input = Varint.encode(1 << 40) + Array("abcd".utf8)
        #expect(input.count == 10)
        #expect(read(input) { r throws(CodecError) in try r.readString(limit: .max) }.failure
            == CodecError(.lengthAboveLimit(length: 1 << 40, limit: DecodingLimits.default.maxFieldBytes), at: 0))
        #expect(read(input, limits: Self.huge) { r throws(CodecError) in try r.readString(limit: .max) }.failure
            == CodecError(.lengthAboveInput(length: 1 << 40, remaining: 4), at: 0))
        #expect(read(input, limits: Self.huge) { r throws(CodecError) in try r.readLengthPrefixed(limit: .max) }.failure
            == CodecError(.lengthAboveInput(length: 1 << 40, remaining: 4), at: 0))
    }

    @Test func lengthAboveIntMaxIsRefusedEvenWithoutLimits() {
        let input = Varint.encode(UInt64.max)
        #expect(read(input, limits: Self.huge) { r throws(CodecError) in try r.readLengthPrefixed(limit: .max) }.failure
            == CodecError(.lengthAboveLimit(length: UInt64.max, limit: .max), at: 0))
        #expect(read(input, limits: Self.huge) { r throws(CodecError) in try r.readCount(limit: .max, minElementSize: 1) }.failure
            == CodecError(.lengthAboveLimit(length: UInt64.max, limit: .max), at: 0))
    }
}
