import CivitasTestSupport
import CivitasCodec
import CivitasLedger
import Testing

/// The sealed block's two body formats: raw below 1024 bytes, one checksummed zstd frame at or above.
@Suite("Sealed block bodies")
struct SealedBlockTests {
    /// A sealed block's bytes with the given body format byte and body, built by hand.
    static func wire(_ s: SealedBlock, format: UInt8, body: [UInt8]) -> [UInt8] {
        Wire.object(SealedBlock.self, s.header.canonicalBytes() + s.certificate.canonicalBytes() + [format] + body)
    }

    static func compressed(_ raw: [UInt8], frame: [UInt8]? = nil, rawLength: UInt64? = nil) -> [UInt8] {
        let f = frame ?? Zstd.compress(raw)
        return Wire.varint(rawLength ?? UInt64(raw.count)) + Wire.varint(UInt64(f.count)) + f
    }

    /// A block of one notice transaction whose body encoding is exactly `bodyBytes` long.
    static func sealed(bodyBytes: Int) -> SealedBlock {
        let key = Keys.pool[4]
        func tx(_ n: Int) -> Transaction {
            UnsignedTransaction(community: Wire.community, signer: key.publicKey, nonce: 1, time: 2,
                                payload: .notice(Notice(category: .general, title: "t", body: String(repeating: "x", count: n)))).signed(with: key)
        }
        let overhead = BlockBodyBytes.of([tx(0)]).count
        var n = bodyBytes - overhead
        while BlockBodyBytes.of([tx(n)]).count > bodyBytes { n -= 1 }
        let t = tx(n)
        precondition(BlockBodyBytes.of([t]).count == bodyBytes, "no notice gives a body of \(bodyBytes) bytes")
        let block = Block(community: Wire.community, height: 5, previous: Hash(), time: 3, proposer: 0, transactions: [t])
        let hash = block.header.hash
        return SealedBlock(block: block, certificate: CommitCertificate(height: 5, headerHash: hash, votes: [BlockVote(index: 0, key: Keys.pool[0], headerHash: hash)]))
    }

    @Test func handBuiltBodiesMatchTheEncoderForBothFormats() throws {
        var g = Gen(seed: 20)
        for large in [false, true] {
            let s = g.sealed(large: large).sealed
            let raw = BlockBodyBytes.of(s.block.transactions)
            #expect((raw.count >= SealedBlock.compressionThreshold) == large)
            let expected = large ? Self.wire(s, format: 1, body: Self.compressed(raw)) : Self.wire(s, format: 0, body: raw)
            #expect(s.encoded() == expected)
            #expect(try SealedBlock(encoded: expected) == s)
        }
    }

    @Test func bodiesAtTheThresholdUseExactlyOneFormat() throws {
        let below = Self.sealed(bodyBytes: SealedBlock.compressionThreshold - 1)
        let at = Self.sealed(bodyBytes: SealedBlock.compressionThreshold)
        let belowRaw = BlockBodyBytes.of(below.block.transactions), atRaw = BlockBodyBytes.of(at.block.transactions)
        // 1023 bytes: raw only.
        #expect(below.encoded() == Self.wire(below, format: 0, body: belowRaw))
        #expect(try SealedBlock(encoded: below.encoded()) == below)
        #expect(decodeFailure(SealedBlock.self, Self.wire(below, format: 1, body: Self.compressed(belowRaw)))?.kind.invalidValueField == "body format")
        // 1024 bytes: zstd only.
        #expect(at.encoded() == Self.wire(at, format: 1, body: Self.compressed(atRaw)))
        #expect(try SealedBlock(encoded: at.encoded()) == at)
        #expect(decodeFailure(SealedBlock.self, Self.wire(at, format: 0, body: atRaw))?.kind.invalidValueField == "body format")
    }

    @Test func smallBodyThatIsCompressedIsRejected() {
        var g = Gen(seed: 21)
        for _ in 0..<5 {
            let s = g.sealed(large: false).sealed
            let raw = BlockBodyBytes.of(s.block.transactions)
            let bytes = Self.wire(s, format: 1, body: Self.compressed(raw))
            let rawLengthAt = 2 + s.header.canonicalBytes().count + s.certificate.canonicalBytes().count + 1
            #expect(decodeFailure(SealedBlock.self, bytes) == CodecError(
                .invalidValue(field: "body format", reason: "a body of \(raw.count) bytes must not be compressed"), at: rawLengthAt))
        }
    }

    @Test func largeBodyThatIsRawIsRejected() {
        var g = Gen(seed: 22)
        for _ in 0..<5 {
            let s = g.sealed(large: true).sealed
            let raw = BlockBodyBytes.of(s.block.transactions)
            let formatAt = 2 + s.header.canonicalBytes().count + s.certificate.canonicalBytes().count
            #expect(decodeFailure(SealedBlock.self, Self.wire(s, format: 0, body: raw)) == CodecError(
                .invalidValue(field: "body format", reason: "a body of \(raw.count) bytes must be zstd-compressed"), at: formatAt))
        }
    }

    @Test func unknownBodyFormatIsRejected() {
        var g = Gen(seed: 23)
        let s = g.sealed(large: false).sealed
        let formatAt = 2 + s.header.canonicalBytes().count + s.certificate.canonicalBytes().count
        for format in [2, 3, 0xff] as [UInt8] {
            #expect(decodeFailure(SealedBlock.self, Self.wire(s, format: format, body: BlockBodyBytes.of(s.block.transactions)))
                == CodecError(.unknownTag(tag: UInt64(format), field: "body format"), at: formatAt))
        }
    }

    @Test func bodyCountDifferentFromTheHeaderIsRejectedInBothFormats() {
        var g = Gen(seed: 24)
        for large in [false, true] {
            var s = g.sealed(large: large).sealed
            s.block.transactions.removeLast()
            let raw = BlockBodyBytes.of(s.block.transactions)
            let body = raw.count >= SealedBlock.compressionThreshold ? Self.compressed(raw) : raw
            let format: UInt8 = raw.count >= SealedBlock.compressionThreshold ? 1 : 0
            #expect(decodeFailure(SealedBlock.self, Self.wire(s, format: format, body: body))?.kind.invalidValueField == "transactions")
        }
    }

    @Test func frameWhoseSizeDisagreesWithTheDeclaredLengthIsRejected() {
        var g = Gen(seed: 25)
        let s = g.sealed(large: true).sealed
        let raw = BlockBodyBytes.of(s.block.transactions)
        for length in [UInt64(raw.count) - 1, UInt64(raw.count) + 1] {
            let e = decodeFailure(SealedBlock.self, Self.wire(s, format: 1, body: Self.compressed(raw, rawLength: length)))
            guard case .decompressionFailed? = e?.kind else { Issue.record("expected decompressionFailed, got \(String(describing: e))"); continue }
        }
    }

    @Test func decompressedBodyWithBytesLeftOverIsRejected() {
        var g = Gen(seed: 26)
        let s = g.sealed(large: true).sealed
        let raw = BlockBodyBytes.of(s.block.transactions) + [0]
        #expect(decodeFailure(SealedBlock.self, Self.wire(s, format: 1, body: Self.compressed(raw)))?.kind == .trailingBytes(count: 1))
    }

    @Test func decompressedBodyThatIsNotCanonicalIsRejected() {
        var g = Gen(seed: 27)
        let s = g.sealed(large: true).sealed
        // The body's count as an overlong varint: same transactions, one more byte.
        let n = UInt64(s.block.transactions.count)
        let overlongCount: [UInt8] = [UInt8(n) | 0x80, 0x00]
        let raw = overlongCount + s.block.transactions.flatMap { $0.canonicalBytes() }
        #expect(decodeFailure(SealedBlock.self, Self.wire(s, format: 1, body: Self.compressed(raw)))?.kind == .overlongVarint)
    }

    @Test func declaredBodyAboveMaxBodyBytesIsRejectedBeforeDecompressing() {
        var g = Gen(seed: 28)
        let s = g.sealed(large: true).sealed
        let raw = BlockBodyBytes.of(s.block.transactions)
        let limits = DecodingLimits(maxFieldBytes: 1 << 20, maxElements: 100_000, maxBodyBytes: raw.count - 1)
        let rawLengthAt = 2 + s.header.canonicalBytes().count + s.certificate.canonicalBytes().count + 1
        #expect(decodeFailure(SealedBlock.self, s.encoded(), limits: limits)
            == CodecError(.lengthAboveLimit(length: UInt64(raw.count), limit: raw.count - 1), at: rawLengthAt))
        let bomb = Self.wire(s, format: 1, body: Wire.varint(1 << 40) + Wire.varint(4) + [0x28, 0xb5, 0x2f, 0xfd])
        #expect(decodeFailure(SealedBlock.self, bomb)?.kind == .lengthAboveLimit(length: 1 << 40, limit: DecodingLimits.default.maxBodyBytes))
    }

    @Test func frameWithoutAChecksumIsRejected() {
        var g = Gen(seed: 29)
        let s = g.sealed(large: true).sealed
        let raw = BlockBodyBytes.of(s.block.transactions)
        var frame = Zstd.compress(raw)
        // Clear Content_Checksum_flag and drop the 4 checksum bytes: still a valid zstd frame, but not one Civitas accepts.
        frame[4] &= ~0x04
        frame.removeLast(4)
        let e = decodeFailure(SealedBlock.self, Self.wire(s, format: 1, body: Self.compressed(raw, frame: frame)))
        #expect(e?.kind == .decompressionFailed(reason: "frame has no content checksum"))
    }

    @Test func corruptedFrameIsRejected() {
        var g = Gen(seed: 30)
        let s = g.sealed(large: true).sealed
        let bytes = s.encoded()
        let raw = BlockBodyBytes.of(s.block.transactions)
        let frameStart = bytes.count - Zstd.compress(raw).count
        var changed = 0
        for i in frameStart..<bytes.count {
            var m = bytes
            m[i] ^= 0x5a
            if let v = try? SealedBlock(encoded: m) {
                #expect(v == s, "frame byte \(i - frameStart) corrupted: decoded a different block")
            } else {
                changed += 1
            }
        }
        #expect(changed > 0)
    }

    /// docs/codec.md §5: "The compressed bytes themselves are not canonical (zstd versions differ); nothing is
    /// hashed or signed over them." Another valid frame of the same body decodes to the same value, and
    /// re-encoding gives this build's frame.
    @Test func anyChecksummedFrameOfTheCanonicalBodyDecodesToTheSameBlock() throws {
        var g = Gen(seed: 31)
        let s = g.sealed(large: true).sealed
        let raw = BlockBodyBytes.of(s.block.transactions)
        for level in [1, 19] as [Int32] {
            let bytes = Self.wire(s, format: 1, body: Self.compressed(raw, frame: Zstd.compress(raw, level: level)))
            let decoded = try SealedBlock(encoded: bytes)
            #expect(decoded == s)
            #expect(decoded.encoded() == s.encoded())
            #expect(decoded.header.hash == s.header.hash)
        }
    }

    /// A body well within every limit (3,000 transactions < 65,536; about 2 MiB < maxBodyBytes = 16 MiB) whose
    /// zstd frame is larger than maxFieldBytes (1 MiB) because the transactions are mostly random bytes.
    @Test func largeIncompressibleBodyWithinTheLimitsRoundTrips() throws {
        var g = Gen(seed: 32)
        let key = Keys.pool[6]
        let txs = (0..<3_000).map { i in
            Transaction(UnsignedTransaction(community: Wire.community, signer: key.publicKey, nonce: UInt64(i), time: 1,
                                            payload: .notice(Notice(category: .general, title: "", body: "",
                                                                    attachments: (0..<16).map { _ in g.hash() }))),
                        signature: g.signature())
        }
        let block = Block(community: Wire.community, height: 1, previous: Hash(), time: 1, proposer: 0, transactions: txs)
        let s = SealedBlock(block: block, certificate: CommitCertificate(height: 1, headerHash: block.header.hash, votes: []))
        let raw = BlockBodyBytes.of(txs)
        #expect(raw.count < DecodingLimits.default.maxBodyBytes)
        let bytes = s.encoded()
        #expect(bytes.count > DecodingLimits.default.maxFieldBytes, "the frame alone is above 1 MiB")
        #expect(decodeFailure(SealedBlock.self, bytes) == nil, "a sealed block this build wrote, within all limits, must decode")
        #expect(try Block(encoded: block.encoded()) == block, "the same block uncompressed decodes")
    }
}
