public import Logging

/// Writes one JSON object per line: `{"time":…,"level":…,"label":…,"msg":…, metadata…}`.
public struct JSONLogHandler: LineLogHandler {
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
        var text = "{\"time\":\(Self.string(time)),\"level\":\(Self.string(level.rawValue))"
        text += ",\"label\":\(Self.string(label)),\"msg\":\(Self.string(message))"
        for key in all.keys.sorted() where !["time", "level", "label", "msg"].contains(key) {
            text += ",\(Self.string(key)):\(Self.value(all[key]!))"
        }
        return text + "}"
    }

    static func value(_ v: Logger.Metadata.Value) -> String {
        switch v {
        case let .string(s): return string(s)
        case let .stringConvertible(c): return string(c.description)
        case let .array(a): return "[" + a.map(value).joined(separator: ",") + "]"
        case let .dictionary(d): return "{" + d.keys.sorted().map { "\(string($0)):\(value(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259 escaping).
    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
