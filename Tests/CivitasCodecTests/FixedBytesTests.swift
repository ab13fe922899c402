import CivitasTestSupport
import CivitasCodec
import Foundation
import Testing

@Suite("Fixed-width bytes")
struct FixedBytesTests {
    @Test func hexRoundTripsForEveryWidth() throws {
        var g = SplitMix64(seed: 0xF1_0001)
        for _ in 0..<300 {
            try checkHex(Bytes16.self, &g)
            try checkHex(Bytes32.self, &g)
            try checkHex(Bytes64.self, &g)
        }
    }

    private func checkHex<B: FixedBytes>(_ type: B.Type, _ g: inout SplitMix64) throws {
        let raw = g.bytes(B.byteCount)
        let value = try #require(B(raw))
        #expect(value.bytes == raw)
        #expect(value.hex.count == 2 * B.byteCount)
        #expect(value.hex == value.hex.lowercased())
        #expect(value.hex == raw.map { String(format: "%02x", $0) }.joined())
        #expect(B(hex: value.hex) == value)
        #expect(B(hex: value.hex.uppercased()) == value)
        #expect(value.canonicalBytes() == raw, "fixed widths encode as raw bytes, no length")
        #expect(try B(canonicalBytes: raw) == value)
    }

    @Test func malformedHexIsRefused() {
        let good = String(repeating: "ab", count: 16)
        #expect(Bytes16(hex: good) != nil)
        #expect(Bytes16(hex: String(good.dropLast())) == nil, "odd digit count")
        #expect(Bytes16(hex: String(good.dropLast(2))) == nil, "15 bytes")
        #expect(Bytes16(hex: good + "ab") == nil, "17 bytes")
        #expect(Bytes16(hex: "g" + good.dropFirst()) == nil, "non-hex digit")
        #expect(Bytes16(hex: "0x" + good.dropFirst(2)) == nil, "0x prefix")
        #expect(Bytes32(hex: good) == nil, "wrong width")
        #expect(Bytes16([UInt8](repeating: 0, count: 15)) == nil)
        #expect(Bytes64([UInt8](repeating: 0, count: 65)) == nil)
    }

    @Test func orderIsBytewiseLexicographic() throws {
        var g = SplitMix64(seed: 0xF1_0002)
        for _ in 0..<2_000 {
            var a = g.bytes(32)
            var b = a
            // Often differ only in one late byte, so the storage words' byte order matters.
            if g.chance(70) {
                let i = g.int(0...31)
                b[i] = UInt8(g.int(0...255))
                if g.chance(50) { a[min(31, i + 1)] = UInt8(g.int(0...255)) }
            } else {
                b = g.bytes(32)
            }
            let x = try #require(Bytes32(a)), y = try #require(Bytes32(b))
            #expect((x < y) == a.lexicographicallyPrecedes(b))
            #expect((x == y) == (a == b))
            if x == y { #expect(x.hashValue == y.hashValue) }
        }
    }

    @Test func orderIsBytewiseForSixteenAndSixtyFourBytes() throws {
        let lowFirst = try #require(Bytes16([0x01] + [UInt8](repeating: 0, count: 15)))
        let highLater = try #require(Bytes16([0x00, 0xff] + [UInt8](repeating: 0xff, count: 14)))
        #expect(highLater < lowFirst)
        #expect(!(lowFirst < highLater))
        var a = [UInt8](repeating: 0, count: 64), b = a
        a[8] = 1
        b[63] = 0xff
        #expect(try #require(Bytes64(b)) < #require(Bytes64(a)))
    }

    @Test func jsonUsesLowerCaseHexStrings() throws {
        let value = try #require(Bytes16(hex: "000102030405060708090a0b0c0d0eff"))
        let json = try JSONEncoder().encode([value])
        #expect(String(decoding: json, as: UTF8.self) == #"["000102030405060708090a0b0c0d0eff"]"#)
        #expect(try JSONDecoder().decode([Bytes16].self, from: json) == [value])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Bytes16].self, from: Data(#"["00"]"#.utf8)) }
    }
}
