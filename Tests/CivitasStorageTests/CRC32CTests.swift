import CivitasStorage
import CivitasCodec
import CivitasTestSupport
import Testing

@Suite struct CRC32CTests {
    /// The check value of CRC-32C (RFC 3720 appendix B.4 and the CRC catalogue).
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func incrementalEqualsWhole() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = CRC32C.checksum(bytes)
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let a = bytes[..<split].withUnsafeBytes { CRC32C.update(0, $0) }
            let b = bytes[split...].withUnsafeBytes { CRC32C.update(a, $0) }
            #expect(b == whole, "split at \(split)")
        }
    }

    /// The hardware path (where the CPU has one) and the table agree on every
    /// length around the 8-byte steps, at every alignment, and when continued.
    @Test func hardwareAgreesWithTable() {
        var g = SplitMix64(seed: 0xC3C3)
        let bytes = g.bytes(600)
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 250, 259, 511, 591] where start + length <= all.count {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let seed = UInt32(truncatingIfNeeded: g.next())
                    #expect(CRC32C.update(seed, slice) == CRC32C.softwareUpdate(seed, slice), "start \(start) length \(length)")
                }
            }
        }
        "123456789".utf8.withContiguousStorageIfAvailable { raw in
            #expect(CRC32C.softwareUpdate(0, UnsafeRawBufferPointer(raw)) == 0xE306_9283)
        }
    }

    #if arch(x86_64)
    /// Every x86-64 machine this project runs on has SSE4.2 (2008 onwards);
    /// if this fails, the WAL is silently on the slow path.
    @Test func hardwarePathIsUsedOnX86() {
        #expect(CRC32C.hardware)
    }
    #endif
}
