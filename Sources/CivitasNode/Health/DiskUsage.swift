import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data directory's disk figures for `NodeStatusReport.Disk`.
public enum DiskUsage {
    /// Free and total bytes of the file system holding `path` (statvfs); nil if it cannot be read.
    public static func fileSystem(of path: String) -> (free: UInt64, total: UInt64)? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        let block = UInt64(s.f_frsize)
        return (UInt64(s.f_bavail) * block, UInt64(s.f_blocks) * block)
    }

    /// Bytes held by regular files under `directory` (not following links).
    public static func used(by directory: String) -> UInt64 {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total: UInt64 = 0
        while let name = walker.nextObject() as? String {
            var st = stat()
            if lstat(directory + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { total += UInt64(st.st_size) }
        }
        return total
    }

    /// The report section for `directory`.
    public static func report(for directory: String) -> NodeStatusReport.Disk {
        let fs = fileSystem(of: directory) ?? (0, 0)
        return NodeStatusReport.Disk(dataDirectory: directory, usedBytes: used(by: directory), freeBytes: fs.free, totalBytes: fs.total)
    }
}
