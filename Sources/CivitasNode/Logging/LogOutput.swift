import Foundation
import Synchronization

/// Where log lines go: one whole line per write, never interleaved.
public final class LogOutput: Sendable {
    private let sink: Mutex<@Sendable (String) -> Void>

    /// Lines handed to `write` (tests capture them this way).
    public init(_ write: @escaping @Sendable (String) -> Void) { sink = Mutex(write) }

    /// Standard error, the default for a node.
    public static let standardError = LogOutput { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func write(_ line: String) { sink.withLock { $0(line) } }
}

/// Millisecond UTC timestamps in RFC 3339 form.
enum LogTime {
    static func now() -> String {
        let t = Date().timeIntervalSince1970
        let seconds = time_t(t.rounded(.down))
        let millis = Int((t - t.rounded(.down)) * 1_000)
        var parts = tm()
        var s = seconds
        gmtime_r(&s, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }
}
