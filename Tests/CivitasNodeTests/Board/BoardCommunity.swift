import CivitasLedger
import CivitasNode
import CivitasPilot
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real node for the browser tests: a one-validator community of
/// `civitas node run` on loopback (set up by the CLI, as `PilotCommunity`
/// does), with the pilot's subjects and their key files.
final class BoardCommunity: @unchecked Sendable {
    let pilot: PilotCommunity

    /// Starts the node and waits until it is ready.
    static func start(_ name: String, offset: Int) async throws -> BoardCommunity {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-board-\(name)-\(UUID().uuidString.prefix(8))").path
        // Ports of their own, beside PilotProcessTests' (offsets 0-2 there), skipping any another process holds
        // (a node a killed test run left behind would otherwise answer in this one's place).
        var base = 20_000 + Int(getpid() % 12) * 1_000 + 900 + offset * 20
        for _ in 0..<50 where ![base, base + 100, base + 200].allSatisfy(PilotNode.isFree) { base += 3 }
        let pilot = PilotCommunity(root: root, binary: try CivitasBinary.locate(), validators: 1, observers: 0, basePort: base)
        try pilot.setUp()
        // One validator has no peers to count; it is ready on its own.
        let config = pilot.nodes[0].directory + "/node.toml"
        let written = try String(contentsOfFile: config, encoding: .utf8)
        guard written.contains("min_peers = 1") else { throw PilotFailure("civitas init no longer writes min_peers = 1: \(config)") }
        let toml = written.replacingOccurrences(of: "min_peers = 1", with: "min_peers = 0")
        try toml.write(toFile: config, atomically: true, encoding: .utf8)
        try pilot.startAll()
        let community = BoardCommunity(pilot: pilot)
        do {
            try await pilot.waitUntilReady(timeout: .seconds(60))
            // waitUntilReady asks only the nodes still running: a node that exited at once must fail here.
            guard pilot.isRunning(0) else { throw PilotFailure("the node exited at start:\n\(community.log())") }
        } catch {
            let log = community.log()
            await community.stop()
            throw PilotFailure("\(error)\n--- node.log:\n\(log)")
        }
        return community
    }

    private init(pilot: PilotCommunity) { self.pilot = pilot }

    /// Runs `body` on a started community and stops it afterwards, whatever `body` did.
    static func with(_ name: String, offset: Int, _ body: (BoardCommunity) async throws -> Void) async throws {
        let community = try await start(name, offset: offset)
        do {
            try await body(community)
        } catch {
            await community.stop()
            throw error
        }
        await community.stop()
    }


    var url: String { pilot.nodes[0].clientURL }

    /// The end of the node's log, for failure messages.
    func log() -> String {
        let text = (try? String(contentsOfFile: pilot.nodes[0].directory + "/node.log", encoding: .utf8)) ?? "(no log)"
        return String(text.suffix(3_000))
    }

    /// The PEM file of `member` (the committee's is the validator's subject key).
    func keyFile(_ member: String) -> String {
        member == "committee" ? pilot.nodes[0].directory + "/subject.key" : pilot.root + "/subjects/\(member).key"
    }

    func seed(_ member: String) -> String { (try? pilot.key(member))?.seed.hex ?? "" }

    /// Signs as `member` and waits for the commit; fails the test if it was not applied.
    @discardableResult
    func record(_ payload: TransactionPayload, as member: String) async throws -> Transaction {
        // The nonce comes from the node: the browser signs as the same members.
        guard let client = NodeHTTPClient(base: url), let key = try? pilot.key(member) else { throw PilotFailure("no \(member)") }
        let answer = try await client.get("/v1/subjects/\(key.publicKey.raw.hex)")
        let subject = try JSONDecoder().decode(SubjectBody.self, from: answer.body)
        let s = try await pilot.submit(payload, as: member, to: 0, nonce: subject.nextNonce)
        guard s.applied else { throw PilotFailure("\(payload.kind) by \(member) was not applied: \(s)") }
        return s.transaction
    }

    func stop() async {
        _ = await pilot.stopAll()
        try? FileManager.default.removeItem(atPath: pilot.root)
    }
}
