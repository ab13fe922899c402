/// The on-disk format of the write-ahead log (docs/storage.md, "Write-ahead log").
///
/// A segment is a 512-byte header followed by batches. Each batch starts on a
/// 512-byte boundary, is written with one `pwrite` and made durable with one
/// `fsync` (group commit: one batch holds every record appended since the last
/// sync). All integers are little-endian.
///
///     segment header (512 bytes)
///       0  magic "CVTSWAL1"          8 bytes
///       8  format version            u32 = 1
///      12  reserved                  u32 = 0
///      16  segment sequence          u64 (equals the file name)
///      24  CRC32C of bytes 0..<24    u32
///      28  zeros to 512
///
///     batch header (32 bytes, at a 512-byte boundary)
///       0  magic "CVWB"              u32
///       4  body length in bytes      u32 (records only, no padding)
///       8  record count              u32
///      12  unsynced before           u32: sectors (512 bytes) just before this batch
///                                    that were written but not yet known durable when
///                                    it was written (0: everything before it was)
///      16  segment sequence          u64 (a batch from another file is never accepted)
///      24  reserved                  u32 = 0
///      28  CRC32C of bytes 0..<28    u32
///     body: records, back to back
///       length of payload            u32
///       type                         u8
///       payload                      length bytes
///       CRC32C of length, type and payload   u32
///     zero padding to the next 512-byte boundary
enum WALFormat {
    static let sector = 512
    static let segmentMagic: [UInt8] = Array("CVTSWAL1".utf8)
    static let formatVersion: UInt32 = 1
    static let batchMagic: UInt32 = 0x4257_5643 // "CVWB" little-endian
    static let batchHeaderSize = 32
    static let recordOverhead = 9
    static let segmentExtension = ".wal"

    static func segmentName(_ sequence: UInt64) -> String {
        let hex = String(sequence, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + segmentExtension
    }

    /// The sequence number in a segment file name, or nil for any other file.
    static func sequence(fromName name: String) -> UInt64? {
        guard name.hasSuffix(segmentExtension) else { return nil }
        let stem = name.dropLast(segmentExtension.count)
        guard stem.count == 16, stem.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return UInt64(stem, radix: 16)
    }

    static func segmentHeader(sequence: UInt64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: sector)
        bytes.replaceSubrange(0..<8, with: segmentMagic)
        put32(&bytes, 8, formatVersion)
        put64(&bytes, 16, sequence)
        put32(&bytes, 24, CRC32C.checksum(bytes[0..<24]))
        return bytes
    }

    enum HeaderCheck { case valid(sequence: UInt64), zero, invalid(String) }

    static func checkSegmentHeader(_ bytes: ArraySlice<UInt8>) -> HeaderCheck {
        guard bytes.count >= sector else { return .invalid("segment shorter than its header") }
        let b = bytes.startIndex
        if bytes[b..<(b + 28)].allSatisfy({ $0 == 0 }) { return .zero }
        guard Array(bytes[b..<(b + 8)]) == segmentMagic else { return .invalid("bad segment magic") }
        guard get32(bytes, b + 24) == CRC32C.checksum(bytes[b..<(b + 24)]) else { return .invalid("segment header checksum mismatch") }
        guard get32(bytes, b + 8) == formatVersion else { return .invalid("unknown WAL format version \(get32(bytes, b + 8))") }
        guard bytes[(b + 28)..<(b + sector)].allSatisfy({ $0 == 0 }) else { return .invalid("segment header padding is not zero") }
        return .valid(sequence: get64(bytes, b + 16))
    }

    struct BatchHeader {
        var bodyLength: Int
        var recordCount: Int
        var segment: UInt64
        /// Bytes just before the batch that its writer did not yet know durable:
        /// everything before `offset - unsyncedBefore` was fsynced when it was written.
        var unsyncedBefore: Int
    }

    static func writeBatchHeader(into bytes: inout [UInt8], bodyLength: Int, recordCount: Int, segment: UInt64, unsyncedBefore: Int = 0) {
        put32(&bytes, 0, batchMagic)
        put32(&bytes, 4, UInt32(bodyLength))
        put32(&bytes, 8, UInt32(recordCount))
        put32(&bytes, 12, UInt32(unsyncedBefore / sector))
        put64(&bytes, 16, segment)
        put32(&bytes, 24, 0)
        put32(&bytes, 28, CRC32C.checksum(bytes[0..<28]))
    }

    /// Parses a batch header; nil if it is not one this log wrote (which
    /// includes one claiming unsynced bytes before the segment's first batch).
    static func readBatchHeader(_ bytes: [UInt8], at offset: Int, segment: UInt64) -> BatchHeader? {
        guard offset + batchHeaderSize <= bytes.count,
              get32(bytes[...], offset) == batchMagic,
              get32(bytes[...], offset + 28) == CRC32C.checksum(bytes[offset..<(offset + 28)]),
              get64(bytes[...], offset + 16) == segment
        else { return nil }
        let unsyncedBefore = Int(get32(bytes[...], offset + 12)) * sector
        guard unsyncedBefore <= offset - sector else { return nil }
        return BatchHeader(bodyLength: Int(get32(bytes[...], offset + 4)), recordCount: Int(get32(bytes[...], offset + 8)), segment: segment,
                           unsyncedBefore: unsyncedBefore)
    }

    static func aligned(_ n: Int) -> Int { (n + sector - 1) / sector * sector }

    @inline(__always) static func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) {
        b[o] = UInt8(truncatingIfNeeded: v); b[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
        b[o + 2] = UInt8(truncatingIfNeeded: v >> 16); b[o + 3] = UInt8(truncatingIfNeeded: v >> 24)
    }

    @inline(__always) static func put64(_ b: inout [UInt8], _ o: Int, _ v: UInt64) {
        put32(&b, o, UInt32(truncatingIfNeeded: v)); put32(&b, o + 4, UInt32(truncatingIfNeeded: v >> 32))
    }

    @inline(__always) static func get32(_ b: ArraySlice<UInt8>, _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    @inline(__always) static func get64(_ b: ArraySlice<UInt8>, _ o: Int) -> UInt64 {
        UInt64(get32(b, o)) | UInt64(get32(b, o + 4)) << 32
    }
}
