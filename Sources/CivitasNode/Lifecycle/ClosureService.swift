public import ServiceLifecycle

/// A `Service` made of a closure: runs `body` until it returns (it should
/// return soon after graceful shutdown begins; see `gracefulShutdown()`).
public struct ClosureService: Service {
    public let name: String
    let body: @Sendable () async throws -> Void

    public init(name: String, _ body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.body = body
    }

    public func run() async throws { try await body() }
}

extension ClosureService: CustomStringConvertible {
    public var description: String { name }
}
