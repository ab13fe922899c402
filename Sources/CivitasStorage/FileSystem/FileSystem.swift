/// The storage layer's view of a file system: a handful of operations with
/// the durability rules made explicit, so the same WAL and block store run on
/// the real disk (`POSIXFileSystem`) and on the simulator's disk, which loses
/// unsynced writes, tears the last write and fails reads when told to.
///
/// Durability contract (what every implementation must honour, and what the
/// simulated one enforces):
/// - `StorageFile.write` data is durable only after `StorageFile.sync()`.
/// - A new, renamed or removed directory entry is durable only after
///   `syncDirectory` on its parent directory.
/// - After a crash, an unsynced write may be lost entirely, kept entirely, or
///   kept in part (any subset of its whole 512-byte sectors, the rest reading
///   as before, as zeros, or missing), independently of other unsynced
///   writes: a later one can land while an earlier one does not.
public protocol FileSystem: AnyObject {
    /// Opens a file for reading and writing. With `create`, makes it if absent.
    func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile
    /// The names (not paths) in a directory, unsorted.
    func list(_ directory: String) throws(StorageError) -> [String]
    func exists(_ path: String) -> Bool
    /// Creates a directory and any missing parents.
    func createDirectory(_ path: String) throws(StorageError)
    func remove(_ path: String) throws(StorageError)
    /// Atomically replaces `to` with `from`.
    func rename(_ from: String, to: String) throws(StorageError)
    /// Makes entries created, renamed or removed in `directory` durable.
    func syncDirectory(_ directory: String) throws(StorageError)
}

/// An open file. Offsets are absolute; there is no hidden file position.
public protocol StorageFile: AnyObject {
    var path: String { get }
    /// The current size in bytes.
    func size() throws(StorageError) -> Int
    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8]
    /// Writes all of `bytes` at `offset` (extending the file if needed).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError)
    /// Makes every write so far durable (fsync).
    func sync() throws(StorageError)
    /// Makes every write so far durable, skipping metadata that is not needed
    /// to read the data back (fdatasync). Only safe when no write extended the
    /// file since the last `sync()`.
    func syncData() throws(StorageError)
    /// Cuts the file to `size` bytes.
    func truncate(to size: Int) throws(StorageError)
    func close()
}

extension StorageFile {
    public func syncData() throws(StorageError) { try sync() }

    public func write(_ bytes: [UInt8], at offset: Int) throws(StorageError) {
        var failure: StorageError?
        bytes.withUnsafeBytes { raw in
            do throws(StorageError) { try write(raw, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Reads the whole file.
    public func readAll() throws(StorageError) -> [UInt8] {
        try read(at: 0, count: size())
    }
}

/// Joins path components with `/`.
@inlinable
public func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// The directory part of a path ("." if there is none).
public func parentDirectory(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}

extension FileSystem {
    /// Writes `bytes` to `path` atomically and durably: a temporary file,
    /// fsync, rename over the target, fsync of the directory.
    public func writeAtomically(_ bytes: [UInt8], to path: String) throws(StorageError) {
        let temporary = path + ".tmp"
        if exists(temporary) { try remove(temporary) }
        let file = try open(temporary, create: true)
        do {
            try file.truncate(to: 0)
            try file.write(bytes, at: 0)
            try file.sync()
        } catch {
            file.close()
            try? remove(temporary)
            throw error
        }
        file.close()
        try rename(temporary, to: path)
        try syncDirectory(parentDirectory(path))
    }
}
