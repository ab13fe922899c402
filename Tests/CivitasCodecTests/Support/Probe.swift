import CivitasTestSupport
import CivitasCodec

/// A test object that uses every primitive of the codec: varints of two
/// widths, a bool, a bounded string, a bounded byte string, the three fixed
/// widths, an optional and a list.
struct Probe: CanonicalObject, Equatable, Sendable {
    static var typeTag: UInt8 { 0x7e }
    static var formatVersion: UInt8 { 3 }

    static let nameLimit = 64
    static let blobLimit = 100
    static let listLimit = 20

    var number: UInt64
    var small: UInt32
    var flag: Bool
    var name: String
    var blob: [UInt8]
    var id: Bytes16
    var digest: Bytes32?
    var list: [UInt64]
    var signature: Bytes64

    func encode(to w: inout ByteWriter) {
        w.writeVarint(number)
        w.writeVarint(small)
        w.writeBool(flag)
        w.writeString(name)
        w.writeLengthPrefixed(blob)
        w.write(id)
        w.writeOptional(digest)
        w.writeList(list)
        w.write(signature)
    }

    init(number: UInt64, small: UInt32, flag: Bool, name: String, blob: [UInt8], id: Bytes16,
         digest: Bytes32?, list: [UInt64], signature: Bytes64) {
        self.number = number
        self.small = small
        self.flag = flag
        self.name = name
        self.blob = blob
        self.id = id
        self.digest = digest
        self.list = list
        self.signature = signature
    }

    init(from r: inout ByteReader) throws(CodecError) {
        number = try r.readVarint()
        small = try r.readVarint(as: UInt32.self)
        flag = try r.readBool()
        name = try r.readString(limit: Self.nameLimit)
        blob = try r.readLengthPrefixed(limit: Self.blobLimit)
        id = try r.read()
        digest = try r.readOptional()
        list = try r.readList(limit: Self.listLimit)
        signature = try r.read()
    }

    static var minEncodedSize: Int { 1 + 1 + 1 + 1 + 1 + 16 + 1 + 1 + 64 }

    /// A random probe; strings mix 1- to 4-byte UTF-8 scalars, lengths reach their limits.
    static func random(_ g: inout SplitMix64) -> Probe {
        var scalars = String.UnicodeScalarView()
        var budget = g.chance(10) ? nameLimit : g.int(0...nameLimit)
        while budget > 0 {
            let s = randomScalar(&g, maxBytes: budget)
            budget -= String(s).utf8.count
            scalars.append(s)
        }
        let blobCount = g.chance(10) ? blobLimit : g.int(0...blobLimit)
        return Probe(
            number: g.varintValue(),
            small: UInt32(truncatingIfNeeded: g.varintValue() >> 32),
            flag: g.chance(50),
            name: String(scalars),
            blob: g.bytes(blobCount),
            id: Bytes16(g.bytes(16))!,
            digest: g.chance(50) ? Bytes32(g.bytes(32))! : nil,
            list: (0..<g.int(0...listLimit)).map { _ in g.varintValue() },
            signature: Bytes64(g.bytes(64))!)
    }
}

/// A scalar whose UTF-8 form takes at most `maxBytes` (≥ 1) bytes.
func randomScalar(_ g: inout SplitMix64, maxBytes: Int) -> Unicode.Scalar {
    let width = min(maxBytes, [1, 1, 1, 1, 2, 2, 3, 4][g.int(0...7)])
    let value: Int
    switch width {
    case 1: value = g.int(0...0x7f)
    case 2: value = g.int(0x80...0x7ff)
    case 3:
        let v = g.int(0x800...(0xffff - 0x800))
        value = v >= 0xd800 ? v + 0x800 : v  // skip the surrogates
    default: value = g.int(0x10000...0x10ffff)
    }
    return Unicode.Scalar(UInt32(value))!
}
