public import Logging

/// Writes `time=… level=… label=… msg="…" key=value …` lines (logfmt).
public struct LogfmtLogHandler: LineLogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    public let output: LogOutput

    public init(label: String, output: LogOutput = .standardError, level: Logger.Level = .info) {
        self.label = label
        self.output = output
        self.logLevel = level
    }

    public func line(time: String, level: Logger.Level, message: String, metadata all: Logger.Metadata) -> String {
        var text = "time=\(time) level=\(level.rawValue) label=\(Self.quote(label)) msg=\(Self.quote(message))"
        for key in all.keys.sorted() {
            text += " \(Self.key(key))=\(Self.quote(Self.flatten(all[key]!)))"
        }
        return text
    }

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case let .string(s): return s
        case let .stringConvertible(c): return c.description
        case let .array(a): return "[" + a.map(flatten).joined(separator: ",") + "]"
        case let .dictionary(d): return "{" + d.keys.sorted().map { "\($0):\(flatten(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// Keys keep only characters logfmt readers accept bare.
    static func key(_ k: String) -> String {
        let cleaned = String(k.map { $0.isLetter || $0.isNumber || "_-.".contains($0) ? $0 : "_" })
        return cleaned.isEmpty ? "_" : cleaned
    }

    /// Bare when safe, else double-quoted with `"`, `\` and control characters escaped.
    static func quote(_ s: String) -> String {
        let bare = !s.isEmpty && s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value != 0x7f }
        if bare { return s }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
