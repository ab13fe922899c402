import CivitasNode
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// docs/openapi.yaml and the routers agree: every documented path is served,
/// and every served path is documented.
@Suite struct OpenAPIDocumentTests {
    static let documentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml").path

    /// The routes the code registers (Hummingbird's `:name` written as OpenAPI's `{name}`).
    static let served: Set<String> = [
        "/v1/transactions", "/v1/transactions/{id}", "/v1/subjects/{subject}", "/v1/notices", "/v1/notices/{id}", "/v1/proposals",
        "/v1/proposals/{id}", "/v1/service-requests", "/v1/service-requests/{id}", "/v1/providers", "/v1/providers/{subject}",
        "/v1/volunteers", "/v1/volunteers/{subject}", "/v1/blocks/head", "/v1/blocks/{height}", "/v1/checkpoints", "/v1/referrals", "/v1/referrals/incoming",
        "/", "/board/{file}", "/v1/board/genesis", "/v1/board/subjects", "/v1/board/notices", "/v1/board/proposals",
        "/v1/board/service-requests", "/v1/board/providers", "/v1/board/volunteers", "/v1/board/blocks",
        "/v1/board/transactions/{id}", "/v1/board/events", "/v1/board/drafts", "/v1/board/rewards", "/v1/board/redemptions",
        "/v1/board/points",
        "/open311/v2/services.json", "/open311/v2/requests.json", "/open311/v2/requests/{file}",
        "/status", "/healthz", "/readyz", "/metrics",
    ]
    /// The admin API's routes; every other route is the client API's.
    static let admin: Set<String> = ["/status", "/healthz", "/readyz", "/metrics"]

    static func documentedPaths() throws -> Set<String> {
        let text = try String(contentsOfFile: documentPath, encoding: .utf8)
        var inPaths = false
        var paths: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { break }
            if inPaths, line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                paths.insert(String(line.dropFirst(2).dropLast()))
            }
        }
        return paths
    }

    @Test func documentListsExactlyTheServedRoutes() throws {
        #expect(try Self.documentedPaths() == Self.served)
    }

    @Test func everyDocumentedRouteIsServed() async throws {
        let chain = TestChain()
        let service = try FakeNodeService(chain: chain)
        let paths = try Self.documentedPaths()
        let subject = chain.subject("lifts").raw.hex
        @Sendable func concrete(_ path: String) -> String {
            path.replacingOccurrences(of: "{id}", with: chain.notice.hex).replacingOccurrences(of: "{subject}", with: subject)
                .replacingOccurrences(of: "{height}", with: "1")
                .replacingOccurrences(of: "/board/{file}", with: "/board/app.js")
                .replacingOccurrences(of: "{file}", with: chain.request.hex + ".json")
        }
        try await withClientAPI(service) { client in
            // The event stream never ends; BoardEventsTests reads it from a real server.
            for path in paths where !Self.admin.contains(path) && path != "/v1/board/events" {
                let method: HTTPRequest.Method = path == "/v1/transactions" ? .post : .get
                let r = try await client.execute(uri: concrete(path), method: method)
                #expect(!r.reason.hasPrefix("no such endpoint"), "\(path)")
            }
        }
        try await withAdminAPI(service) { client in
            for path in paths where Self.admin.contains(path) {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .ok, "\(path)")
            }
        }
    }
}
