public import CivitasGossip
import CivitasLedger
public import CivitasCodec
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The address book on disk (`<data-dir>/peers.book`): the book's canonical
/// bytes (object 0x71) followed by their SHA-256, written to a temporary file,
/// fsynced, renamed over the old one, and the directory fsynced — so a crash
/// leaves either the old book or the new one, never a mix.
///
/// Loading checks the digest before decoding, so a flipped byte anywhere is
/// refused rather than half-read; `Membership` then checks every record's
/// signature again. A damaged file is not fatal to a node (its seeds still
/// work): `load` reports it, and `loadOrQuarantine` moves it aside to
/// `peers.book.damaged` so nothing is lost and the next save starts clean.
public struct AddressBookFile: Sendable {
    /// Why a book could not be read.
    public struct LoadError: Error, CustomStringConvertible, Sendable, Equatable {
        public var path: String
        public var reason: String
        public var description: String { "address book \(path): \(reason)" }
    }

    public let path: String
    /// Largest file `load` reads: 64 MiB.
    public static let maxFileBytes = 64 << 20

    public init(path: String) { self.path = path }

    /// The file's bytes for `book`.
    public static func encode(_ book: AddressBook) -> [UInt8] {
        let body = book.canonicalBytes()
        return body + Hashing.sha256(body).bytes
    }

    /// The book in `bytes`, or why not.
    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> AddressBook {
        guard bytes.count >= 32 else {
            throw CodecError(.invalidValue(field: "address book file", reason: "\(bytes.count) bytes is shorter than its digest"), at: 0)
        }
        let body = Array(bytes[..<(bytes.count - 32)])
        guard Hashing.sha256(body).bytes == Array(bytes[(bytes.count - 32)...]) else {
            throw CodecError(.invalidValue(field: "address book file", reason: "the SHA-256 does not match the contents (damaged file)"),
                             at: bytes.count - 32)
        }
        return try AddressBook(canonicalBytes: body)
    }

    /// The saved book; an empty book when there is no file yet.
    public func load() throws(LoadError) -> AddressBook {
        guard FileManager.default.fileExists(atPath: path) else { return AddressBook() }
        // A book holds at most 4,096 records of at most a few KB each: a larger
        // file is damage, refused before it is read into memory.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > Self.maxFileBytes {
            throw LoadError(path: path, reason: "\(size) bytes is more than any address book (\(Self.maxFileBytes))")
        }
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw LoadError(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        do { return try Self.decode(bytes) } catch { throw LoadError(path: path, reason: error.description) }
    }

    /// The saved book, or — if the file is damaged — an empty book, after
    /// moving the file to `<path>.damaged` and telling `report` why.
    public func loadOrQuarantine(report: (String) -> Void) -> AddressBook {
        do { return try load() } catch {
            let aside = path + ".damaged"
            try? FileManager.default.removeItem(atPath: aside)
            let moved = (try? FileManager.default.moveItem(atPath: path, toPath: aside)) != nil
            report("\(error); starting from the seeds\(moved ? ", the file was moved to \(aside)" : "")")
            return AddressBook()
        }
    }

    /// Writes `book` durably: temporary file, fsync, rename, fsync of the directory.
    public func save(_ book: AddressBook) throws(LoadError) {
        let bytes = Self.encode(book)
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp"
        do {
            try Self.writeSynced(bytes, to: temporary)
            guard rename(temporary, path) == 0 else { throw POSIXFailure(operation: "rename", errno: errno) }
            try Self.syncDirectory(directory.isEmpty ? "." : directory)
        } catch {
            unlink(temporary)
            throw LoadError(path: path, reason: "cannot save: \(error)")
        }
    }

    private struct POSIXFailure: Error, CustomStringConvertible {
        var operation: String
        var errno: Int32
        var description: String { "\(operation): \(String(cString: strerror(errno)))" }
    }

    private static func writeSynced(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXFailure(operation: "open", errno: errno) }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXFailure(operation: "write", errno: errno)
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw POSIXFailure(operation: "fsync", errno: errno) }
    }

    private static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXFailure(operation: "open directory", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw POSIXFailure(operation: "fsync directory", errno: errno) }
    }
}
