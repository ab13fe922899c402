import CivitasCodec
import CivitasTestSupport
import Testing

/// The reader's own UTF-8 validator must decide exactly as the standard
/// library's strict validation does, and build the same string.
@Suite struct UTF8ValidationTests {
    /// Decodes `bytes` as one length-prefixed string field.
    func decode(_ bytes: [UInt8]) -> String? {
        let input = Varint.encode(UInt64(bytes.count)) + bytes
        return input.withUnsafeBytes { buffer -> String? in
            var r = ByteReader(buffer)
            return try? r.readString(limit: 1 << 20)
        }
    }

    func agreesWithStandardLibrary(_ bytes: [UInt8]) -> Bool {
        let expected = String(validating: bytes, as: UTF8.self)
        let actual = decode(bytes)
        return expected.map { Array($0.utf8) } == actual.map { Array($0.utf8) }
    }

    @Test func everyOneAndTwoByteSequenceIsJudgedLikeTheStandardLibrary() {
        for a in 0...255 {
            #expect(agreesWithStandardLibrary([UInt8(a)]), "\(a)")
            for b in 0...255 where !agreesWithStandardLibrary([UInt8(a), UInt8(b)]) {
                Issue.record("disagree on [\(a), \(b)]")
            }
        }
    }

    @Test func threeAndFourByteSequencesAroundEveryBoundaryAreJudgedLikeTheStandardLibrary() {
        let leads: [UInt8] = [0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7]
        let conts: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
        for l in leads {
            for b in conts {
                for c in conts {
                    #expect(agreesWithStandardLibrary([l, b, c]), "\([l, b, c])")
                    #expect(agreesWithStandardLibrary([l, b, c, 0x80]), "\([l, b, c, 0x80])")
                    #expect(agreesWithStandardLibrary([0x61, l, b, c, 0xE4, 0xB8, 0xAD]), "\([l, b, c])")
                }
            }
        }
    }

    @Test func randomMixesOfTextAndNoiseAreJudgedLikeTheStandardLibrary() {
        var g = SplitMix64(seed: 8)
        let pieces: [[UInt8]] = [Array("abc".utf8), Array("社区公告".utf8), Array("é".utf8), Array("😀".utf8), [0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE4, 0xB8]]
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<g.int(0...12) { bytes += pieces[g.int(0...(pieces.count - 1))] }
            if g.chance(30), !bytes.isEmpty { bytes[g.int(0...(bytes.count - 1))] = UInt8(truncatingIfNeeded: g.next()) }
            #expect(agreesWithStandardLibrary(bytes), "\(bytes)")
        }
    }
}
