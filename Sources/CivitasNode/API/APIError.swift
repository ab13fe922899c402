public import Hummingbird
import CivitasStorage
import Foundation
import NIOHTTP1

/// A request the API refuses, with the one-line reason it returns as
/// `{"error": "…"}`.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var reason: String

    public init(_ status: HTTPResponse.Status, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public static func badRequest(_ reason: String) -> APIError { APIError(.badRequest, reason) }
    public static func notFound(_ reason: String) -> APIError { APIError(.notFound, reason) }

    public var description: String { "\(status.code) \(reason)" }

    var response: Response { JSONBody.response(ErrorBody(error: reason), status: status) }
}

/// The body of every error response.
public struct ErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public init(error: String) { self.error = error }
}

/// JSON encoding shared by both APIs: sorted keys, so answers are stable byte for byte.
enum JSONBody {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// `value` as JSON (a JSON error if it cannot be encoded).
    static func data(_ value: some Encodable) -> Data {
        do {
            return try encoder().encode(value)
        } catch {
            return Data("{\"error\":\"cannot encode the answer\"}".utf8)
        }
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = data(value)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error into a JSON error response and counts requests by route and status.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: NodeMetrics?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response
        } catch let error as HTTPError {
            let reason: String
            switch error.status {
            case .notFound: reason = "no such endpoint: \(request.method) \(request.uri.path)"
            case .methodNotAllowed: reason = "\(request.method) is not allowed on \(request.uri.path)"
            default: reason = error.body ?? error.status.reasonPhrase
            }
            response = APIError(error.status, reason).response
        } catch let error as HTTPParserError {
            // The request's body broke off malformed while a route read it.
            let (status, reason) = HTTPConnectionGuard.describe(error)
            response = APIError(status, reason).response
        } catch let error as StorageError {
            response = APIError(.serviceUnavailable, "the state database cannot answer: \(error)").response
        } catch {
            response = APIError(.internalServerError, "internal error: \(error)").response
        }
        metrics?.httpRequest(route: context.endpointPath ?? "unmatched", status: response.status.code)
        return response
    }
}
