import CivitasNode
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore

/// Runs `body` against the client API of `service` in HummingbirdTesting's router mode.
func withClientAPI(_ service: FakeNodeService, metrics: NodeMetrics? = nil, settings: ClientAPI.Settings = ClientAPI.Settings(),
                   _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let app = Application(router: ClientAPI.router(service: service, metrics: metrics, settings: settings))
    try await app.test(.router) { client in try await body(client) }
}

func withAdminAPI(_ service: FakeNodeService, metrics: NodeMetrics = NodeMetrics(),
                  _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let app = Application(router: AdminAPI.router(service: service, metrics: metrics))
    try await app.test(.router) { client in try await body(client) }
}

extension TestResponse {
    var data: Data { Data(body.readableBytesView) }
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(type, from: data) }
    /// The `error` field of a JSON error answer ("" if there is none).
    var reason: String { (try? decode(ErrorBody.self).error) ?? "" }
}

extension ByteBuffer {
    init(bytes: [UInt8]) {
        self = ByteBufferAllocator().buffer(capacity: bytes.count)
        writeBytes(bytes)
    }
}

/// A scratch directory removed at the end of `body`.
func withScratchDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-node-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// A scratch directory removed at the end of `body` (async).
func withScratchDirectoryAsync<T>(_ body: (String) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-node-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url.path)
}
