import CivitasCodec
import CivitasLedger
import Foundation

/// A public key given on the command line: 64 hex digits, or a PEM file
/// (a public key, or a private key whose public half is meant).
enum KeyReference {
    static func publicKey(_ text: String, what: String) throws -> PublicKey {
        if text.count == 64, let raw = Bytes32(hex: text) { return PublicKey(raw: raw) }
        guard FileManager.default.fileExists(atPath: text) else {
            throw ToolError("\(what) '\(text)' is neither 64 hex digits nor a key file")
        }
        return try CA.Issue.readLedgerKey(text)
    }

    /// A subject ID: 32 hex digits (optionally `sub_…`), or a key as above.
    static func subjectID(_ text: String, what: String) throws -> SubjectID {
        let bare = text.hasPrefix("sub_") ? String(text.dropFirst(4)) : text
        if bare.count == 32, let raw = Bytes16(hex: bare) { return SubjectID(raw: raw) }
        return try publicKey(text, what: what).subjectID
    }

    static func hash(_ text: String, what: String) throws -> Hash {
        guard text.count == 64, let h = Hash(hex: text) else { throw ToolError("\(what) '\(text)' is not a hash (64 hex digits)") }
        return h
    }

    /// Roles joined by '+' (or ','): `resident+ownersCommittee`.
    static func roles(_ text: String, what: String) throws -> RoleSet {
        var set = RoleSet()
        for name in text.split(whereSeparator: { $0 == "+" || $0 == "," }) {
            guard let role = Role(name: String(name)) else {
                throw ToolError("\(what): unknown role '\(name)' (one of \(Role.allCases.map(\.description).joined(separator: ", ")))")
            }
            set.insert(role)
        }
        guard !set.isEmpty else { throw ToolError("\(what): name at least one role") }
        return set
    }
}
