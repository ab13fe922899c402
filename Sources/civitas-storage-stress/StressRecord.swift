import CivitasCodec
import CivitasLedger

/// The WAL records the stress child writes. Each is decodable by content:
///
///     "CSTR"            4 bytes
///     proposer          u32 little-endian
///     sequence          u64 little-endian (1, 2, 3, … per proposer, no gaps)
///     filler length     u16 little-endian (0…399, drawn from proposer and sequence)
///     filler            bytes drawn from proposer and sequence
///     SHA-256 of all the bytes before it
///
/// so whoever reads the log back can rebuild the exact bytes from the
/// proposer and sequence alone. `Tests/CivitasStorageTests/CrashRecoveryTests.swift`
/// rebuilds every record it reads back with its own copy of this rule, so a
/// bug here cannot hide itself.
enum StressRecord {
    static let type: UInt8 = 0x5A
    static let magic: [UInt8] = Array("CSTR".utf8)

    static func make(proposer: UInt32, sequence: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: UInt64(proposer) << 48 ^ sequence ^ 0xC1F1_7A5E_5EED_0001)
        let fillerLength = Int(rng.next() % 400)
        var bytes = magic
        bytes.reserveCapacity(18 + fillerLength + 32)
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: proposer >> (8 * UInt32(i)))) }
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i)))) }
        bytes.append(UInt8(truncatingIfNeeded: fillerLength))
        bytes.append(UInt8(truncatingIfNeeded: fillerLength >> 8))
        var word: UInt64 = 0
        for i in 0..<fillerLength {
            if i % 8 == 0 { word = rng.next() }
            bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i % 8))))
        }
        bytes.append(contentsOf: Hashing.sha256(bytes).bytes)
        return bytes
    }

    /// The proposer and sequence a record names, checking only its shape
    /// (the WAL has checked its CRC; the crash test rebuilds every byte).
    static func header(_ bytes: [UInt8]) -> (proposer: UInt32, sequence: UInt64)? {
        guard bytes.count >= 18 + 32, Array(bytes[0..<4]) == magic else { return nil }
        let proposer = bytes[4..<8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let sequence = bytes[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let filler = Int(bytes[16]) | Int(bytes[17]) << 8
        return bytes.count == 18 + filler + 32 ? (proposer, sequence) : nil
    }
}
