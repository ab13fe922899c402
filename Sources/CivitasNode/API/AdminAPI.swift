public import Hummingbird

/// The admin API (localhost by default): `/status`, `/healthz`, `/readyz`, `/metrics`.
public enum AdminAPI {
    /// `/readyz`'s answer.
    public struct Readiness: Codable, Sendable, Equatable {
        public var ready: Bool
        public var reasons: [String]
        public init(ready: Bool, reasons: [String]) {
            self.ready = ready
            self.reasons = reasons
        }
    }

    public static func router(service: any NodeService, metrics: NodeMetrics) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIErrorMiddleware(metrics: metrics))
        router.get("/status") { request, context in
            try Parameters(request: request, context: context).allowQuery([])
            return JSONBody.response(await service.status())
        }
        router.get("/healthz") { _, _ in
            JSONBody.response(["status": "serving"])
        }
        router.get("/readyz") { _, _ in
            let health = await service.status().health
            let ready = health.level == .healthy
            return JSONBody.response(Readiness(ready: ready, reasons: health.reasons), status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            metrics.update(from: await service.status())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        return router
    }
}
