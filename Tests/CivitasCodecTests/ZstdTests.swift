import CivitasTestSupport
import CivitasCodec
import Foundation
import Testing

/// Hand-built zstd frames (RFC 8878 §3.1.1), independent of libzstd's compressor.
enum Frame {
    static let magic: [UInt8] = [0x28, 0xb5, 0x2f, 0xfd]

    static func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * $0)) } }

    /// Block header: last-block bit, type (0 raw, 1 RLE), size.
    static func blockHeader(last: Bool, type: UInt32, size: Int) -> [UInt8] {
        le(UInt64((last ? 1 : 0) | type << 1 | UInt32(size) << 3), 3)
    }

    static func checksum(_ content: [UInt8]) -> [UInt8] { le(XXH64.hash(content), 4) }

    /// A single-segment frame declaring `declared` bytes (8-byte size field) that stores `content` in raw blocks.
    static func stored(_ content: [UInt8], declared: UInt64? = nil, checksum: Bool = true) -> [UInt8] {
        var out = magic + [checksum ? 0xe4 : 0xe0] + le(declared ?? UInt64(content.count), 8)
        var rest = content[...]
        repeat {
            let chunk = rest.prefix(128 << 10)
            rest = rest.dropFirst(chunk.count)
            out += blockHeader(last: rest.isEmpty, type: 0, size: chunk.count) + chunk
        } while !rest.isEmpty
        return checksum ? out + Self.checksum(content) : out
    }

    /// A checksummed frame with a 1 MiB window, declaring `declared` bytes (or no size), whose one RLE block
    /// regenerates `produced` copies of `byte`.
    static func rle(declared: UInt64?, produced: Int, byte: UInt8 = 0) -> [UInt8] {
        let descriptor: [UInt8] = declared == nil ? [0x04] : [0xc4]
        return magic + descriptor + [0x50] + (declared.map { le($0, 8) } ?? [])
            + blockHeader(last: true, type: 1, size: produced) + [byte]
            + checksum([UInt8](repeating: byte, count: produced))
    }
}

@Suite("Zstd")
struct ZstdTests {
    static let mib = 1 << 20

    static func inputs() -> [[UInt8]] {
        var g = SplitMix64(seed: 0x25_0001)
        let text = Array(String(repeating: "community notice: the lift in building 3 is repaired. ", count: 400).utf8)
        return [
            [], [0x42], g.bytes(1000), text, [UInt8](repeating: 0, count: 300_000),
            g.bytes(200_000), (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) },
        ]
    }

    @Test func compressThenDecompressReturnsTheInput() throws {
        for input in Self.inputs() {
            let frame = Zstd.compress(input)
            let out = try frame.withUnsafeBytes { try Zstd.decompress($0, expectedSize: input.count, maxSize: input.count) }
            #expect(out == input, "\(input.count) bytes")
        }
    }

    @Test func compressionIsDeterministicAndCompressesRedundantData() {
        let zeros = [UInt8](repeating: 0, count: 300_000)
        #expect(Zstd.compress(zeros) == Zstd.compress(zeros))
        #expect(Zstd.compress(zeros).count < 1_000)
    }

    @Test(.enabled(if: isExecutable("/usr/bin/zstd"), "needs /usr/bin/zstd to check frames against the reference tool"))
    func framesAreReadByTheZstdCommandLineTool() throws {
        let dir = try scratchDirectory("zstd-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, input) in Self.inputs().enumerated() {
            let file = dir.appendingPathComponent("frame-\(i).zst")
            try Data(Zstd.compress(input)).write(to: file)
            let result = try runTool("/usr/bin/zstd", ["-d", "-c", "-q", file.path])
            #expect(result.status == 0, "zstd -d failed: \(result.stderr)")
            #expect([UInt8](result.stdout) == input, "input \(i): \(input.count) bytes")
        }
    }

    @Test(.enabled(if: isExecutable("/usr/bin/zstd"), "needs /usr/bin/zstd to make reference frames"))
    func framesFromTheZstdCommandLineToolAreRead() throws {
        let dir = try scratchDirectory("zstd-cli-in")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, input) in Self.inputs().enumerated() {
            let file = dir.appendingPathComponent("input-\(i)")
            try Data(input).write(to: file)
            let result = try runTool("/usr/bin/zstd", ["-c", "-q", "-19", file.path])
            #expect(result.status == 0, "zstd failed: \(result.stderr)")
            let frame = [UInt8](result.stdout)
            let out = try frame.withUnsafeBytes { try Zstd.decompress($0, expectedSize: input.count, maxSize: input.count) }
            #expect(out == input)
        }
    }

    @Test func handBuiltStandardFramesAreRead() throws {
        var g = SplitMix64(seed: 0x25_0002)
        for n in [0, 1, 1000, (128 << 10) + 5] {
            let input = g.bytes(n)
            let out = try Frame.stored(input).withUnsafeBytes { try Zstd.decompress($0, expectedSize: n, maxSize: n) }
            #expect(out == input)
        }
        let rle = try Frame.rle(declared: 5000, produced: 5000, byte: 9).withUnsafeBytes {
            try Zstd.decompress($0, expectedSize: 5000, maxSize: 5000)
        }
        #expect(rle == [UInt8](repeating: 9, count: 5000))
    }

    @Test func xxh64MatchesPublishedVectors() {
        #expect(XXH64.hash([]) == 0xEF46_DB37_51D8_E999)
        #expect(XXH64.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXH64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
    }

    @Test func framesCarryContentSizeAndChecksum() {
        for input in Self.inputs() {
            let frame = Zstd.compress(input)
            #expect(Array(frame.prefix(4)) == Frame.magic)
            #expect(frame[4] & 0x04 != 0, "Content_Checksum_flag")
            #expect(frame[4] >> 6 != 0 || frame[4] & 0x20 != 0, "Frame_Content_Size present")
            #expect(Array(frame.suffix(4)) == Frame.checksum(input), "checksum is XXH64 of the content")
        }
    }

    @Test(.enabled(if: isExecutable("/usr/bin/zstd"), "needs /usr/bin/zstd to check hand-built frames"))
    func handBuiltFramesAreReadByTheZstdCommandLineTool() throws {
        let dir = try scratchDirectory("zstd-hand")
        defer { try? FileManager.default.removeItem(at: dir) }
        var g = SplitMix64(seed: 0x25_0004)
        for (i, n) in [0, 3, 31, 32, 1000, (128 << 10) + 5].enumerated() {
            let input = g.bytes(n)
            let file = dir.appendingPathComponent("stored-\(i).zst")
            try Data(Frame.stored(input)).write(to: file)
            let result = try runTool("/usr/bin/zstd", ["-d", "-c", "-q", file.path])
            #expect(result.status == 0, "zstd -d refused the hand-built frame: \(result.stderr)")
            #expect([UInt8](result.stdout) == input)
        }
    }

    @Test func frameWithoutAContentChecksumIsRefused() {
        let input = Array("no checksum".utf8)
        let frame = Frame.stored(input, checksum: false)
        let e = frame.withUnsafeBytes { buffer in
            #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: input.count, maxSize: 100) }
        }
        #expect(e == CodecError(.decompressionFailed(reason: "frame has no content checksum"), at: 4))
    }

    @Test(.enabled(if: isExecutable("/usr/bin/zstd"), "needs /usr/bin/zstd to make a frame without checksum"))
    func zstdCommandLineFrameWithoutChecksumIsRefused() throws {
        let dir = try scratchDirectory("zstd-nocheck")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = Self.inputs()[3]
        let file = dir.appendingPathComponent("input")
        try Data(input).write(to: file)
        let result = try runTool("/usr/bin/zstd", ["-c", "-q", "--no-check", file.path])
        #expect(result.status == 0)
        let e = [UInt8](result.stdout).withUnsafeBytes { buffer in
            #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: input.count, maxSize: input.count) }
        }
        #expect(e?.kind == .decompressionFailed(reason: "frame has no content checksum"))
    }

    /// The checksum's purpose: no single corrupted byte makes a frame yield different content.
    @Test func corruptedFrameNeverYieldsDifferentContent() throws {
        var g = SplitMix64(seed: 0x25_0005)
        for input in [Self.inputs()[2], Self.inputs()[3], Self.inputs()[6]] {
            let frame = Zstd.compress(input)
            var refused = 0
            for i in 0..<frame.count {
                var m = frame
                m[i] ^= UInt8(g.int(1...255))
                let out = try? m.withUnsafeBytes { try Zstd.decompress($0, expectedSize: input.count, maxSize: input.count) }
                if let out { #expect(out == input, "byte \(i) of \(frame.count) corrupted, content changed") } else { refused += 1 }
            }
            #expect(refused > frame.count * 9 / 10)
        }
        // A stored frame: a flipped content byte is caught only by the checksum.
        let input = g.bytes(500)
        var frame = Frame.stored(input)
        frame[20] ^= 1
        let e = frame.withUnsafeBytes { buffer in
            #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: 500, maxSize: 500) }
        }
        #expect(e?.kind.isDecompressionFailure == true)
    }

    // MARK: - Bombs and malformed frames

    @Test func bombOf64MiBZerosIsRefusedWhenAboveTheMaximum() throws {
        let frame = Zstd.compress([UInt8](repeating: 0, count: 64 * Self.mib))
        #expect(frame.count < 64 << 10, "a real bomb: a few KiB that inflate to 64 MiB")
        frame.withUnsafeBytes { buffer in
            // The caller believes the envelope (64 MiB): above the maximum.
            #expect(throws: CodecError(.lengthAboveLimit(length: UInt64(64 * Self.mib), limit: Self.mib), at: 0)) {
                try Zstd.decompress(buffer, expectedSize: 64 * Self.mib, maxSize: Self.mib)
            }
            // The envelope lies (1 MiB) but the frame declares 64 MiB: refused before inflating.
            let e = #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: Self.mib, maxSize: Self.mib) }
            #expect(e?.kind.isDecompressionFailure == true)
        }
    }

    @Test func frameDeclaringTwoToTheFortyBytesIsRefused() {
        let frame = Frame.rle(declared: 1 << 40, produced: 100)
        #expect(frame.count < 30)
        frame.withUnsafeBytes { buffer in
            #expect(throws: CodecError(.lengthAboveLimit(length: 1 << 40, limit: Self.mib), at: 0)) {
                try Zstd.decompress(buffer, expectedSize: 1 << 40, maxSize: Self.mib)
            }
            let e = #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: 100, maxSize: Self.mib) }
            #expect(e?.kind.isDecompressionFailure == true)
        }
    }

    @Test func frameProducingMoreOrLessThanItDeclaresIsRefused() {
        for (declared, produced) in [(10, 20), (20, 10), (0, 1)] as [(UInt64, Int)] {
            let frame = Frame.rle(declared: declared, produced: produced)
            let e = frame.withUnsafeBytes { buffer in
                #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: Int(declared), maxSize: 100) }
            }
            #expect(e?.kind.isDecompressionFailure == true, "declares \(declared), produces \(produced)")
        }
    }

    @Test func frameWithoutADeclaredContentSizeIsRefused() {
        let frame = Frame.rle(declared: nil, produced: 10)
        let e = frame.withUnsafeBytes { buffer in
            #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: 10, maxSize: 100) }
        }
        #expect(e?.kind == .decompressionFailed(reason: "frame does not declare its content size"))
    }

    @Test func garbageAndEmptyInputAreRefused() {
        var g = SplitMix64(seed: 0x25_0003)
        var inputs: [[UInt8]] = [[], [0], Frame.magic, Frame.magic + [0xe0]]
        for _ in 0..<200 { inputs.append(g.bytes(g.int(1...300))) }
        for input in inputs {
            let e = input.withUnsafeBytes { buffer in
                #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: 10, maxSize: 1000) }
            }
            #expect(e?.kind.isDecompressionFailure == true)
        }
    }

    @Test func everyStrictPrefixOfAFrameIsRefused() {
        let input = Self.inputs()[3]
        let frame = Zstd.compress(input)
        for n in 0..<frame.count {
            let e = Array(frame.prefix(n)).withUnsafeBytes { buffer in
                #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: input.count, maxSize: input.count) }
            }
            #expect(e?.kind.isDecompressionFailure == true, "prefix \(n)")
        }
    }

    @Test func bytesAfterTheFrameAreRefused() {
        let input = Self.inputs()[3]
        let frame = Zstd.compress(input)
        for extra in [[0], [0x28, 0xb5, 0x2f, 0xfd], frame] as [[UInt8]] {
            let e = (frame + extra).withUnsafeBytes { buffer in
                #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: input.count, maxSize: 10 * input.count) }
            }
            #expect(e?.kind.isDecompressionFailure == true)
            #expect(e?.offset == frame.count, "reported at the first byte after the frame")
        }
    }

    @Test func expectedSizeMismatchingTheDeclaredSizeIsRefused() {
        let input = Self.inputs()[3]
        Zstd.compress(input).withUnsafeBytes { buffer in
            for expected in [0, input.count - 1, input.count + 1] {
                let e = #expect(throws: CodecError.self) { try Zstd.decompress(buffer, expectedSize: expected, maxSize: 1 << 30) }
                #expect(e?.kind.isDecompressionFailure == true)
            }
        }
    }
}
