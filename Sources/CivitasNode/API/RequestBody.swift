public import Hummingbird
import Foundation
import NIOCore

/// Reading request bodies the same way on every route: the media type and
/// its charset checked, the size bounded before and while reading, JSON
/// accepted only as UTF-8 (RFC 8259 §8.1).
public enum RequestBody {
    /// The request's media type, lower-cased, if it is one of `accepted`;
    /// a charset other than UTF-8 is refused (415).
    public static func mediaType(_ request: Request, accepting accepted: [String]) throws(APIError) -> String {
        let header = request.headers[.contentType] ?? ""
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let type = parts.first ?? ""
        guard accepted.contains(type) else {
            throw APIError(.unsupportedMediaType,
                           "content type '\(Parameters.clip(type))' is not \(accepted.joined(separator: " or "))")
        }
        for parameter in parts.dropFirst() where parameter.hasPrefix("charset=") {
            let charset = parameter.dropFirst("charset=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard charset == "utf-8" || charset == "utf8" else {
                throw APIError(.unsupportedMediaType, "charset '\(Parameters.clip(String(charset)))' is not utf-8")
            }
        }
        return type
    }

    /// The whole body, at most `maxBytes`: a larger announced `Content-Length`
    /// is refused before anything is read (413), as is a body that grows past it.
    public static func read(_ request: Request, maxBytes: Int) async throws -> [UInt8] {
        if let announced = request.headers[.contentLength], let length = Int(announced), length > maxBytes {
            throw APIError(.contentTooLarge, "the body is \(length) bytes, larger than \(maxBytes)")
        }
        do {
            let buffer = try await request.body.collect(upTo: maxBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "the body is larger than \(maxBytes) bytes")
        }
    }

    /// Decodes a JSON body that must be UTF-8: no byte-order mark, valid
    /// UTF-8, no control characters (UTF-16 and UTF-32 text has NUL bytes,
    /// which Foundation's decoder would otherwise take as another encoding).
    public static func json<T: Decodable>(_ type: T.Type, from bytes: [UInt8], shape: String) throws(APIError) -> T {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
            throw APIError.badRequest("the JSON body starts with a byte-order mark: send UTF-8 without one")
        }
        if let control = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) {
            throw APIError.badRequest("the JSON body is not UTF-8 text (a control byte at offset \(control); UTF-16 and UTF-32 are refused)")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw APIError.badRequest("the JSON body is not valid UTF-8")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw APIError.badRequest("the JSON body is not \(shape)")
        }
    }
}
