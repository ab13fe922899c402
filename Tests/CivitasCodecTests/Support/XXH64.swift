/// XXH64 (seed 0), the hash behind zstd's content checksum (RFC 8878 §3.1.1:
/// the low 4 bytes of XXH64 over the decompressed content, little-endian).
/// Lets the tests build checksummed frames by hand, independent of libzstd.
enum XXH64 {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }
    static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 { rotl(acc &+ input &* p2, 31) &* p1 }
    static func merge(_ acc: UInt64, _ v: UInt64) -> UInt64 { (acc ^ round(0, v)) &* p1 &+ p4 }

    static func read(_ b: ArraySlice<UInt8>, _ at: Int, _ n: Int) -> UInt64 {
        (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << UInt64(8 * $1) }
    }

    static func hash(_ input: [UInt8]) -> UInt64 {
        let b = input[...]
        var i = b.startIndex
        var h: UInt64
        if b.count >= 32 {
            var v1 = p1 &+ p2, v2 = p2, v3: UInt64 = 0, v4 = 0 &- p1
            while b.endIndex - i >= 32 {
                v1 = round(v1, read(b, i, 8)); v2 = round(v2, read(b, i + 8, 8))
                v3 = round(v3, read(b, i + 16, 8)); v4 = round(v4, read(b, i + 24, 8))
                i += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(merge(merge(merge(h, v1), v2), v3), v4)
        } else {
            h = p5
        }
        h = h &+ UInt64(b.count)
        while b.endIndex - i >= 8 {
            h = rotl(h ^ round(0, read(b, i, 8)), 27) &* p1 &+ p4
            i += 8
        }
        if b.endIndex - i >= 4 {
            h = rotl(h ^ (read(b, i, 4) &* p1), 23) &* p2 &+ p3
            i += 4
        }
        while i < b.endIndex {
            h = rotl(h ^ (UInt64(b[i]) &* p5), 11) &* p1
            i += 1
        }
        h ^= h >> 33; h = h &* p2
        h ^= h >> 29; h = h &* p3
        h ^= h >> 32
        return h
    }
}
