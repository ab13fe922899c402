import CivitasCodec
import CivitasLedger
import Foundation
import GRDB

// Small conversions between ledger values and SQLite values, and the mapping
// of SQLite's failures onto `StorageError`.

extension FixedBytes {
    /// The bytes as a SQLite BLOB.
    var sql: Data { withUnsafeBytes { Data($0) } }
}

/// A `UInt64` as a SQLite INTEGER. Values above `Int64.max` (which no height,
/// nonce or honest time reaches) are clamped, which keeps their order.
@inline(__always)
func sqlInt(_ v: UInt64) -> Int64 { Int64(clamping: v) }

extension Database {
    /// Runs `sql` through the statement cache.
    @inline(__always)
    func run(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// The first row `sql` returns, if any.
    @inline(__always)
    func row(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    /// Every row `sql` returns.
    func rows(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    /// The integer in the first column of the first row, if any.
    @inline(__always)
    func integer(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> Int64? {
        try Int64.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }
}

/// A value read back from the database that is not what this code wrote: the
/// file was changed by something else, or damaged in a way SQLite did not notice.
struct UnexpectedValue: Error {
    let column: String
    let detail: String
}

extension Row {
    func int(_ column: String) throws -> Int64 { try decode(Int64.self, forColumn: column) }
    func optionalInt(_ column: String) throws -> Int64? { try decode(Int64?.self, forColumn: column) }
    func uint(_ column: String) throws -> UInt64 {
        let v = try int(column)
        guard v >= 0 else { throw UnexpectedValue(column: column, detail: "negative value \(v)") }
        return UInt64(v)
    }
    func optionalUInt(_ column: String) throws -> UInt64? {
        guard let v = try optionalInt(column) else { return nil }
        guard v >= 0 else { throw UnexpectedValue(column: column, detail: "negative value \(v)") }
        return UInt64(v)
    }
    func text(_ column: String) throws -> String { try decode(String.self, forColumn: column) }
    func optionalText(_ column: String) throws -> String? { try decode(String?.self, forColumn: column) }

    func fixed<T: FixedBytes>(_ type: T.Type, _ column: String) throws -> T {
        let data = try decode(Data.self, forColumn: column)
        guard let value = T(data) else {
            throw UnexpectedValue(column: column, detail: "\(data.count) bytes, expected \(T.byteCount)")
        }
        return value
    }

    func optionalFixed<T: FixedBytes>(_ type: T.Type, _ column: String) throws -> T? {
        guard let data = try decode(Data?.self, forColumn: column) else { return nil }
        guard let value = T(data) else {
            throw UnexpectedValue(column: column, detail: "\(data.count) bytes, expected \(T.byteCount)")
        }
        return value
    }

    func hash(_ column: String) throws -> Hash { try fixed(Hash.self, column) }
    func optionalHash(_ column: String) throws -> Hash? { try optionalFixed(Hash.self, column) }
    func subjectID(_ column: String) throws -> SubjectID { SubjectID(raw: try fixed(Bytes16.self, column)) }
    func optionalSubjectID(_ column: String) throws -> SubjectID? {
        try optionalFixed(Bytes16.self, column).map(SubjectID.init(raw:))
    }
    func publicKey(_ column: String) throws -> PublicKey { PublicKey(raw: try fixed(Bytes32.self, column)) }
}

/// Maps whatever a database operation threw onto a `StorageError` naming `path`.
func storageError(_ error: any Error, path: String, operation: String) -> StorageError {
    if let e = error as? StorageError { return e }
    if let e = error as? DatabaseError {
        let message = e.message ?? "no message"
        switch e.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return .corrupt(path: path, offset: 0, reason: "SQLite: \(message) (\(operation))")
        case .SQLITE_FULL:
            return .diskFull(path: path)
        case .SQLITE_IOERR:
            return .io(path: path, operation: "\(operation) (SQLite: \(message))", errno: 5)
        case .SQLITE_CANTOPEN:
            return .io(path: path, operation: "\(operation) (SQLite: cannot open: \(message))", errno: 2)
        case .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            return .io(path: path, operation: "\(operation) (SQLite: \(message))", errno: 13)
        default:
            return .failed(path: path, cause: "SQLite error \(e.extendedResultCode.rawValue) during \(operation): \(message)")
        }
    }
    if let e = error as? UnexpectedValue {
        return .corrupt(path: path, offset: 0, reason: "column \(e.column) holds an unexpected value: \(e.detail)")
    }
    if error is RowDecodingError {
        return .corrupt(path: path, offset: 0, reason: "a row does not decode: \(error)")
    }
    return .failed(path: path, cause: "\(operation): \(error)")
}
