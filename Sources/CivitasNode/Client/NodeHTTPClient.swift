public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small HTTP client for the node's APIs (used by `civitas status`, `tx` and `query`).
public struct NodeHTTPClient: Sendable {
    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        /// The `error` field of a JSON error body, else the body as text.
        public var reason: String {
            if let e = try? JSONDecoder().decode(ErrorBody.self, from: body) { return e.error }
            return String(decoding: body.prefix(500), as: UTF8.self)
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let base: URL
    public let timeout: TimeInterval

    /// `base` like `http://127.0.0.1:8080`; nil if it is not an http(s) URL.
    public init?(base: String, timeout: TimeInterval = 10) {
        guard let url = URL(string: base), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            return nil
        }
        self.base = url
        self.timeout = timeout
    }

    public func get(_ path: String) async throws(Failure) -> Answer {
        try await send(path, method: "GET", body: nil, contentType: nil)
    }

    public func post(_ path: String, body: Data, contentType: String) async throws(Failure) -> Answer {
        try await send(path, method: "POST", body: body, contentType: contentType)
    }

    func send(_ path: String, method: String, body: Data?, contentType: String?) async throws(Failure) -> Answer {
        guard let url = URL(string: base.absoluteString.trimmingSuffix("/") + path) else {
            throw Failure(description: "bad request path \(path)")
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let result: Result<Answer, Failure> = await withCheckedContinuation { continuation in
            session.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(returning: .failure(Failure(description: "\(url.absoluteString): \(error.localizedDescription)")))
                } else if let http = response as? HTTPURLResponse {
                    continuation.resume(returning: .success(Answer(status: http.statusCode, body: data ?? Data())))
                } else {
                    continuation.resume(returning: .failure(Failure(description: "\(url.absoluteString): no HTTP answer")))
                }
            }.resume()
        }
        return try result.get()
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
