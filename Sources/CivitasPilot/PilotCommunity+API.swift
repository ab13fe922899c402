public import CivitasLedger
public import CivitasNode
import Foundation

/// Talking to the nodes over their HTTP APIs; answers are read as the API's own types.
extension PilotCommunity {
    /// Node `i`'s `/status`, or nil if it does not answer.
    public func status(_ i: Int) async -> NodeStatusReport? {
        guard let client = NodeHTTPClient(base: nodes[i].adminURL, timeout: 5),
              let answer = try? await client.get("/status"), answer.status == 200 else { return nil }
        return try? JSONDecoder().decode(NodeStatusReport.self, from: answer.body)
    }

    /// Waits until every running node answers `/readyz` with 200 and sees a leader.
    public func waitUntilReady(timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        var waiting: [String] = []
        while ContinuousClock.now < deadline {
            waiting = []
            for i in nodes.indices where isRunning(i) {
                guard let client = NodeHTTPClient(base: nodes[i].adminURL, timeout: 2) else { continue }
                do {
                    let answer = try await client.get("/readyz")
                    if answer.status != 200 { waiting.append("\(nodes[i].name): \(answer.reason)") }
                } catch {
                    waiting.append("\(nodes[i].name): \(error)")
                }
            }
            if waiting.isEmpty { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw PilotFailure("the community was not ready within \(timeout): \(waiting.joined(separator: "; ")); logs in \(root)/*/node.log")
    }

    /// Waits until every running node reports the same height ≥ `height` and the same head.
    public func waitForAgreement(atLeast height: UInt64 = 0, timeout: Duration = .seconds(60)) async throws -> NodeStatusReport.Chain {
        let deadline = ContinuousClock.now + timeout
        var last: [NodeStatusReport.Chain] = []
        while ContinuousClock.now < deadline {
            last = []
            let running = nodes.indices.filter(isRunning)
            for i in running {
                if let s = await status(i) { last.append(s.chain) }
            }
            if last.count == running.count, let first = last.first, first.height >= height,
               last.allSatisfy({ $0.height == first.height && $0.headHash == first.headHash }) {
                return first
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw PilotFailure("nodes did not agree on one head at height ≥ \(height): \(last.map { "\($0.height)/\($0.headHash.prefix(8))" })")
    }

    /// Signs `payload` as `member` with its next nonce and submits it to node `i`, waiting for the commit.
    public func submit(_ payload: TransactionPayload, as member: String, to i: Int, wait: Bool = true,
                       nonce explicit: UInt64? = nil) async throws -> PilotSubmission {
        let key = try key(member)
        let nonce = explicit ?? nextNonce(member)
        let tx = UnsignedTransaction(community: community, signer: key.publicKey, nonce: nonce,
                                     time: Timestamp(Date().timeIntervalSince1970 * 1000), payload: payload).signed(with: key)
        let submission = try await submit(tx, to: i, wait: wait)
        if explicit == nil, submission.status < 300 { state.withLock { $0.nonces[member] = max($0.nonces[member, default: 0], nonce) } }
        return submission
    }

    /// Submits `tx` to node `i`, waiting for its commit unless `wait` is false.
    public func submit(_ tx: Transaction, to i: Int, wait: Bool = true) async throws -> PilotSubmission {
        guard let client = NodeHTTPClient(base: nodes[i].clientURL, timeout: 30) else { throw PilotFailure("bad URL \(nodes[i].clientURL)") }
        let path = wait ? "/v1/transactions?wait=committed&timeout_ms=20000" : "/v1/transactions"
        let answer = try await client.post(path, body: Data(tx.encoded()), contentType: "application/octet-stream")
        return PilotSubmission(transaction: tx, answer: answer)
    }

    /// The items of a list route of node `i`'s client API (`{"items": […]}`).
    public func list<Item: Decodable>(_ path: String, at i: Int = 0) async throws -> [Item] {
        guard let client = NodeHTTPClient(base: nodes[i].clientURL) else { throw PilotFailure("bad URL \(nodes[i].clientURL)") }
        let answer = try await client.get(path)
        guard answer.status == 200 else { throw PilotFailure("\(nodes[i].name): HTTP \(answer.status) for \(path): \(answer.reason)") }
        return try JSONDecoder().decode(PilotListBody<Item>.self, from: answer.body).items
    }

    /// The checkpoints of `other`'s chain node `i`'s chain recorded (received, not its own).
    public func anchored(_ other: CommunityID, at i: Int = 0) async throws -> [CheckpointBody] {
        let items: [CheckpointBody] = try await list("/v1/checkpoints?community=\(other.name)", at: i)
        return items.filter { $0.source == "received" }
    }

    /// The referrals this community made, and its neighbours' referrals to it, as node `i` serves them.
    public func referrals(at i: Int = 0) async throws -> [ReferralBody] { try await list("/v1/referrals", at: i) }
    public func incomingReferrals(at i: Int = 0) async throws -> [IncomingReferralBody] { try await list("/v1/referrals/incoming", at: i) }

    /// Where node `i` has transaction `id`: nil if it knows nothing of it.
    public func transactionStatus(_ id: Hash, at i: Int) async throws -> TransactionStatusBody? {
        guard let client = NodeHTTPClient(base: nodes[i].clientURL) else { throw PilotFailure("bad URL \(nodes[i].clientURL)") }
        let answer = try await client.get("/v1/transactions/\(id.hex)")
        if answer.status == 404 { return nil }
        guard answer.status == 200 else { throw PilotFailure("\(nodes[i].name): HTTP \(answer.status) for \(id.hex): \(answer.reason)") }
        return try JSONDecoder().decode(TransactionStatusBody.self, from: answer.body)
    }

    /// The next nonce this pilot would use for `member` (after submissions it made).
    public func nextNonce(_ member: String) -> UInt64 { state.withLock { $0.nonces[member, default: 0] } + 1 }
}

/// A list answer of the client API, as the pilot reads it.
struct PilotListBody<Item: Decodable>: Decodable {
    var items: [Item]
}
