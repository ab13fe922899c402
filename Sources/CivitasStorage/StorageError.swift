/// Everything that can go wrong below the node, each with the file and, where
/// it applies, the byte offset — an operator must be able to find the problem.
public enum StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call failed. `errno` is the raw error number.
    case io(path: String, operation: String, errno: Int32)
    /// The device is full (ENOSPC or EDQUOT). Nothing was acknowledged that is
    /// not durable; the store refuses further writes until it is reopened.
    case diskFull(path: String)
    /// Bytes that were acknowledged as durable do not check out.
    case corrupt(path: String, offset: Int, reason: String)
    /// A file's content is well-formed but inconsistent with its neighbours
    /// (a gap between segments, a height out of order, an unknown version).
    case inconsistent(path: String, reason: String)
    /// The store refused a write after an earlier failure, to avoid corrupting
    /// anything; reopen it (after freeing space) to continue.
    case failed(path: String, cause: String)
    /// The caller asked for something the store does not hold.
    case notFound(String)
    /// The caller broke the store's contract (for example, a height out of order).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .io(path, operation, errno):
            return "\(operation) \(path): \(Self.describe(errno: errno)) (errno \(errno))"
        case let .diskFull(path):
            return "disk full writing \(path); nothing unacknowledged was kept, and writes are refused until space is freed and the store reopened"
        case let .corrupt(path, offset, reason):
            return "corrupt data in \(path) at offset \(offset): \(reason)"
        case let .inconsistent(path, reason):
            return "inconsistent data in \(path): \(reason)"
        case let .failed(path, cause):
            return "\(path) refuses writes after an earlier failure (\(cause)); reopen it to recover"
        case let .notFound(what):
            return "not found: \(what)"
        case let .invalidArgument(why):
            return "invalid argument: \(why)"
        }
    }

    static func describe(errno: Int32) -> String {
        switch errno {
        case 2: return "no such file or directory"
        case 5: return "input/output error"
        case 13: return "permission denied"
        case 17: return "file exists"
        case 20: return "not a directory"
        case 21: return "is a directory"
        case 24: return "too many open files"
        case 28: return "no space left on device"
        case 30: return "read-only file system"
        case 122: return "disk quota exceeded"
        default: return "system error"
        }
    }

    /// True for the errors that mean the device has no room left.
    public var isDiskFull: Bool {
        if case .diskFull = self { return true }
        return false
    }
}
