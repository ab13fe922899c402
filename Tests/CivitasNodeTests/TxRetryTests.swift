import CivitasCodec
import CivitasLedger
import CivitasNodeCore
import CivitasNode
import Foundation
import Logging
import Synchronization
import Testing

/// `civitas tx` retries by sending the same signed bytes, within one run and
/// across runs, until the answer is known (issue #14: a retry that signed a
/// new transaction failed as "a different transaction is already pending").
@Suite(.serialized) struct TxRetryTests {
    let chain = TestChain()

    /// Runs `civitas tx notice` as a subprocess; returns its exit status and output.
    static func tx(_ arguments: [String], port: Int, keyFile: String, pending: String) async throws -> (Int32, String) {
        try await runProgram(try CivitasBinary.locate(), ["tx", "notice", "--key", keyFile, "--node", "http://127.0.0.1:\(port)",
                                                          "--community", TestChain().genesis.community.name, "--category", "general",
                                                          "--body", "b", "--pending-dir", pending] + arguments)
    }

    func withKeyFile(_ body: (String, String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-tx-retry-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keyFile = dir + "/owners.key"
        try Data(chain.key("owners").pemRepresentation.utf8).write(to: URL(fileURLWithPath: keyFile))
        try await body(keyFile, dir + "/pending")
    }

    @Test func aNodeThatCannotTakeItYetGetsTheSameBytesAgain() async throws {
        let service = try FakeNodeService(chain: chain)
        let calls = Mutex(0)
        service.answer { tx in
            let n = calls.withLock { $0 += 1; return $0 }
            return n < 3 ? .unavailable(reason: "this node is behind the chain") : .accepted(id: tx.id)
        }
        try await withKeyFile { keyFile, pending in
            try await HostileHTTPClientTests.withServer(service, limits: HTTPServerLimits()) { port in
                let (status, output) = try await Self.tx(["--title", "Lift repair"], port: port, keyFile: keyFile, pending: pending)
                #expect(status == 0, "\(output)")
                #expect(output.contains("accepted"))
            }
        }
        let sent = service.submissions
        #expect(sent.count == 3)
        #expect(Set(sent.map { $0.encoded() }).count == 1, "a retry signed a new transaction")
    }

    @Test func aTransactionWithNoKnownAnswerIsSentAgainByTheNextRunBeforeANewOne() async throws {
        let service = try FakeNodeService(chain: chain)
        let down = Mutex(true)
        service.answer { tx in down.withLock { $0 } ? .unavailable(reason: "mempool full") : .accepted(id: tx.id) }
        try await withKeyFile { keyFile, pending in
            try await HostileHTTPClientTests.withServer(service, limits: HTTPServerLimits()) { port in
                let (failed, output) = try await Self.tx(["--title", "First", "--attempts", "2"], port: port, keyFile: keyFile, pending: pending)
                #expect(failed == 1)
                #expect(output.contains("is kept in"), "\(output)")
                down.withLock { $0 = false }
                let (status, second) = try await Self.tx(["--title", "Second"], port: port, keyFile: keyFile, pending: pending)
                #expect(status == 0, "\(second)")
                #expect(second.contains("sending the same bytes again"), "\(second)")
            }
        }
        let sent = service.submissions
        #expect(sent.count == 4, "two refused attempts, the same bytes again, then the new one")
        #expect(sent[0].encoded() == sent[1].encoded() && sent[1].encoded() == sent[2].encoded())
        #expect(sent[3].nonce == sent[0].nonce + 1, "the new transaction goes after the one still pending")
    }
}
