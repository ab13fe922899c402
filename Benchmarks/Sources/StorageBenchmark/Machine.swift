import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the figures were measured on: the machine, and the file system the
/// benchmark directory lives on (from /proc/self/mountinfo).
enum Machine {
    static func describe(directory: String) -> [String] {
        var lines: [String] = []
        let cpu = firstValue(in: "/proc/cpuinfo", key: "model name") ?? "unknown CPU"
        let memory = firstValue(in: "/proc/meminfo", key: "MemTotal").map { value -> String in
            let kb = Double(value.split(separator: " ").first.map(String.init) ?? "") ?? 0
            return String(format: "%.0f GiB RAM", kb / 1_048_576)
        } ?? "unknown RAM"
        let os = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { $0.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "unknown OS"
        var u = utsname()
        uname(&u)
        let kernel = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        lines.append("machine: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory), \(os), Linux \(kernel)")
        lines.append("load average at start: \(loadAverage()) (other work on the machine shares the cores and the disk)")
        lines.append("directory: \(directory)")
        lines.append("file system: \(fileSystem(of: directory))")
        return lines
    }

    /// The 1-, 5- and 15-minute load averages.
    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func firstValue(in file: String, key: String) -> String? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// "ext4 on /dev/vda, mounted at / (rw,relatime)" for the mount that holds `path`.
    static func fileSystem(of path: String) -> String {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return "unknown" }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var best: (mount: String, type: String, source: String, options: String)?
        for line in text.split(separator: "\n") {
            // id parent major:minor root mountpoint options [optional...] - type source superoptions
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 6, right.count >= 2 else { continue }
            let mount = String(left[4]).replacingOccurrences(of: "\\040", with: " ")
            let inside = mount == "/" || resolved == mount || resolved.hasPrefix(mount + "/")
            if inside && mount.count >= (best?.mount.count ?? -1) {
                best = (mount, String(right[0]), String(right[1]), String(left[5]))
            }
        }
        guard let best else { return "unknown" }
        return "\(best.type) on \(best.source), mounted at \(best.mount) (\(best.options))"
    }
}

/// Seconds on the monotonic clock.
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Drops the page cache of every file under `directory` (clean pages only;
/// everything there was fsynced), so the next read comes from the disk.
/// Per file, with posix_fadvise: the rest of the machine is not touched.
func dropCache(_ directory: String) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
    for name in names {
        let path = directory + "/" + name
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
        if isDirectory.boolValue { dropCache(path); continue }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { continue }
        fdatasync(fd)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(fd)
    }
}

/// Bytes under `directory`, recursively.
func diskBytes(_ directory: String) -> Int {
    guard let e = FileManager.default.enumerator(atPath: directory) else { return 0 }
    var total = 0
    while let name = e.nextObject() as? String {
        if let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name))?[.size] as? Int { total += size }
    }
    return total
}

func fmt(_ x: Double, _ decimals: Int = 0) -> String { String(format: "%.\(decimals)f", x) }

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
