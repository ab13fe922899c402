internal import Foundation

/// Finds PEM blocks in a text. Text around and between blocks is ignored (as OpenSSL
/// does), so a bundle may carry comments; a damaged block is an error, never skipped.
enum PEMText {
    /// The DER of every block labelled `label`; at least one, or `noPEMBlock`.
    static func blocks(in text: String, label: String, path: String) throws(IdentityError) -> [[UInt8]] {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        var result: [[UInt8]] = []
        var body: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if body == nil {
                if line == begin { body = "" }
                continue
            }
            if line == end {
                guard let der = Data(base64Encoded: body!), !der.isEmpty else {
                    throw .brokenPEM(path: path, label: label, reason: "block \(result.count + 1) is not valid base64")
                }
                result.append(Array(der))
                body = nil
            } else if line.hasPrefix("-----") {
                throw .brokenPEM(path: path, label: label, reason: "block \(result.count + 1) has no '\(end)' line")
            } else {
                body! += line
            }
        }
        if body != nil {
            throw .brokenPEM(path: path, label: label, reason: "block \(result.count + 1) has no '\(end)' line")
        }
        guard !result.isEmpty else { throw .noPEMBlock(path: path, expected: label) }
        return result
    }

    /// `der` as one PEM block with 64-character lines.
    static func wrap(_ der: [UInt8], label: String) -> String {
        let b64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(b64)\n-----END \(label)-----\n"
    }
}
