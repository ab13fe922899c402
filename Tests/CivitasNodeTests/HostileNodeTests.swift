import CivitasLedger
import CivitasNode
import Foundation
import NIOCore
import NIOPosix
import Testing

/// A real community under the attack of issue #14: a stranger opens far more
/// connections to a validator's client API than it may hold, each sending a
/// request line and a header, then holding. The validator keeps committing
/// and answering `civitas status`, its open files stay bounded, and every
/// attacking connection is shed.
@Suite(.serialized) struct HostileNodeTests {
    @Test func aValidatorUnderAConnectionFloodKeepsCommittingAndShedsTheAttacker() async throws {
        raiseOpenFileLimit()
        let p = try PilotProcessTests.pilot("flood", offset: 6)
        p.apiSettings = ["read_timeout_ms": 1_500, "max_connections": 400, "max_connections_per_address": 40]
        try p.setUp()
        try p.startAll()
        defer { Task { [p] in _ = await p.stopAll() } }
        try await p.waitUntilReady()
        let pid = try #require(p.processID(0))
        let filesBefore = openFiles(pid)

        // 1,600 connections from 40 addresses (40 each, the per-address cap): 4× the server's cap.
        let port = p.nodes[0].clientPort
        let attackers = try await withThrowingTaskGroup(of: [RawHTTPConnection].self) { group in
            for a in 0..<40 {
                group.addTask {
                    var mine: [RawHTTPConnection] = []
                    for _ in 0..<40 {
                        guard let c = try? await RawHTTPConnection.open(port: port, from: "127.0.2.\(a + 1)", connectTimeout: .seconds(3))
                        else { continue }
                        try? await c.send("GET /v1/blocks/head HTTP/1.1\r\nHost: node\r\nX-Hold: 1\r\n")
                        mine.append(c)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        var peakFiles = openFiles(pid)

        // Meanwhile the community commits, and the attacked validator answers status.
        for i in 0..<5 {
            let s = try await p.submit(.notice(Notice(category: .general, title: "During the flood \(i)", body: "b")),
                                       as: "committee", to: 3 + i % 2)
            #expect(s.applied, "HTTP \(s.status): \(s.body)")
            peakFiles = max(peakFiles, openFiles(pid))
        }
        let status = try #require(await p.status(0), "the attacked validator's admin API did not answer")
        #expect(status.raft?.term ?? 0 > 0)
        #expect(p.isRunning(0))

        // Every attacking connection is shed (in rounds of the read timeout as
        // the waiting ones are accepted), and the validator serves clients again.
        var open = 0
        for c in attackers where await c.closedByServer(within: .seconds(60)) == nil { open += 1 }
        #expect(open == 0, "\(open) of \(attackers.count) attacking connections were never closed")
        #expect(attackers.count > 400, "the attack opened only \(attackers.count) connections")
        // Bounded: the cap (400) and the admin API's, peer links and storage — never one per attacker.
        #expect(peakFiles < filesBefore + 400 + 64, "open files went from \(filesBefore) to \(peakFiles)")
        let again = try await p.submit(.notice(Notice(category: .general, title: "After the flood", body: "b")), as: "owners", to: 0)
        #expect(again.applied, "HTTP \(again.status): \(again.body)")
        let statuses = await p.stopAll()
        #expect(statuses.allSatisfy { $0 == 0 }, "exit statuses \(statuses)")
    }

    func openFiles(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    /// The test opens over a thousand sockets of its own.
    func raiseOpenFileLimit() {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resource, &limit)
    }
}
