public import Foundation
import CivitasCodec

/// Reading the specs in docs/*.md: their text, the named ```hex blocks (text
/// after `#` on a line is commentary), and the format those blocks are
/// written in — one reader for every suite that checks a spec's vectors.
public enum SpecDocument {
    /// The repository's file at `relativePath` (e.g. "docs/codec.md").
    public static func text(_ relativePath: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// Every ```hex NAME block of the file, by name.
    public static func hexBlocks(_ relativePath: String) throws -> [String: [UInt8]] {
        var blocks: [String: [UInt8]] = [:]
        var name: String? = nil
        var body = ""
        for line in try text(relativePath).split(separator: "\n", omittingEmptySubsequences: false) {
            if let n = name {
                if line.hasPrefix("```") {
                    let hex = body.split(separator: "\n").map { $0.split(separator: "#", omittingEmptySubsequences: false).first.map(String.init) ?? "" }
                    blocks[n] = Hex.decode(hex.joined().filter { !$0.isWhitespace })
                    name = nil
                } else {
                    body += line + "\n"
                }
            } else if line.hasPrefix("```hex ") {
                name = String(line.dropFirst("```hex ".count)).trimmingCharacters(in: .whitespaces)
                body = ""
            }
        }
        return blocks
    }

    /// `bytes` as a ```hex block named `name`, 32 bytes a line (what to paste into a doc).
    public static func format(_ name: String, _ bytes: [UInt8]) -> String {
        var lines = ["```hex \(name)"]
        var i = 0
        while i < bytes.count {
            lines.append(Hex.encode(bytes[i..<min(i + 32, bytes.count)]))
            i += 32
        }
        lines.append("```")
        return lines.joined(separator: "\n")
    }
}
