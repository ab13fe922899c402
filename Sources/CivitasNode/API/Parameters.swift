import CivitasCodec
import CivitasLedger
import Hummingbird

/// Parsing and checking path and query parameters; every refusal is a 400 naming the parameter.
struct Parameters {
    let request: Request
    let context: BasicRequestContext

    /// Refuses query parameters the endpoint does not take.
    func allowQuery(_ names: Set<String>) throws(APIError) {
        for (key, _) in request.uri.queryParameters {
            let k = String(key)
            if !names.contains(k) {
                let allowed = names.isEmpty ? "none" : names.sorted().joined(separator: ", ")
                throw .badRequest("unknown query parameter '\(Self.clip(k))' (allowed: \(allowed))")
            }
        }
    }

    func path(_ name: String) throws(APIError) -> String {
        guard let value = context.parameters.get(name) else { throw .badRequest("missing path parameter '\(name)'") }
        return value
    }

    func query(_ name: String) -> String? { request.uri.queryParameters.get(name) }

    func hash(_ name: String) throws(APIError) -> Hash {
        let text = try path(name)
        guard text.count == 64, let h = Hash(hex: text) else {
            throw .badRequest("\(name) '\(Self.clip(text))' is not a hash (64 hex digits)")
        }
        return h
    }

    func height(_ name: String) throws(APIError) -> UInt64 {
        let text = try path(name)
        guard !text.isEmpty, text.count <= 20, text.allSatisfy({ $0.isASCII && $0.isNumber }), let h = UInt64(text) else {
            throw .badRequest("\(name) '\(Self.clip(text))' is not a block height (a decimal number)")
        }
        return h
    }

    /// A subject by its ID (32 hex digits, optionally `sub_…`) or public key (64 hex digits).
    func subject(_ name: String) throws(APIError) -> (id: SubjectID, key: PublicKey?) {
        try Self.subject(try path(name), name: name)
    }

    /// The query parameter `name` as a subject (as `subject(_:)` reads a path parameter).
    func subjectQuery(_ name: String) throws(APIError) -> (id: SubjectID, key: PublicKey?) {
        guard let text = query(name) else { throw .badRequest("missing query parameter '\(name)'") }
        return try Self.subject(text, name: name)
    }

    static func subject(_ given: String, name: String) throws(APIError) -> (id: SubjectID, key: PublicKey?) {
        var text = given
        if text.hasPrefix("sub_") { text.removeFirst(4) }
        if text.count == 32, let raw = Bytes16(hex: text) { return (SubjectID(raw: raw), nil) }
        if text.count == 64, let raw = Bytes32(hex: text) {
            let key = PublicKey(raw: raw)
            return (key.subjectID, key)
        }
        throw .badRequest("\(name) '\(Self.clip(text))' is neither a subject ID (32 hex digits) nor a public key (64 hex digits)")
    }

    func limit(default value: Int, max: Int) throws(APIError) -> Int {
        guard let text = query("limit") else { return value }
        guard let n = Int(text), (1...max).contains(n) else {
            throw .badRequest("limit '\(Self.clip(text))' is not a number from 1 to \(max)")
        }
        return n
    }

    func choice<T>(_ name: String, from options: [(String, T)]) throws(APIError) -> T? {
        guard let text = query(name) else { return nil }
        guard let match = options.first(where: { $0.0 == text }) else {
            throw .badRequest("\(name) '\(Self.clip(text))' is not one of \(options.map(\.0).joined(separator: ", "))")
        }
        return match.1
    }

    /// Echoed input is cut short so an error never repeats a huge parameter.
    static func clip(_ s: String) -> String { s.count <= 80 ? s : String(s.prefix(80)) + "…" }
}
