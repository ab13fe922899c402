internal import Foundation
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Reading and writing identity files. Writes are atomic (a temporary file, fsync,
/// rename), so a node reloading its certificates never sees half a file, and private
/// keys are created with mode 0600 from the first byte.
public enum IdentityFiles {
    /// Mode of private keys.
    public static let privateMode = 0o600
    /// Mode of certificates, bundles and lists.
    public static let publicMode = 0o644

    /// The file's text; refuses files that are not UTF-8 text or larger than 4 MiB.
    public static func readText(_ path: String) throws(IdentityError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadableFile(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .unreadableFile(path: path, reason: "it is a directory, not a file") }
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? NSNumber, size.intValue > 4 << 20 {
                throw IdentityError.unreadableFile(path: path, reason: "larger than 4 MiB; not an identity file")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as IdentityError {
            throw error
        } catch {
            throw .unreadableFile(path: path, reason: Self.reason(error))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadableFile(path: path, reason: "not UTF-8 text (a DER file? convert it with `openssl x509 -inform der`)")
        }
        return text
    }

    /// Writes `text` to `path` atomically with `mode`; with `replace == false` an existing file is an error.
    public static func write(_ text: String, to path: String, mode: Int, replace: Bool) throws(IdentityError) {
        if !replace && FileManager.default.fileExists(atPath: path) { throw .alreadyExists(path: path) }
        let temp = path + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, mode_t(mode))
        guard fd >= 0 else { throw .unwritableFile(path: path, reason: String(cString: strerror(errno))) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd); unlink(temp)
                throw .unwritableFile(path: path, reason: reason)
            }
            written += n
        }
        // The mode given to open() is masked by the umask; set it exactly.
        guard fchmod(fd, mode_t(mode)) == 0, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd); unlink(temp)
            throw .unwritableFile(path: path, reason: reason)
        }
        close(fd)
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw .unwritableFile(path: path, reason: reason)
        }
    }

    /// Creates `path` (and parents) as a directory with mode 0700 if it is absent.
    public static func makeDirectory(_ path: String) throws(IdentityError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .unwritableFile(path: path, reason: Self.reason(error))
        }
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSCocoaErrorDomain && ns.code == NSFileReadNoSuchFileError { return "no such file" }
        return ns.localizedDescription
    }
}

// At file scope `write` is the C function, not `IdentityFiles.write`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
