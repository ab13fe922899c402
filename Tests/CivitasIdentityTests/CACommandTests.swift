import CivitasIdentity
import CivitasTestSupport
import Foundation
import Testing

/// `civitas ca …` as an operator runs it: a CA, two nodes, a bundle, a revocation,
/// with openssl checking the result and the tool refusing bad input in one line.
@Suite("civitas ca", .enabled(if: CivitasBinary.path != nil && OpenSSL.available, "needs the civitas binary beside the tests and openssl"))
struct CACommandTests {
    func civitas(_ arguments: [String], in dir: URL) throws -> (status: Int32, output: String) {
        let r = try runTool(CivitasBinary.path!, arguments.map { $0.hasPrefix("@") ? dir.path + "/" + $0.dropFirst() : $0 })
        return (r.status, String(decoding: r.stdout, as: UTF8.self) + r.stderr)
    }

    @Test func anOperatorBuildsACommunityAndRevokesANode() throws {
        let dir = try scratchDirectory("identity-cli")
        defer { try? FileManager.default.removeItem(at: dir) }

        var r = try civitas(["ca", "init", "--community", "ward-7", "--out", "@ca"], in: dir)
        #expect(r.status == 0, "\(r.output)")
        r = try civitas(["ca", "issue", "--ca", "@ca", "--node-key", "generate", "--role", "validator", "--out", "@n1"], in: dir)
        #expect(r.status == 0 && r.output.contains("issued validator certificate"), "\(r.output)")
        // A node whose operator hands the CA only the public half of its ledger key.
        let pub = try OpenSSL.run(["pkey", "-in", dir.path + "/n1/ledger.key", "-pubout", "-out", dir.path + "/n1.pub"])
        #expect(pub.status == 0)
        r = try civitas(["ca", "issue", "--ca", "@ca", "--node-key", "@n1.pub", "--role", "gateway", "--out", "@n2"], in: dir)
        #expect(r.status == 0, "\(r.output)")

        r = try civitas(["ca", "show", "@n2/node.pem"], in: dir)
        let nodeID = try IdentityFiles.readText(dir.path + "/n1/node.pem")
        let n1 = try NodeIdentity(CertificateDER.certificates(pem: nodeID, path: "n1").first!)
        #expect(r.output.contains("node ID:      \(n1.nodeID)"), "same ledger key, same node ID: \(r.output)")
        #expect(r.output.contains("role:         gateway"))

        r = try civitas(["ca", "revoke", "--ca", "@ca", "--cert", "@n1/node.pem"], in: dir)
        #expect(r.status == 0 && r.output.contains("number 2"), "\(r.output)")
        let check = ["verify", "-crl_check", "-CAfile", dir.path + "/ca/ca.pem", "-CRLfile", dir.path + "/ca/crl.pem"]
        #expect(try OpenSSL.run(check + [dir.path + "/n1/node.pem"]).status != 0)
        #expect(try OpenSSL.run(check + [dir.path + "/n2/node.pem"]).status == 0)

        r = try civitas(["ca", "init", "--community", "ward-8", "--out", "@ca8"], in: dir)
        r = try civitas(["ca", "bundle", "--out", "@bundle.pem", "@ca/ca.pem", "@ca8/ca.pem"], in: dir)
        #expect(r.status == 0 && r.output.contains("2 community CA(s)"), "\(r.output)")
        let bundle = try TrustBundle(pemEncoded: IdentityFiles.readText(dir.path + "/bundle.pem"), path: "bundle.pem")
        #expect(bundle.communities.map(\.name).sorted() == ["ward-7", "ward-8"])
    }

    @Test func badInputIsOneClearLineAndExitCodeOne() throws {
        let dir = try scratchDirectory("identity-cli-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "garbage\n".write(toFile: dir.path + "/garbage.pem", atomically: true, encoding: .utf8)
        _ = try civitas(["ca", "init", "--community", "ward-7", "--out", "@ca"], in: dir)
        let cases: [([String], String)] = [
            (["ca", "init", "--community", "Ward 7", "--out", "@x"], "is not a community name"),
            (["ca", "init", "--community", "ward-7", "--out", "@ca"], "already exists"),
            (["ca", "issue", "--ca", "@ca", "--node-key", "generate", "--role", "mayor", "--out", "@n"], "unknown role 'mayor'"),
            (["ca", "issue", "--ca", "@ca", "--node-key", "@ca/ca.key", "--role", "observer", "--out", "@n"], "not an Ed25519"),
            (["ca", "show", "@garbage.pem"], "no '-----BEGIN CERTIFICATE-----' block"),
            (["ca", "revoke", "--ca", "@ca", "--cert", "@garbage.pem"], "no '-----BEGIN CERTIFICATE-----' block"),
        ]
        for (arguments, message) in cases {
            let r = try civitas(arguments, in: dir)
            #expect(r.status == 1, "\(arguments): \(r.output)")
            #expect(r.output.contains(message), "\(arguments): \(r.output)")
            #expect(!r.output.contains("Fatal error"), "\(arguments)")
        }
    }
}

/// The `civitas` binary of this build, beside the test runner (`swift test` builds every product there).
enum CivitasBinary {
    static let path: String? = {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let path = runner.appendingPathComponent("civitas").path
        return isExecutable(path) ? path : nil
    }()
}
