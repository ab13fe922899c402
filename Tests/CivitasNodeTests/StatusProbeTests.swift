import CivitasNode
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `civitas status`'s probe against a real local listener.
@Suite struct StatusProbeTests {
    let chain = TestChain()

    func probe(_ service: FakeNodeService) async throws -> StatusProbe.Outcome {
        let app = Application(router: AdminAPI.router(service: service, metrics: NodeMetrics()),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            await StatusProbe.probe(node: "http://127.0.0.1:\(client.port!)")
        }
    }

    @Test func healthyIsZero() async throws {
        let outcome = try await probe(try FakeNodeService(chain: chain))
        #expect(outcome.verdict == .healthy && outcome.verdict.rawValue == 0)
        let text = StatusProbe.render(try #require(outcome.report))
        #expect(text.contains("health      healthy"))
        #expect(text.contains("raft        term 3, leader"))
        #expect(text.contains("hehua-north:"))
    }

    @Test func degradedIsOneWithReasons() async throws {
        let service = try FakeNodeService(chain: chain)
        service.setReport { $0.health = HealthReport(level: .degraded, reasons: ["no leader", "too few peers (0 of 1)"]) }
        let outcome = try await probe(service)
        #expect(outcome.verdict == .degraded && outcome.verdict.rawValue == 1)
        #expect(StatusProbe.render(try #require(outcome.report)).contains("degraded: no leader; too few peers (0 of 1)"))
    }

    /// The federation section: each neighbour's last anchored checkpoint with its age, and any tamper evidence.
    @Test func federationAnchorsAndTheTamperAlarmAreShown() async throws {
        let service = try FakeNodeService(chain: chain)
        service.setReport {
            $0.checkpoints = [.init(community: "maple-court", height: 300, headerHash: String(repeating: "ab", count: 32), ageMillis: 125_000)]
            $0.tamperEvidence = [.init(community: "maple-court", height: 300, anchoredHeaderHash: String(repeating: "ab", count: 32),
                                       conflictingHeaderHash: String(repeating: "cd", count: 32), recordedHeight: 41)]
        }
        let metrics = NodeMetrics()
        let app = Application(router: AdminAPI.router(service: service, metrics: metrics),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let outcome = await StatusProbe.probe(node: "http://127.0.0.1:\(client.port!)")
            let text = StatusProbe.render(try #require(outcome.report))
            #expect(text.contains("maple-court: height 300, header abababababababab…, anchored 2 min ago"), "\(text)")
            #expect(text.contains("TAMPER ALARM maple-court at height 300: anchored abababababababab…, also certified cdcdcdcdcdcdcdcd… (recorded at height 41)"))
            let exported = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(exported.contains("civitas_federation_tamper_evidence 1"), "\(exported)")
            #expect(exported.contains("civitas_federation_oldest_anchor_age_seconds 125"))
        }
    }

    @Test func unreachableIsTwo() async throws {
        // Find a free port, then close it again.
        let app = Application(router: Router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let port = try await app.test(.live) { client in client.port! }
        let outcome = await StatusProbe.probe(node: "http://127.0.0.1:\(port)", timeout: 5)
        #expect(outcome.verdict == .unreachable && outcome.verdict.rawValue == 2)
        #expect(outcome.problem?.hasPrefix("unreachable") == true)
        #expect(await StatusProbe.probe(node: "not a url").verdict == .unreachable)
    }

    @Test func anAnswerThatIsNotAReportIsTwo() async throws {
        let router = Router()
        router.get("/status") { _, _ in "hello" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let outcome = try await app.test(.live) { client in await StatusProbe.probe(node: "http://127.0.0.1:\(client.port!)") }
        #expect(outcome.verdict == .unreachable)
        #expect(outcome.problem == "GET /status did not answer a status report")
    }
}
