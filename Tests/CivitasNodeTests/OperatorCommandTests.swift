import CivitasNode
import Foundation
import Testing

/// The operator's commands as a first-time operator meets them (issue #14).
@Suite struct OperatorCommandTests {
    static func run(_ arguments: [String], in dir: String) async throws -> (Int32, String) {
        try await runProgram(try CivitasBinary.locate(), arguments, in: dir)
    }

    @Test func initSpeaksOfAnObserverAsAnObserverAndTakesSeedsAndPorts() async throws {
        try await withScratchDirectoryAsync { dir in
            let (ca, caOut) = try await Self.run(["ca", "init", "--community", "lianhua-east", "--out", "ca"], in: dir)
            #expect(ca == 0, "\(caOut)")
            let (status, out) = try await Self.run(["init", "--community", "lianhua-east", "--role", "observer", "--dir", "o1", "--ca-dir", "ca",
                                              "--listen", "127.0.0.1:7201", "--seed", "127.0.0.1:7202", "--seed", "127.0.0.1:7201",
                                              "--client-listen", "127.0.0.1:8201", "--admin-listen", "127.0.0.1:9201"], in: dir)
            #expect(status == 0, "\(out)")
            #expect(out.contains("for an observer of 'lianhua-east'"), "\(out)")
            #expect(!out.contains("for this validator"), "\(out)")
            let toml = try String(contentsOfFile: dir + "/o1/node.toml", encoding: .utf8)
            #expect(toml.contains("seeds = [\"127.0.0.1:7202\"]"), "its own address is not its seed:\n\(toml)")
            #expect(toml.contains("client_listen = \"127.0.0.1:8201\"") && toml.contains("admin_listen = \"127.0.0.1:9201\""))
            let (same, sameOut) = try await Self.run(["init", "--community", "lianhua-east", "--role", "observer", "--dir", "o2",
                                                "--listen", "127.0.0.1:7301", "--client-listen", "127.0.0.1:7301"], in: dir)
            #expect(same != 0 && sameOut.contains("three different addresses"), "\(sameOut)")
        }
    }

    @Test func genesisRefusesACommunityWhereNobodyCanRegisterAnyone() async throws {
        try await withScratchDirectoryAsync { dir in
            for key in ["subject", "node", "wang"] {
                let (status, out) = try await Self.run(["keys", "new", "--out", "\(key).key"], in: dir)
                #expect(status == 0, "\(out)")
            }
            // The old README's example: a validator and a resident, no registrar.
            let (refused, out) = try await Self.run(["genesis", "--community", "lianhua-east", "--validator", "Committee=subject.key,node.key",
                                               "--subject", "wang.key:Wang:Bldg 3-201:resident", "--out", "genesis.civ"], in: dir)
            #expect(refused != 0, "\(out)")
            #expect(out.contains("no registrar is a registered subject"), "\(out)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/genesis.civ"))
            // A residents' committee subject is a registrar; the validator's subject unregistered is a warning.
            let (ok, okOut) = try await Self.run(["genesis", "--community", "lianhua-east", "--validator", "Committee=subject.key,node.key",
                                            "--subject", "wang.key:Wang:Office:residentsCommittee", "--out", "genesis.civ"], in: dir)
            #expect(ok == 0, "\(okOut)")
            #expect(okOut.contains("warning: validator Committee's subject is not a registered subject"), "\(okOut)")
        }
    }
}
