import CivitasNode
import CivitasTestSupport
import Foundation
import Logging
import Testing

/// HTTPS on the client API (`api.tls_cert_file`, `api.tls_key_file`), with
/// curl as the outside judge: the server presents the configured certificate,
/// and a reload (SIGHUP) switches new connections to a renewed one.
@Suite(.serialized) struct ClientAPITLSTests {
    /// A self-signed P-256 certificate for 127.0.0.1, by openssl.
    static func certificate(_ dir: String, _ name: String) throws -> NodeHTTPServer.TLSFiles {
        let files = NodeHTTPServer.TLSFiles(certificateFile: "\(dir)/\(name).pem", keyFile: "\(dir)/\(name).key")
        let result = try runTool("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=\(name)", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", files.keyFile, "-out", files.certificateFile])
        guard result.status == 0 else { throw PilotCommunity.Failure("openssl: \(result.stderr)") }
        return files
    }

    static func curl(_ port: Int, trusting ca: String) async throws -> (Int32, String) {
        try await runProgram("/usr/bin/curl", ["-sS", "--max-time", "30", "--cacert", ca, "https://127.0.0.1:\(port)/v1/blocks/head"])
    }

    @Test func theClientAPIServesHTTPSAndReloadsItsCertificate() async throws {
        let dir = try scratchDirectory("client-tls").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try Self.certificate(dir, "first")
        let live = NodeHTTPServer.TLSFiles(certificateFile: dir + "/live.pem", keyFile: dir + "/live.key")
        try FileManager.default.copyItem(atPath: first.certificateFile, toPath: live.certificateFile)
        try FileManager.default.copyItem(atPath: first.keyFile, toPath: live.keyFile)
        let service = try FakeNodeService(chain: TestChain())
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try NodeHTTPServer(router: ClientAPI.router(service: service), key: "api.client_listen",
                                        address: HostPort(host: "127.0.0.1", port: 0), name: "tls-test", limits: HTTPServerLimits(),
                                        tls: live, logger: Logger(label: "test"), onRunning: { continuation.yield($0) })
        try await withRunningServer(server) {
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())

            let (ok, body) = try await Self.curl(port, trusting: first.certificateFile)
            #expect(ok == 0 && body.contains("\"height\""), "\(body)")

            // Renewed files, then a reload: new connections get the new certificate.
            let second = try Self.certificate(dir, "second")
            try FileManager.default.removeItem(atPath: live.certificateFile)
            try FileManager.default.removeItem(atPath: live.keyFile)
            try FileManager.default.copyItem(atPath: second.certificateFile, toPath: live.certificateFile)
            try FileManager.default.copyItem(atPath: second.keyFile, toPath: live.keyFile)
            #expect(try server.reload() != nil)
            #expect(try await Self.curl(port, trusting: second.certificateFile).0 == 0)
            #expect(try await Self.curl(port, trusting: first.certificateFile).0 != 0, "the old certificate is still served")

            // A broken file is refused and the working certificate stays.
            try "not a certificate".write(toFile: live.certificateFile, atomically: true, encoding: .utf8)
            #expect(throws: (any Error).self) { try server.reload() }
            #expect(try await Self.curl(port, trusting: second.certificateFile).0 == 0)
        }
    }
}
