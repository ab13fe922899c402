import CivitasCodec
import CivitasLedger
import Foundation
import GRDB

/// The canonical digest of a state database (see `StateDatabase.stateDigest`).
enum StateDigest {
    static let chunkBytes = 64 * 1024

    static func compute(_ db: Database, excluding excluded: Set<String> = []) throws -> Hash {
        var hasher = ChunkedHasher()
        for (table, orderBy) in StateSchema.digestOrder where !excluded.contains(table) {
            hasher.byte(0xFF)
            hasher.string(table)
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \(table) ORDER BY \(orderBy)")
            while let row = try rows.next() {
                hasher.byte(0xFE)
                hasher.varint(UInt64(row.count))
                for value in row.databaseValues {
                    switch value.storage {
                    case .null:
                        hasher.byte(0)
                    case let .int64(v):
                        hasher.byte(1)
                        hasher.bigEndian(UInt64(bitPattern: v))
                    case let .double(d):
                        hasher.byte(2)
                        hasher.bigEndian(d.bitPattern)
                    case let .string(s):
                        hasher.byte(3)
                        hasher.string(s)
                    case let .blob(data):
                        hasher.byte(4)
                        hasher.varint(UInt64(data.count))
                        hasher.buffer.append(contentsOf: data)
                    }
                }
                hasher.rowEnded()
            }
        }
        return hasher.finish()
    }

    /// SHA-256 over a long stream without holding it all: the running state is
    /// hashed with each chunk in turn.
    struct ChunkedHasher {
        var state = Hash()
        var buffer: [UInt8] = []
        var total: UInt64 = 0

        init() { buffer.reserveCapacity(StateDigest.chunkBytes + 4096) }

        @inline(__always) mutating func byte(_ b: UInt8) { buffer.append(b) }

        mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 {
                buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            buffer.append(UInt8(v))
        }

        mutating func bigEndian(_ v: UInt64) {
            for shift in stride(from: 56, through: 0, by: -8) { buffer.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
        }

        mutating func string(_ s: String) {
            var s = s
            s.withUTF8 { utf8 in
                varint(UInt64(utf8.count))
                buffer.append(contentsOf: utf8)
            }
        }

        mutating func rowEnded() {
            if buffer.count >= StateDigest.chunkBytes { flush() }
        }

        mutating func flush() {
            total += UInt64(buffer.count)
            var input = state.bytes
            input.append(contentsOf: buffer)
            state = Hashing.sha256(input)
            buffer.removeAll(keepingCapacity: true)
        }

        mutating func finish() -> Hash {
            flush()
            var input = state.bytes
            for shift in stride(from: 56, through: 0, by: -8) { input.append(UInt8(truncatingIfNeeded: total >> UInt64(shift))) }
            return Hashing.sha256(input)
        }
    }
}
