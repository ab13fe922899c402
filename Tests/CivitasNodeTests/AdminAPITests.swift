import CivitasNode
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct AdminAPITests {
    let chain = TestChain()

    @Test func statusRoundTripsAsJSON() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withAdminAPI(service) { client in
            let r = try await client.execute(uri: "/status", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            #expect(try r.decode(NodeStatusReport.self) == FakeNodeService.healthyReport(height: 3))
            let bad = try await client.execute(uri: "/status?verbose=1", method: .get)
            #expect(bad.status == .badRequest)
        }
    }

    @Test func healthzAndReadyz() async throws {
        let service = try FakeNodeService(chain: chain)
        try await withAdminAPI(service) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(try ready.decode(AdminAPI.Readiness.self) == AdminAPI.Readiness(ready: true, reasons: []))
        }
        let reasons = ["no leader", "behind peers by 12 blocks", "too few peers (1 of 2)", "disk nearly full (96%)",
                       "certificate expires in 5 days"]
        service.setReport { $0.health = HealthReport(level: .degraded, reasons: reasons) }
        try await withAdminAPI(service) { client in
            let r = try await client.execute(uri: "/readyz", method: .get)
            #expect(r.status == .serviceUnavailable)
            #expect(try r.decode(AdminAPI.Readiness.self) == AdminAPI.Readiness(ready: false, reasons: reasons))
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func metricsExposeTheNodesNames() async throws {
        let service = try FakeNodeService(chain: chain)
        let metrics = NodeMetrics()
        metrics.blockApplied(duration: .milliseconds(12))
        metrics.transactionSubmitted(outcome: "accepted")
        try await withClientAPI(service, metrics: metrics) { client in
            _ = try await client.execute(uri: "/v1/blocks/head", method: .get)
            _ = try await client.execute(uri: "/v1/blocks/zz", method: .get)
        }
        try await withAdminAPI(service, metrics: metrics) { client in
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = r.text
            for name in [NodeMetrics.Name.chainHeight, NodeMetrics.Name.raftTerm, NodeMetrics.Name.mempoolTransactions,
                         NodeMetrics.Name.transactionsSubmitted, NodeMetrics.Name.httpRequests, NodeMetrics.Name.blockApplySeconds,
                         NodeMetrics.Name.peers, NodeMetrics.Name.healthy] {
                #expect(text.contains(name), "\(name) missing")
            }
            #expect(text.contains("civitas_chain_height 3.0"))
            #expect(text.contains("civitas_raft_term 3.0"))
            #expect(text.contains("civitas_transactions_submitted_total{outcome=\"accepted\"} 1"))
            #expect(text.contains("civitas_http_requests_total{route=\"/v1/blocks/head\",status=\"200\"} 1"))
            #expect(text.contains("civitas_http_requests_total{route=\"/v1/blocks/{height}\",status=\"400\"} 1"))
        }
    }
}
