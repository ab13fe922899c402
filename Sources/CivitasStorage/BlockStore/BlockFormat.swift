import CivitasLedger

/// The byte layout of the block store (docs/storage.md, "Block store").
///
/// All integers are little-endian. A segment file is a 24-byte segment header
/// followed by items; an item is a 56-byte item header, then (for a block
/// record) the payload, which is `SealedBlock.encoded()` byte for byte:
///
///     segment header  magic "CVBS" u32 | version u32 | first height u64 | reserved u32 (0) | CRC32C of bytes 0..<20 u32
///     item header     magic u32 ("CVBR" block record, "CVBM" sync marker, "CVBE" seal) | payload length u32 |
///                     height u64 | header hash [32] | CRC32C of the payload u32 | CRC32C of bytes 0..<52 u32
///
/// A sync marker has no payload. It names the last block written before it,
/// and is written only after everything before it was fsynced, so a valid
/// marker vouches that the bytes before it were once durable: damage before a
/// marker is corruption, damage after the last one is a torn, unsynced tail.
/// A seal is the marker that closes a segment for good: it is the segment's
/// last item, and every segment but the last has one, so a segment whose end
/// was cut off is told apart from a segment file that is missing.
enum BlockFormat {
    static let segmentMagic: UInt32 = magic("CVBS")
    static let recordMagic: UInt32 = magic("CVBR")
    static let markerMagic: UInt32 = magic("CVBM")
    static let sealMagic: UInt32 = magic("CVBE")
    static let indexMagic: UInt32 = magic("CVBI")
    static let version: UInt32 = 1

    static let segmentHeaderSize = 24
    static let itemHeaderSize = 56
    static let segmentSuffix = ".seg"
    static let indexName = "index"
    /// Segment names carry at least this many digits, so they sort as text too.
    static let segmentNameDigits = 12

    /// What every corruption message ends with: the store cannot mend acknowledged data itself.
    static let wayOut = "the block store cannot repair acknowledged blocks itself: stop the node, move the blocks directory aside and let the node fetch the chain again from its peers (`civitas verify --data-dir DIR` shows the first bad height)"

    static func corrupt(_ path: String, _ offset: Int, _ reason: String) -> StorageError {
        .corrupt(path: path, offset: offset, reason: reason + "; " + wayOut)
    }

    static func magic(_ text: StaticString) -> UInt32 {
        text.withUTF8Buffer { b in UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24 }
    }

    // MARK: Names

    static func segmentName(firstHeight: UInt64) -> String {
        let digits = String(firstHeight)
        let padding = max(0, segmentNameDigits - digits.count)
        return String(repeating: "0", count: padding) + digits + segmentSuffix
    }

    /// The first height named by a segment file name, or nil if `name` is not one this store writes.
    static func firstHeight(ofSegmentNamed name: String) -> UInt64? {
        guard name.hasSuffix(segmentSuffix) else { return nil }
        let digits = name.dropLast(segmentSuffix.count)
        guard digits.count >= segmentNameDigits, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = UInt64(digits), value >= 1, segmentName(firstHeight: value) == name else { return nil }
        return value
    }

    // MARK: Little-endian fields

    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func append(_ hash: Hash, to bytes: inout [UInt8]) {
        hash.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// Reads a little-endian integer; the caller has checked `offset + 4 <= buffer.count`.
    static func u32(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    static func u64(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    static func hash(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> Hash {
        var h = Hash()
        h.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + 32)])) }
        return h
    }
}

/// The first bytes of a segment file.
struct BlockSegmentHeader: Equatable {
    var firstHeight: UInt64

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(BlockFormat.segmentHeaderSize)
        BlockFormat.append(BlockFormat.segmentMagic, to: &bytes)
        BlockFormat.append(BlockFormat.version, to: &bytes)
        BlockFormat.append(firstHeight, to: &bytes)
        BlockFormat.append(UInt32(0), to: &bytes)
        BlockFormat.append(CRC32C.checksum(bytes), to: &bytes)
        return bytes
    }

    /// Decodes a segment header, or says why the bytes are not one.
    static func decode(_ bytes: ArraySlice<UInt8>) -> Result<BlockSegmentHeader, BlockItemDamage> {
        guard bytes.count >= BlockFormat.segmentHeaderSize else {
            return .failure(BlockItemDamage("the segment header is cut short (\(bytes.count) of \(BlockFormat.segmentHeaderSize) bytes)"))
        }
        return bytes.withUnsafeBytes { b -> Result<BlockSegmentHeader, BlockItemDamage> in
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<20]))
            guard crc == BlockFormat.u32(b, 20) else { return .failure(BlockItemDamage("the segment header fails its checksum")) }
            guard BlockFormat.u32(b, 0) == BlockFormat.segmentMagic else { return .failure(BlockItemDamage("not a block segment (bad magic)", definite: true)) }
            let version = BlockFormat.u32(b, 4)
            guard version == BlockFormat.version else {
                return .failure(BlockItemDamage("segment format version \(version) is not one this build reads", definite: true))
            }
            guard BlockFormat.u32(b, 16) == 0 else { return .failure(BlockItemDamage("reserved segment header field is not zero", definite: true)) }
            return .success(BlockSegmentHeader(firstHeight: BlockFormat.u64(b, 8)))
        }
    }
}

/// The header of a block record or a sync marker.
struct BlockItemHeader: Equatable {
    enum Kind: Equatable {
        case block, marker, seal

        var magic: UInt32 {
            switch self {
            case .block: return BlockFormat.recordMagic
            case .marker: return BlockFormat.markerMagic
            case .seal: return BlockFormat.sealMagic
            }
        }
    }

    var kind: Kind
    var length: Int
    var height: UInt64
    var hash: Hash
    var payloadCRC: UInt32

    static func block(height: UInt64, hash: Hash, payload: [UInt8]) -> BlockItemHeader {
        BlockItemHeader(kind: .block, length: payload.count, height: height, hash: hash, payloadCRC: CRC32C.checksum(payload))
    }

    /// A marker vouching for the bytes before it; it names the last block written before it.
    static func marker(height: UInt64, hash: Hash) -> BlockItemHeader {
        BlockItemHeader(kind: .marker, length: 0, height: height, hash: hash, payloadCRC: 0)
    }

    /// The marker that closes a segment; it names the segment's last block.
    static func seal(height: UInt64, hash: Hash) -> BlockItemHeader {
        BlockItemHeader(kind: .seal, length: 0, height: height, hash: hash, payloadCRC: 0)
    }

    func append(to bytes: inout [UInt8]) {
        let start = bytes.count
        BlockFormat.append(kind.magic, to: &bytes)
        BlockFormat.append(UInt32(truncatingIfNeeded: length), to: &bytes)
        BlockFormat.append(height, to: &bytes)
        BlockFormat.append(hash, to: &bytes)
        BlockFormat.append(payloadCRC, to: &bytes)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + 52)])) }
        BlockFormat.append(crc, to: &bytes)
    }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(BlockFormat.itemHeaderSize)
        append(to: &bytes)
        return bytes
    }

    /// Decodes an item header from exactly `itemHeaderSize` bytes, or says why they are not one.
    static func decode(_ b: UnsafeRawBufferPointer, maxLength: Int) -> Result<BlockItemHeader, BlockItemDamage> {
        guard b.count >= BlockFormat.itemHeaderSize else {
            return .failure(BlockItemDamage("item header cut short (\(b.count) of \(BlockFormat.itemHeaderSize) bytes)"))
        }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<52]))
        guard crc == BlockFormat.u32(b, 52) else { return .failure(BlockItemDamage("item header fails its checksum")) }
        let magic = BlockFormat.u32(b, 0)
        let kind: Kind
        switch magic {
        case BlockFormat.recordMagic: kind = .block
        case BlockFormat.markerMagic: kind = .marker
        case BlockFormat.sealMagic: kind = .seal
        default: return .failure(BlockItemDamage("item header has an unknown magic number", definite: true))
        }
        let length = Int(BlockFormat.u32(b, 4))
        if kind != .block && length != 0 { return .failure(BlockItemDamage("sync marker with a payload", definite: true)) }
        if kind == .block && (length == 0 || length > maxLength) {
            return .failure(BlockItemDamage("block record of \(length) bytes (the limit is \(maxLength))", definite: true))
        }
        return .success(BlockItemHeader(kind: kind, length: length, height: BlockFormat.u64(b, 8), hash: BlockFormat.hash(b, 16),
                                   payloadCRC: BlockFormat.u32(b, 48)))
    }
}

/// Why the bytes at a position are not a valid item.
///
/// `definite` damage passed its checksum yet breaks a rule (a wrong height, an
/// unknown magic): a torn write cannot produce it, so it is never truncated away.
struct BlockItemDamage: Error, Equatable {
    var reason: String
    var definite: Bool

    init(_ reason: String, definite: Bool = false) {
        self.reason = reason
        self.definite = definite
    }
}
