import CivitasLedger
import CivitasNode
import CivitasPilot
import CivitasTestSupport
import Foundation
import Synchronization
import Testing

/// Real processes over TLS: a pilot community of `civitas node run`
/// processes on loopback, set up by the CLI, driven over HTTP.
@Suite(.serialized) struct PilotProcessTests {
    /// A fresh community in a temporary directory, on ports of its own.
    static func pilot(_ name: String, offset: Int, apiSettings: [String: Int] = [:]) throws -> PilotCommunity {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-pilot-\(name)-\(UUID().uuidString.prefix(8))").path
        // Below Linux's ephemeral range (32768 and up), so outgoing connections never hold them:
        // a base of at most 30,000, and offsets 0...6 taking seven spans (2,100 ports) above it.
        let base = 20_000 + Int(getpid() % 11) * 1_000 + offset * PilotNode.portSpan
        guard base + PilotNode.portSpan <= 32_768 else {
            throw TestFailure("offset \(offset) puts the pilot's ports (\(base)...) in the ephemeral range")
        }
        return PilotCommunity(root: root, binary: try CivitasBinary.locate(), basePort: base, apiSettings: apiSettings)
    }

    static func notice(_ i: Int) -> TransactionPayload {
        .notice(Notice(category: .general, title: "Notice \(i)", body: "Body of notice \(i)."))
    }

    /// The queryable state, as every node serves it.
    static func stateView(_ p: PilotCommunity, _ i: Int) async throws -> String {
        guard let client = NodeHTTPClient(base: p.nodes[i].clientURL) else { throw TestFailure("bad URL") }
        var parts: [String] = []
        // Not /v1/blocks: a block's certificate holds whichever majority of votes reached that node first.
        for path in ["/v1/notices?limit=500", "/v1/providers", "/v1/volunteers", "/v1/proposals",
                     "/v1/service-requests?limit=500"] {
            let answer = try await client.get(path)
            parts.append("\(path) \(answer.status) " + String(decoding: answer.body, as: UTF8.self))
        }
        return parts.joined(separator: "\n")
    }

    @Test func aTransactionSubmittedThroughAnObserverIsCommittedAndEveryNodeAgrees() async throws {
        let p = try Self.pilot("agree", offset: 0)
        try p.setUp()
        try p.startAll()
        defer { p.killAll() }
        try await p.waitUntilReady()
        var committed: [PilotSubmission] = []
        for i in 0..<12 {
            let s = try await p.submit(Self.notice(i), as: i % 2 == 0 ? "committee" : "owners", to: 3 + i % 2)
            #expect(s.applied, "\(s)")
            committed.append(s)
        }
        let request = try await p.submit(.serviceRequest(ServiceRequest(serviceCode: "repair", description: "Door", location: "Bldg 1")),
                                         as: "wang", to: 4)
        #expect(request.applied)
        let chain = try await p.waitForAgreement(atLeast: 1)
        #expect(chain.height >= 1)
        let views = try await p.nodes.indices.asyncMap { try await Self.stateView(p, $0) }
        #expect(Set(views).count == 1, "nodes serve different state:\n\(views.joined(separator: "\n---\n"))")
        let client = try #require(NodeHTTPClient(base: p.nodes[0].clientURL))
        let notices = try JSONDecoder().decode(ListBody<NoticeBody>.self, from: try await client.get("/v1/notices?limit=500").body)
        let requests = try JSONDecoder().decode(ListBody<ServiceRequestBody>.self, from: try await client.get("/v1/service-requests").body)
        #expect(notices.items.contains { $0.title == "Notice 11" })
        #expect(requests.items.map(\.serviceCode) == ["repair"])
        // The same transaction again: idempotent, the node says where it is.
        let again = try await p.submit(committed[0].transaction, to: 3)
        #expect(again.committed, "resubmission: \(again)")
        let statuses = await p.stopAll()
        #expect(statuses.allSatisfy { $0 == 0 }, "exit statuses \(statuses)")
    }

    @Test func killingTheLeaderUnderLoadLosesNoAcknowledgedTransaction() async throws {
        let p = try Self.pilot("failover", offset: 1)
        try p.setUp()
        try p.startAll()
        defer { p.killAll() }
        try await p.waitUntilReady()
        var leader: Int?
        for i in 0..<3 where await p.status(i)?.raft?.role == "leader" { leader = i }
        let oldLeader = try #require(leader)
        let oldLeaderID = await p.status(oldLeader)?.identity.nodeID

        // Four residents submit in turn, each retrying the same signed transaction until it is committed.
        let signers = ["wang", "li", "zhao", "chen"]
        let shared = LoadState()
        let keys = try signers.map { try p.key($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, key) in keys.enumerated() {
                group.addTask {
                    var nonce: UInt64 = 1
                    while !shared.stop.withLock({ $0 }) {
                        let tx = UnsignedTransaction(community: p.community, signer: key.publicKey, nonce: nonce,
                                                     time: Timestamp(Date().timeIntervalSince1970 * 1000),
                                                     payload: .serviceRequest(ServiceRequest(serviceCode: "repair", description: "load \(n)-\(nonce)",
                                                                                             location: "Bldg \(n)"))).signed(with: key)
                        var attempt = 0
                        while true {
                            attempt += 1
                            // Observers first; any node will do when one is down.
                            let target = [3, 4, 0, 1, 2][(n + attempt) % 5]
                            if let s = try? await p.submit(tx, to: target), s.committed {
                                shared.acknowledged.withLock { _ = $0.insert(tx.id) }
                                break
                            }
                            if attempt > 200 { throw TestFailure("transaction \(tx.id.hex) never committed") }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        nonce += 1
                    }
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(2))
                _ = await p.stop(oldLeader, signal: SIGKILL)
                try await Task.sleep(for: .seconds(4))
                try p.start(oldLeader)
                try await Task.sleep(for: .seconds(2))
                shared.stop.withLock { $0 = true }
            }
            try await group.waitForAll()
        }
        let acked = shared.acknowledged.withLock { $0 }
        #expect(acked.count > 10, "only \(acked.count) transactions were acknowledged")
        _ = try await p.waitForAgreement(atLeast: 1, timeout: .seconds(60))
        // A new leader took over while the old one was down.
        var leaders: Set<String> = []
        for i in 0..<3 { if let l = await p.status(i)?.raft?.leader { leaders.insert(l) } }
        #expect(leaders.count == 1)
        #expect(oldLeaderID != nil)
        // Every acknowledged transaction is on every node, at the same place (the restarted one caught up).
        for i in p.nodes.indices {
            for id in acked.sorted() {
                let status = try await p.transactionStatus(id, at: i)
                #expect(status?.status == "committed", "node \(i) lost \(id.hex): \(status.map { "\($0)" } ?? "unknown")")
            }
        }
        let views = try await p.nodes.indices.asyncMap { try await Self.stateView(p, $0) }
        #expect(Set(views).count == 1, "nodes serve different state after the failover")
        let statuses = await p.stopAll()
        #expect(statuses.allSatisfy { $0 == 0 }, "exit statuses \(statuses)")
    }

    @Test func badInputIsRefusedWithAReasonAndNothingIsStored() async throws {
        let p = try Self.pilot("bad", offset: 2)
        try p.setUp()
        try p.startAll()
        defer { p.killAll() }
        try await p.waitUntilReady()
        let client = try #require(NodeHTTPClient(base: p.nodes[3].clientURL))
        let before = await p.status(3)?.chain.height
        let key = try p.key("wang")
        let good = UnsignedTransaction(community: p.community, signer: key.publicKey, nonce: 1, time: 1,
                                       payload: Self.notice(1)).signed(with: key)
        var forged = good
        forged.signature = Signature(Array(repeating: 7, count: 64))!
        let otherCommunity = UnsignedTransaction(community: CommunityID("elsewhere")!, signer: key.publicKey, nonce: 1, time: 1,
                                                 payload: Self.notice(2)).signed(with: key)
        let replayNonce = UnsignedTransaction(community: p.community, signer: key.publicKey, nonce: 0, time: 1,
                                              payload: Self.notice(3)).signed(with: key)
        let cases: [(String, Data, String)] = [
            ("garbage", Data([0xde, 0xad, 0xbe, 0xef]), "application/octet-stream"),
            ("truncated", Data(good.encoded().dropLast(10)), "application/octet-stream"),
            ("trailing bytes", Data(good.encoded() + [0]), "application/octet-stream"),
            ("bad signature", Data(forged.encoded()), "application/octet-stream"),
            ("other community", Data(otherCommunity.encoded()), "application/octet-stream"),
            ("nonce 0", Data(replayNonce.encoded()), "application/octet-stream"),
            ("oversized", Data(repeating: 1, count: 2 << 20), "application/octet-stream"),
            ("bad json", Data("{\"transaction\": 12}".utf8), "application/json"),
            ("bad hex", Data("{\"transaction\": \"zz\"}".utf8), "application/json"),
        ]
        for (name, body, type) in cases {
            let answer = try await client.post("/v1/transactions?wait=committed&timeout_ms=2000", body: body, contentType: type)
            let text = String(decoding: answer.body, as: UTF8.self)
            #expect((400..<500).contains(answer.status), "\(name): HTTP \(answer.status) \(text)")
            let error = try? JSONDecoder().decode(ErrorBody.self, from: answer.body)
            let refusal = try? JSONDecoder().decode(SubmitBody.self, from: answer.body)
            #expect(error != nil || refusal?.reason != nil, "\(name): no reason given: \(text)")
        }
        for path in ["/v1/transactions/xyz", "/v1/notices?category=gossip", "/v1/notices?limit=-1", "/v1/blocks/abc",
                     "/v1/proposals/12", "/v1/subjects/nothex", "/v1/providers/00", "/v1/volunteers/zz",
                     "/v1/service-requests?status=sleeping", "/v1/checkpoints?community=NOT_A_NAME"] {
            let answer = try await client.get(path)
            #expect((400..<500).contains(answer.status), "\(path): HTTP \(answer.status)")
        }
        // Then a good transaction (the committee's notice) through the same node: once it
        // is committed, anything the bad input had started would be in a block too.
        let committed = try await p.submit(Self.notice(4), as: "committee", to: 3)
        #expect(committed.applied, "\(committed)")
        let height = try #require(committed.height)
        #expect(height == (before ?? 0) + 1, "a block was made before the good transaction's (from bad input?)")
        for (name, tx) in [("other community", otherCommunity), ("nonce 0", replayNonce)] {
            #expect(try await p.transactionStatus(tx.id, at: 3) == nil, "\(name) is known to the node")
        }
        let after = await p.status(3)
        #expect(after?.mempool.transactions == 0, "bad input reached the mempool")
        let statuses = await p.stopAll()
        #expect(statuses.allSatisfy { $0 == 0 })
    }
}

/// What the load's clients share: the acknowledged transactions and the stop flag.
final class LoadState: Sendable {
    let acknowledged = Mutex<Set<Hash>>([])
    let stop = Mutex(false)
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
