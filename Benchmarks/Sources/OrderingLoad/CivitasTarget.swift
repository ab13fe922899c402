// A Civitas community through its validators' HTTP API:
// POST /v1/transactions?wait=committed, body = a signed Transaction's
// canonical bytes; 200 = committed, 202 = only accepted, 4xx/5xx = refused.
import CivitasCodec
import CivitasLedger
import Foundation
import NIOCore
import NIOPosix
import Synchronization

final class CivitasTarget: Target {
    let name = "civitas"
    let nodes: [(host: String, port: Int)]
    let signers: [SigningKey]
    let factory: TransactionFactory
    let group: MultiThreadedEventLoopGroup
    let timeout: TimeAmount
    /// Each signer's next nonce, carried from phase to phase (1, 2, 3, ...).
    let nextNonce: Mutex<[UInt64]>

    static let path = "/v1/transactions?wait=committed"

    init(nodeURLs: [String], signers: [SigningKey], factory: TransactionFactory, firstNonce: UInt64, timeout: TimeAmount) throws {
        nodes = try nodeURLs.map(Self.parse)
        guard !nodes.isEmpty else { throw LoadError.usage("civitas: --nodes needs at least one URL") }
        self.signers = signers
        self.factory = factory
        self.timeout = timeout
        nextNonce = Mutex(Array(repeating: firstNonce, count: signers.count))
        group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
    }

    /// "http://host:port" (a trailing slash is allowed; https is not supported).
    static func parse(_ url: String) throws -> (host: String, port: Int) {
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else { throw LoadError.usage("civitas: node URL '\(url)' must start with http://") }
        rest = rest.dropFirst(7)
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), port > 0, port < 65536 else {
            throw LoadError.usage("civitas: node URL '\(url)' needs an explicit port (http://127.0.0.1:28081)")
        }
        return (String(rest[..<colon]), port)
    }

    func routing(lanes: Int) -> String {
        "HTTP/1.1 keep-alive, POST \(Self.path), \(min(lanes, nodes.count)) of \(nodes.count) validators round robin by connection, \(lanes) connections"
    }

    /// Pre-signs the phase's transactions before it starts. Lane w owns the
    /// signers s with s mod lanes == w and sends their transactions in nonce
    /// order, one at a time, so no signer's nonces can overtake each other.
    func makeLanes(count: Int, budget: Int) async throws -> [any Lane] {
        guard signers.count >= count else {
            throw LoadError.usage("civitas: \(count) lanes need at least \(count) signers (each lane owns its signers so nonces stay in order); pass --signers \(count) or more")
        }
        let perLane = (budget + count - 1) / count + 1
        let signers = self.signers, factory = self.factory
        // Plan: per lane, round robin over its signers, nonces consecutive per signer.
        let plan: [[(signer: Int, nonce: UInt64)]] = nextNonce.withLock { next in
            (0..<count).map { w in
                let owned = Array(stride(from: w, to: signers.count, by: count))
                return (0..<perLane).map { k in
                    let s = owned[k % owned.count]
                    let n = next[s]
                    next[s] += 1
                    return (s, n)
                }
            }
        }
        let t0 = nowNanos()
        let bodies: [[[UInt8]]] = parallelMap(count) { w in
            plan[w].map { factory.transaction(signer: signers[$0.signer], nonce: $0.nonce).encoded() }
        }
        let signSeconds = Double(nowNanos() - t0) / 1e9
        print("civitas: pre-signed \(count * perLane) transactions for \(count) lanes in \(fmt(signSeconds, 1)) s")
        var lanes: [any Lane] = []
        for w in 0..<count {
            let node = nodes[w % nodes.count]
            let conn = try await HTTP1Connection.connect(host: node.host, port: node.port, group: group)
            lanes.append(CivitasLane(node: node, group: group, connection: conn, bodies: bodies[w], plan: plan[w], timeout: timeout))
        }
        return lanes
    }

    /// Closes the connections and hands back the nonces of transactions that
    /// were signed but never sent, so the next phase continues each signer's
    /// sequence without a gap (a transaction sent but failed keeps its nonce).
    func closeLanes(_ lanes: [any Lane]) async {
        var unsent: [Int: UInt64] = [:]
        for case let lane as CivitasLane in lanes {
            for (s, n) in await lane.close() { unsent[s] = min(unsent[s] ?? n, n) }
        }
        nextNonce.withLock { next in
            for (s, n) in unsent { next[s] = n }
        }
    }

    func shutdown() async {
        try? await group.shutdownGracefully()
    }
}

final class CivitasLane: Lane {
    let node: (host: String, port: Int)
    let group: MultiThreadedEventLoopGroup
    let timeout: TimeAmount
    let bodies: [[UInt8]]
    let plan: [(signer: Int, nonce: UInt64)]
    /// The connection (replaced after a failure) and the next body to send.
    /// Only one worker uses a lane at a time; the lock keeps Swift's checker honest.
    let state: Mutex<(connection: HTTP1Connection?, next: Int)>

    init(node: (host: String, port: Int), group: MultiThreadedEventLoopGroup, connection: HTTP1Connection, bodies: [[UInt8]], plan: [(signer: Int, nonce: UInt64)], timeout: TimeAmount) {
        self.node = node
        self.plan = plan
        self.group = group
        self.bodies = bodies
        self.timeout = timeout
        state = Mutex((connection, 0))
    }

    func send() async -> Outcome {
        let (conn, index): (HTTP1Connection?, Int) = state.withLock { s in
            let i = s.next
            if i < bodies.count { s.next += 1 }
            return (s.connection, i)
        }
        guard index < bodies.count else { return .exhausted }
        let connection: HTTP1Connection
        if let conn, conn.isActive {
            connection = conn
        } else {
            do {
                connection = try await HTTP1Connection.connect(host: node.host, port: node.port, group: group)
                state.withLock { $0.connection = connection }
            } catch {
                return .failed("connect \(node.host):\(node.port): \(error)")
            }
        }
        do {
            let reply = try await connection.post(CivitasTarget.path, body: bodies[index], contentType: "application/octet-stream", timeout: timeout)
            if !reply.keepAlive {
                // Reconnect before the next request rather than lose it to the close.
                state.withLock { $0.connection = nil }
                await connection.close()
            }
            switch reply.status {
            case 200: return .ok
            case 202: return .failed("HTTP 202: accepted, not committed before the node answered")
            default: return .failed("HTTP \(reply.status): \(Self.errorText(reply.body))")
            }
        } catch {
            state.withLock { $0.connection = nil }
            await connection.close()
            return .failed("\(error)")
        }
    }

    /// The "error" member of a JSON error body, or the start of the body.
    static func errorText(_ body: String) -> String {
        if let data = body.data(using: .utf8),
           let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let e = obj["error"] as? String {
            return e
        }
        return String(body.prefix(120))
    }

    /// Closes the connection; returns the (signer, nonce) of every transaction never sent.
    func close() async -> [(signer: Int, nonce: UInt64)] {
        let (c, next) = state.withLock { s -> (HTTP1Connection?, Int) in
            let c = s.connection
            s.connection = nil
            return (c, s.next)
        }
        await c?.close()
        return Array(plan[next...])
    }
}
