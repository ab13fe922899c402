import CivitasNode
import Foundation
import Testing

/// The operator's commands as a first-time operator meets them (issue #14).
@Suite struct OperatorCommandTests {
    static func run(_ arguments: [String], in dir: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CivitasBinary.locate())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func initSpeaksOfAnObserverAsAnObserverAndTakesSeedsAndPorts() throws {
        try withScratchDirectory { dir in
            let (ca, caOut) = try Self.run(["ca", "init", "--community", "lianhua-east", "--out", "ca"], in: dir)
            #expect(ca == 0, "\(caOut)")
            let (status, out) = try Self.run(["init", "--community", "lianhua-east", "--role", "observer", "--dir", "o1", "--ca-dir", "ca",
                                              "--listen", "127.0.0.1:7201", "--seed", "127.0.0.1:7202", "--seed", "127.0.0.1:7201",
                                              "--client-listen", "127.0.0.1:8201", "--admin-listen", "127.0.0.1:9201"], in: dir)
            #expect(status == 0, "\(out)")
            #expect(out.contains("for an observer of 'lianhua-east'"), "\(out)")
            #expect(!out.contains("for this validator"), "\(out)")
            let toml = try String(contentsOfFile: dir + "/o1/node.toml", encoding: .utf8)
            #expect(toml.contains("seeds = [\"127.0.0.1:7202\"]"), "its own address is not its seed:\n\(toml)")
            #expect(toml.contains("client_listen = \"127.0.0.1:8201\"") && toml.contains("admin_listen = \"127.0.0.1:9201\""))
            let (same, sameOut) = try Self.run(["init", "--community", "lianhua-east", "--role", "observer", "--dir", "o2",
                                                "--listen", "127.0.0.1:7301", "--client-listen", "127.0.0.1:7301"], in: dir)
            #expect(same != 0 && sameOut.contains("three different addresses"), "\(sameOut)")
        }
    }

    @Test func genesisRefusesACommunityWhereNobodyCanRegisterAnyone() throws {
        try withScratchDirectory { dir in
            for key in ["subject", "node", "wang"] {
                let (status, out) = try Self.run(["keys", "new", "--out", "\(key).key"], in: dir)
                #expect(status == 0, "\(out)")
            }
            // The old README's example: a validator and a resident, no registrar.
            let (refused, out) = try Self.run(["genesis", "--community", "lianhua-east", "--validator", "Committee=subject.key,node.key",
                                               "--subject", "wang.key:Wang:Bldg 3-201:resident", "--out", "genesis.civ"], in: dir)
            #expect(refused != 0, "\(out)")
            #expect(out.contains("no registrar is a registered subject"), "\(out)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/genesis.civ"))
            // A residents' committee subject is a registrar; the validator's subject unregistered is a warning.
            let (ok, okOut) = try Self.run(["genesis", "--community", "lianhua-east", "--validator", "Committee=subject.key,node.key",
                                            "--subject", "wang.key:Wang:Office:residentsCommittee", "--out", "genesis.civ"], in: dir)
            #expect(ok == 0, "\(okOut)")
            #expect(okOut.contains("warning: validator Committee's subject is not a registered subject"), "\(okOut)")
        }
    }
}
