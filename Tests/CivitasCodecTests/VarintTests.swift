import CivitasTestSupport
import CivitasCodec
import Testing

@Suite("Varint")
struct VarintTests {
    static let boundaries: [(value: UInt64, size: Int)] = [
        (0, 1), (1, 1), (127, 1), (128, 2), (255, 2), (16383, 2), (16384, 3),
        ((1 << 21) - 1, 3), (1 << 21, 4), ((1 << 28) - 1, 4), (1 << 28, 5),
        (UInt64(UInt32.max), 5), (UInt64(UInt32.max) + 1, 5), ((1 << 35) - 1, 5), (1 << 35, 6),
        ((1 << 63) - 1, 9), (1 << 63, 10), (UInt64.max, 10),
    ]

    @Test func boundaryValuesRoundTripWithTheExpectedSize() throws {
        for (value, size) in Self.boundaries {
            let bytes = Varint.encode(value)
            #expect(bytes.count == size, "\(value)")
            #expect(Varint.size(of: value) == size, "\(value)")
            #expect(value.canonicalBytes() == bytes, "ByteWriter and Varint.encode agree for \(value)")
            #expect(read(bytes) { r throws(CodecError) in try r.readVarint() }.value == value)
        }
    }

    @Test func everyPowerOfSevenBitsBoundaryRoundTrips() throws {
        for groups in 1...9 {
            let top = UInt64(1) << UInt64(7 * groups)
            for value in [top - 1, top, top + 1] {
                let bytes = Varint.encode(value)
                #expect(bytes.count == Varint.size(of: value))
                #expect(bytes.count == (value == top - 1 ? groups : groups + 1))
                #expect(try UInt64(canonicalBytes: bytes) == value)
            }
        }
    }

    @Test func randomValuesRoundTripAndAgreeWithSize() throws {
        var g = SplitMix64(seed: 0x5EED_0001)
        for _ in 0..<20_000 {
            let value = g.varintValue()
            let bytes = Varint.encode(value)
            #expect(bytes.count == Varint.size(of: value))
            #expect(bytes.last! < 0x80 && bytes.dropLast().allSatisfy { $0 >= 0x80 })
            #expect(try UInt64(canonicalBytes: bytes) == value)
        }
    }

    @Test func uint32VarintsRoundTripAndLargerValuesOverflow() throws {
        #expect(try UInt32(canonicalBytes: Varint.encode(UInt64(UInt32.max))) == UInt32.max)
        #expect(try UInt32(canonicalBytes: [0]) == 0)
        let tooBig = Varint.encode(UInt64(UInt32.max) + 1)
        #expect(read(tooBig) { r throws(CodecError) in try r.readVarint(as: UInt32.self) }.failure == CodecError(.varintOverflow, at: 0))
        #expect(read(Varint.encode(UInt64.max)) { r throws(CodecError) in try r.readVarint(as: UInt32.self) }.failure?.kind == .varintOverflow)
    }

    /// Exhaustive over all 1- and 2-byte inputs: a varint decodes only if it is the shortest encoding of its value.
    @Test func everyOneAndTwoByteInputDecodesOnlyInShortestForm() {
        for a in 0...255 {
            let one = [UInt8(a)]
            if let v = read(one, { r throws(CodecError) in try r.readVarint() }).value {
                #expect(Varint.encode(v) == one)
            } else {
                #expect(a >= 0x80)
            }
            for b in 0...255 {
                let two = [UInt8(a), UInt8(b)]
                switch read(two, { r throws(CodecError) in try r.readVarint() }) {
                case let .success(v): #expect(Varint.encode(v) == two)
                case let .failure(e):
                    #expect(a < 0x80 || b == 0 || b >= 0x80, "\(two) is canonical but was refused: \(e)")
                }
            }
        }
    }

    @Test func randomInputsDecodeOnlyInShortestForm() {
        var g = SplitMix64(seed: 0x5EED_0002)
        for _ in 0..<20_000 {
            // Bias toward continuation bytes so long varints are common.
            var bytes = (0..<g.int(1...11)).map { _ in UInt8(g.int(0...255)) | (g.chance(80) ? 0x80 : 0) }
            if g.chance(70) { bytes[bytes.count - 1] &= 0x7f }
            if let v = read(bytes, { r throws(CodecError) in try r.readVarint() }).value {
                #expect(Varint.encode(v) == bytes)
            }
        }
    }

    // MARK: - One rejection test per non-canonical form

    @Test(arguments: [
        [0x80, 0x00], [0xff, 0x00], [0x81, 0x80, 0x00], [0xff, 0xff, 0x00],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00],
    ] as [[UInt8]])
    func overlongVarintIsRejected(bytes: [UInt8]) {
        #expect(read(bytes) { r throws(CodecError) in try r.readVarint() }.failure == CodecError(.overlongVarint, at: 0))
    }

    @Test func overlongVarintIsRejectedAtItsOwnOffset() {
        let bytes: [UInt8] = [0x05, 0x80, 0x00]
        #expect(read(bytes) { r throws(CodecError) in (try r.readVarint(), try r.readVarint()) }.failure == CodecError(.overlongVarint, at: 1))
    }

    @Test(arguments: [
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    ] as [[UInt8]])
    func varintWhoseTenthByteIsAboveOneOverflows(bytes: [UInt8]) {
        #expect(read(bytes) { r throws(CodecError) in try r.readVarint() }.failure == CodecError(.varintOverflow, at: 0))
    }

    @Test func largestVarintUsesTenthByteOne() {
        let max: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        #expect(Varint.encode(UInt64.max) == max)
        #expect(read(max) { r throws(CodecError) in try r.readVarint() }.value == UInt64.max)
    }

    @Test(arguments: [[], [0x80], [0xff, 0xff], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]] as [[UInt8]])
    func truncatedVarintIsRejected(bytes: [UInt8]) {
        #expect(read(bytes) { r throws(CodecError) in try r.readVarint() }.failure == CodecError(.truncated, at: 0))
    }
}
