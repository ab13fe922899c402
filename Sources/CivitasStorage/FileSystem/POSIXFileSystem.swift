#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real disk, through POSIX calls: `pread`/`pwrite` at explicit offsets,
/// `fsync` for files and directories. Every failure names the path, the
/// operation and errno; ENOSPC and EDQUOT become `StorageError.diskFull`.
public final class POSIXFileSystem: FileSystem, @unchecked Sendable {
    public init() {}

    public func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        var flags = O_RDWR | O_CLOEXEC
        if create { flags |= O_CREAT }
        let fd = retryingEINTR { Glibc.open(path, flags, 0o644) }
        guard fd >= 0 else { throw Self.error(path: path, operation: "open") }
        return POSIXFile(path: path, descriptor: fd)
    }

    public func list(_ directory: String) throws(StorageError) -> [String] {
        guard let dir = opendir(directory) else { throw Self.error(path: directory, operation: "opendir") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public func createDirectory(_ path: String) throws(StorageError) {
        if exists(path) { return }
        let parent = parentDirectory(path)
        if parent != path && parent != "." && parent != "/" && !exists(parent) {
            try createDirectory(parent)
        }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw Self.error(path: path, operation: "mkdir")
        }
        try syncDirectory(parent)
    }

    public func remove(_ path: String) throws(StorageError) {
        if unlink(path) != 0 { throw Self.error(path: path, operation: "unlink") }
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        if Glibc.rename(from, to) != 0 { throw Self.error(path: from, operation: "rename to \(to)") }
    }

    public func syncDirectory(_ directory: String) throws(StorageError) {
        let fd = retryingEINTR { Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw Self.error(path: directory, operation: "open directory") }
        defer { _ = Glibc.close(fd) }
        if retryingEINTR({ fsync(fd) }) != 0 { throw Self.error(path: directory, operation: "fsync directory") }
    }

    /// Maps the current errno to a `StorageError`.
    static func error(path: String, operation: String) -> StorageError {
        let code = errno
        if code == ENOSPC || code == EDQUOT { return .diskFull(path: path) }
        return .io(path: path, operation: operation, errno: code)
    }
}

@inline(__always)
func retryingEINTR(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// An open file descriptor. Not thread-safe for concurrent writers; the WAL
/// and block store each have exactly one writer.
public final class POSIXFile: StorageFile, @unchecked Sendable {
    public let path: String
    private var descriptor: Int32

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close() }

    public func size() throws(StorageError) -> Int {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw POSIXFileSystem.error(path: path, operation: "fstat") }
        return Int(st.st_size)
    }

    public func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        precondition(offset >= 0 && count >= 0)
        if count == 0 { return [] }
        var result = [UInt8](repeating: 0, count: count)
        var done = 0
        let failed = result.withUnsafeMutableBytes { buffer -> Bool in
            while done < count {
                let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                if n == 0 { break }
                done += n
            }
            return false
        }
        if failed { throw POSIXFileSystem.error(path: path, operation: "pread at \(offset + done)") }
        if done < count { result.removeLast(count - done) }
        return result
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXFileSystem.error(path: path, operation: "pwrite at \(offset + done)")
            }
            done += n
        }
    }

    public func sync() throws(StorageError) {
        if retryingEINTR({ fsync(descriptor) }) != 0 { throw POSIXFileSystem.error(path: path, operation: "fsync") }
    }

    public func syncData() throws(StorageError) {
        if retryingEINTR({ fdatasync(descriptor) }) != 0 { throw POSIXFileSystem.error(path: path, operation: "fdatasync") }
    }

    public func truncate(to size: Int) throws(StorageError) {
        if retryingEINTR({ ftruncate(descriptor, off_t(size)) }) != 0 {
            throw POSIXFileSystem.error(path: path, operation: "ftruncate to \(size)")
        }
    }

    public func close() {
        if descriptor >= 0 {
            _ = Glibc.close(descriptor)
            descriptor = -1
        }
    }
}
