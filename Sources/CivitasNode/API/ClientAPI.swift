public import Hummingbird
import CivitasCodec
import CivitasLedger
import CivitasNodeCore
import CivitasStorage
import Foundation

/// The client API (`/v1/…`): submit transactions and query the state; the
/// community board at `/` (Board/) and Open311's read endpoints (Open311/).
/// Built over any `NodeService`, so tests serve it from a fixed chain.
public enum ClientAPI {
    /// Limits of the client API.
    public struct Settings: Sendable {
        /// The largest request body read (a transaction, as bytes or as JSON hex).
        public var maxBodyBytes: Int = 256 << 10
        /// The longest `wait=committed` a request may ask for.
        public var maxWait: Duration = .seconds(30)
        /// The wait when `timeout_ms` is not given.
        public var defaultWait: Duration = .seconds(10)
        /// The community board's limits (event streams).
        public var board = Board.Settings()
        public init() {}
    }

    public static func router(service: any NodeService, metrics: NodeMetrics? = nil,
                              settings: Settings = Settings()) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIErrorMiddleware(metrics: metrics))
        router.post("/v1/transactions") { request, context in
            try await submit(request, context, service: service, metrics: metrics, settings: settings)
        }
        router.get("/v1/transactions/:id") { request, context in
            try await transactionStatus(Parameters(request: request, context: context), service: service)
        }
        addQueries(to: router, service: service)
        Board.addRoutes(to: router, service: service, settings: settings.board)
        Open311.addRoutes(to: router, service: service)
        return router
    }

    // MARK: Submission

    static func submit(_ request: Request, _ context: BasicRequestContext, service: any NodeService, metrics: NodeMetrics?,
                       settings: Settings) async throws -> Response {
        let p = Parameters(request: request, context: context)
        let transaction: Transaction
        let wait: Duration?
        do {
            try p.allowQuery(["wait", "timeout_ms"])
            wait = try waitDuration(p, settings: settings)
            transaction = try await decodeTransaction(request, maxBytes: settings.maxBodyBytes)
        } catch {
            metrics?.transactionSubmitted(outcome: "malformed")
            throw error
        }
        let outcome = await service.submit(transaction, waitForCommit: wait)
        let (status, body, label) = answer(outcome)
        metrics?.transactionSubmitted(outcome: label)
        var response = JSONBody.response(body, status: status)
        // A node that cannot take it now (behind the chain, mempool full, stopping) says when to try again.
        if status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
        return response
    }

    static func waitDuration(_ p: Parameters, settings: Settings) throws(APIError) -> Duration? {
        let timeout = p.query("timeout_ms")
        guard let wait = p.query("wait") else {
            if timeout != nil { throw .badRequest("timeout_ms needs wait=committed") }
            return nil
        }
        guard wait == "committed" else { throw .badRequest("wait '\(Parameters.clip(wait))' is not 'committed'") }
        guard let timeout else { return settings.defaultWait }
        let maxMillis = Int(settings.maxWait.components.seconds * 1_000)
        guard let ms = Int(timeout), (1...maxMillis).contains(ms) else {
            throw .badRequest("timeout_ms '\(Parameters.clip(timeout))' is not a number from 1 to \(maxMillis)")
        }
        return .milliseconds(ms)
    }

    /// Reads the body (bounded) and decodes it: canonical bytes, or `{"transaction": "<hex>"}` in UTF-8.
    static func decodeTransaction(_ request: Request, maxBytes: Int) async throws -> Transaction {
        let type = try RequestBody.mediaType(request, accepting: ["application/octet-stream", "application/json"])
        var bytes = try await RequestBody.read(request, maxBytes: maxBytes)
        guard !bytes.isEmpty else { throw APIError.badRequest("the body is empty: send a signed transaction") }
        if type == "application/json" {
            struct Envelope: Decodable { let transaction: String }
            let envelope = try RequestBody.json(Envelope.self, from: bytes, shape: "{\"transaction\": \"<hex>\"}")
            guard let decoded = Hex.decode(envelope.transaction) else {
                throw APIError.badRequest("transaction is not hex (an even number of 0-9, a-f digits)")
            }
            bytes = decoded
        }
        do {
            return try Transaction(encoded: bytes)
        } catch {
            throw APIError.badRequest("not a transaction: \(error)")
        }
    }

    static func answer(_ outcome: SubmitOutcome) -> (HTTPResponse.Status, SubmitBody, String) {
        switch outcome {
        case let .accepted(id):
            return (.accepted, SubmitBody(status: "accepted", id: id.hex), "accepted")
        case let .alreadyKnown(id):
            return (.accepted, SubmitBody(status: "alreadyKnown", id: id.hex), "already_known")
        case let .pending(id):
            return (.accepted, SubmitBody(status: "pending", id: id.hex), "pending")
        case let .committed(id, height, index, applied, reason):
            return (.ok, SubmitBody(status: "committed", id: id.hex, height: height, index: index, applied: applied, reason: reason),
                    "committed")
        case let .rejected(id, reason, replay):
            return (replay ? .conflict : .unprocessableContent, SubmitBody(status: "rejected", id: id?.hex, reason: reason),
                    replay ? "replay" : "rejected")
        case let .unavailable(reason):
            return (.serviceUnavailable, SubmitBody(status: "unavailable", reason: reason), "unavailable")
        }
    }

    // MARK: Status

    static func transactionStatus(_ p: Parameters, service: any NodeService) async throws -> Response {
        try p.allowQuery([])
        let id = try p.hash("id")
        switch await service.transactionStatus(id) {
        case .unknown:
            throw APIError.notFound("transaction \(id.hex) is neither pending nor in a block here")
        case .pending:
            return JSONBody.response(TransactionStatusBody(id: id.hex, status: "pending"))
        case let .committed(height, index, applied, reason, blockHash, root, proof):
            let record = try service.state.transactions(id: id).first { $0.height == height && $0.index == Int(index) }
            return JSONBody.response(TransactionStatusBody(
                id: id.hex, status: "committed", height: height, index: index, applied: applied, reason: reason,
                blockHash: blockHash.hex, kind: record?.kind.description, signer: record?.signer.raw.hex, nonce: record?.nonce,
                proof: ProofBody(leafIndex: proof.leafIndex, treeSize: proof.treeSize, path: proof.path.map(\.hex), root: root.hex)))
        }
    }
}
