import ArgumentParser
import CivitasLedger
import CivitasNode
import CivitasPilot
import CivitasStorage
import Foundation

/// `civitas demo city` (what `make demo` runs): a federation of three pilot
/// communities on this machine, each 3 validators and a gateway as real
/// processes over mutual TLS, federated as docs/federation.md tells an
/// operator to. Each community's chain anchors the others' checkpoints; a
/// referral from one community is answered by another; then a tamper drill:
/// one community's validators rewrite a past block offline and re-sign the
/// chain from there, `civitas verify --federation` finds the rewrite from the
/// neighbours' anchors, and when the rewritten head is shown to a neighbour
/// every node of the other communities raises the tamper alarm.
struct CityDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "city",
        abstract: "Run a federation of 3 communities (3 validators and a gateway each) as real processes: anchors, a referral, a tamper drill.")

    @Option(help: "Where to put the city's files (default: a new temporary directory, kept afterwards).")
    var dir: String?

    @Option(help: "First of the loopback ports to use (each community takes 300 above it).")
    var basePort: Int = 27_000

    static let names = ["lianhua-east", "hehua-north", "pine-row"]

    func run() async throws {
        let started = ContinuousClock.now
        let root = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("civitas-city-\(getpid())").path
        let city = try PilotCity(Self.names, root: root, binary: try PilotDemo.ownBinary(), validators: 3, basePort: basePort,
                                 referralResendSeconds: 5)
        say("1. Setting up a city of \(city.communities.count) communities in \(root)")
        try city.setUp()
        print("   each: a CA, 3 validators and a gateway (keys, TLS certificates, node.toml), genesis.civ")
        print("   city.fed: the federation document (civitas federation init | add); each gateway trusts every community's CA")
        say("2. Starting 12 nodes (mutual TLS on loopback); each residents' committee adopts the federation document")
        try city.startAll()
        var line = ""
        var stoppedAtDrill: [Int32?] = []
        do {
            for c in city.communities { try await c.waitUntilReady() }
            try await city.adopt()
            for c in city.communities { print("   \(c.community): adopted city.fed on its own chain; gateway \(c.nodes[3].peerAddress)") }
            let anchors = try await anchor(city)
            let referrals = try await refer(city)
            let (alarms, drillStatuses) = try await drill(city)
            stoppedAtDrill = drillStatuses
            line = "federation: \(city.communities.count) communities, \(anchors) neighbour checkpoints anchored, "
                + "\(referrals) referrals answered, tamper alarms \(alarms)"
        } catch {
            print("demo failed: \(error)")
            _ = await city.stopAll()
            throw ExitCode(1)
        }
        say("6. Stopping (SIGTERM: each node drains and stops)")
        var statuses = await city.stopAll()
        // Lianhua East's nodes stopped at the drill: their statuses are the ones they exited with then.
        for (i, status) in stoppedAtDrill.enumerated() { statuses[i] = status }
        let clean = statuses.filter { $0 == 0 }.count
        print("   \(clean) of \(statuses.count) nodes exited with status 0 (Lianhua East's 4 when the drill stopped them)")
        let seconds = Double((ContinuousClock.now - started).components.seconds)
        print("\nNode logs and data are in \(root); \(Int(seconds)) s in all.")
        print(line)
        guard statuses.allSatisfy({ $0 == 0 }) else { throw ExitCode(1) }
    }

    // MARK: - Anchoring

    /// Each community makes 20 blocks of records (its gateway publishes the
    /// checkpoint at height 20); each waits until its chain records the other
    /// two's. Returns the neighbour checkpoints anchored, all chains together.
    func anchor(_ city: PilotCity) async throws -> Int {
        say("3. A morning in each community: 20 blocks each, so each gateway publishes the checkpoint at height 20")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in city.communities {
                group.addTask {
                    for i in 1...20 {
                        let s = try await c.submit(.notice(Notice(category: .general, title: "Notice \(i)", body: "Day \(i) of the pilot.")),
                                                   as: i % 2 == 0 ? "committee" : "owners", to: i % 3)
                        guard s.applied else { throw PilotFailure("\(c.community): notice \(i) not applied: \(s)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        var total = 0
        for c in city.communities {
            for other in city.communities where other.community != c.community {
                try await waitFor("\(c.community) anchors \(other.community)'s checkpoint 20", c) {
                    try await Self.anchored(other, in: c).contains(20)
                }
            }
            let status = try await requireStatus(c, 0)
            let summary = status.checkpoints.map { "\($0.community) at \($0.height)" }.joined(separator: ", ")
            print("   \(c.community) anchored: \(summary)")
            total += try await city.communities.filter { $0.community != c.community }.asyncCount { try await Self.anchored($0, in: c).count }
        }
        return total
    }

    // MARK: - A referral

    /// Lianhua East refers a case to Hehua North, whose social organisation
    /// answers; both chains record each step once. Returns the referrals
    /// Lianhua East has answered.
    func refer(_ city: PilotCity) async throws -> Int {
        let (east, north) = (city.communities[0], city.communities[1])
        say("4. A referral: Lianhua East's committee passes a case to Hehua North")
        let made = try await east.submit(.referral(Referral(toCommunity: north.community, kind: .request, reference: nil,
                                                            summary: "An elderly resident moving to Hehua North needs home-care visits")),
                                         as: "committee", to: 0)
        guard made.applied else { throw PilotFailure("the referral was not applied: \(made)") }
        let id = made.transaction.id
        print("   Lianhua East, block \(made.height ?? 0): referral \(id.hex.prefix(16))… to hehua-north")
        try await waitFor("Hehua North receives the referral", north) { try await Self.incoming(north).contains { $0.id == id.hex } }
        let received = try require(try await Self.incoming(north).first { $0.id == id.hex }, "the incoming referral")
        print("   Hehua North, block \(received.recordedHeight): received it (its gateway recorded the proven record)")
        let answer = try await north.submit(.referralAnswer(ReferralAnswer(referral: id, fromCommunity: east.community, accepted: true,
                                                                           note: "Silver Age Volunteers will visit twice a week")),
                                            as: "elders", to: 1)
        guard answer.applied else { throw PilotFailure("the answer was not applied: \(answer)") }
        print("   Hehua North, block \(answer.height ?? 0): Silver Age Volunteers accept it")
        try await waitFor("Lianhua East records the answer", east) {
            try await Self.referrals(east).first { $0.id == id.hex }?.status == "answered"
        }
        let referral = try require(try await Self.referrals(east).first { $0.id == id.hex }, "the referral")
        print("   Lianhua East, block \(referral.answer?.step?.recordedHeight ?? 0): delivered (block \(referral.delivered?.recordedHeight ?? 0)) "
              + "and answered: \"\(referral.answer?.note ?? "")\"")
        return try await Self.referrals(east).filter { $0.status == "answered" }.count
    }

    // MARK: - The tamper drill

    /// Lianhua East's nodes stop; its validators drop a record from block 5
    /// and re-sign every block from there with their own keys. The rewritten
    /// chain verifies on its own, but not against the neighbours' anchors;
    /// shown to Hehua North, its rewritten head at 20 raises the alarm on
    /// every node of the other two communities. Returns the communities
    /// alarmed, and the exit statuses of Lianhua East's nodes.
    func drill(_ city: PilotCity) async throws -> (Int, [Int32?]) {
        let east = city.communities[0]
        say("5. Tamper drill: Lianhua East's validators rewrite block 5 offline and re-sign the chain from there")
        var stopped: [Int32?] = []
        for i in east.nodes.indices { stopped.append(await east.stop(i)) }
        let rewritten = city.root + "/lianhua-east-rewritten"
        let (dropped, head) = try rewrite(from: east.nodes[0].directory, to: rewritten, at: 5,
                                          keys: try (0..<3).map { try Self.nodeKey(east.nodes[$0]) })
        print("   dropped \(dropped) from block 5; blocks 5-\(head.height) re-signed by all 3 validators")
        let alone = try east.runAllowingFailure(["verify", "--data-dir", rewritten, "--skip-state"])
        print("   civitas verify (alone): exit \(alone.status) — it verifies: its own validators signed it")
        let checked = try east.runAllowingFailure(["verify", "--data-dir", rewritten, "--skip-state",
                                                   "--federation", city.communities[1].nodes[0].directory,
                                                   "--federation", city.communities[2].nodes[0].clientURL])
        print("   civitas verify --federation (Hehua North's data directory, Pine Row's node URL): exit \(checked.status)")
        for line in checked.output.split(separator: "\n") where line.hasPrefix("federation:") || line.hasPrefix("first height") {
            print("     " + line)
        }
        guard checked.status == 4 else { throw PilotFailure("verify --federation did not find the rewrite:\n\(checked.output)") }

        // The rewritten head at 20, shown to Hehua North: its committee records it.
        let eastGenesis = try GenesisDocument(encoded: [UInt8](try Data(contentsOf: URL(fileURLWithPath: east.root + "/genesis.civ"))))
        let forged = Checkpoint(community: east.community, genesisHash: eastGenesis.hash, certificate: head.certificateAt20)
        let north = city.communities[1]
        let shown = try await north.submit(.checkpoint(forged), as: "committee", to: 0)
        guard shown.applied else { throw PilotFailure("Hehua North did not record the rewritten head: \(shown)") }
        print("   Hehua North's committee records the rewritten head at 20 it was shown (block \(shown.height ?? 0))")
        var alarmed = 0
        for c in city.communities.dropFirst() {
            for i in c.nodes.indices {
                try await waitFor("the tamper alarm on \(c.nodes[i].name)", c, node: i) {
                    guard let status = await c.status(i) else { return false }
                    return status.health.reasons.first?.hasPrefix("TAMPER ALARM") == true
                }
            }
            let reason = try await requireStatus(c, 0).health.reasons.first ?? ""
            print("   \(c.community): all \(c.nodes.count) nodes raise it — \(reason)")
            alarmed += 1
        }
        return (alarmed, stopped)
    }

    /// What `rewrite` made: the new head and its certificate at height 20.
    struct RewrittenHead {
        var height: UInt64
        var certificateAt20: CommitCertificate
    }

    /// Copies the node's chain to `destination`, dropping the last record of
    /// block `height` and re-signing that block and every later one with `keys`
    /// (the community's validators, in genesis order). Returns what was dropped.
    func rewrite(from node: String, to destination: String, at height: UInt64, keys: [SigningKey]) throws -> (String, RewrittenHead) {
        let fs = POSIXFileSystem()
        try FileManager.default.createDirectory(atPath: destination + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: node + "/genesis.civ", toPath: destination + "/genesis.civ")
        let source = try BlockStore(directory: node + "/data/blocks", fileSystem: fs)
        let target = try BlockStore(directory: destination + "/data/blocks", fileSystem: fs)
        var previous: Hash?
        var dropped = ""
        var at20: CommitCertificate?
        for h in 1...source.height {
            guard var sealed = try source.block(at: h) else { throw PilotFailure("block \(h) is missing") }
            if h >= height {
                var transactions = sealed.block.transactions
                if h == height, let last = transactions.popLast() { dropped = "a \(last.kind) (\(last.id.hex.prefix(12))…)" }
                let header = sealed.block.header
                let block = Block(community: header.community, height: h, previous: previous ?? header.previous, time: header.time,
                                  proposer: header.proposer, transactions: transactions)
                let votes = keys.enumerated().map { BlockVote(index: UInt32($0.offset), key: $0.element, headerHash: block.header.hash) }
                sealed = SealedBlock(block: block, certificate: CommitCertificate(height: h, headerHash: block.header.hash, votes: votes))
            }
            if h == 20 { at20 = sealed.certificate }
            try target.append(sealed)
            previous = sealed.block.header.hash
        }
        try target.sync()
        try target.close()
        try source.close()
        guard let at20 else { throw PilotFailure("the chain has no block 20") }
        return (dropped, RewrittenHead(height: source.height, certificateAt20: at20))
    }

    // MARK: - Helpers

    static func nodeKey(_ node: PilotNode) throws -> SigningKey {
        try SigningKey(pem: try String(contentsOfFile: node.directory + "/node.key", encoding: .utf8))
    }

    static func anchored(_ other: PilotCommunity, in c: PilotCommunity) async throws -> [UInt64] {
        try await c.anchored(other.community).map(\.height)
    }

    static func referrals(_ c: PilotCommunity) async throws -> [ReferralBody] { try await c.referrals() }
    static func incoming(_ c: PilotCommunity) async throws -> [IncomingReferralBody] { try await c.incomingReferrals() }

    func requireStatus(_ c: PilotCommunity, _ i: Int) async throws -> NodeStatusReport {
        guard let status = await c.status(i) else { throw PilotFailure("\(c.nodes[i].name) gave no status") }
        return status
    }

    /// Polls `condition` every 200 ms for up to a minute (a demo's wait, not a test's).
    func waitFor(_ what: String, _ c: PilotCommunity, node: Int = 0, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw PilotFailure("timed out: \(what) (logs in \(c.root)/*/node.log)")
    }

    func say(_ line: String) { print("\n" + line) }
}

extension Sequence {
    func asyncCount(_ count: (Element) async throws -> Int) async rethrows -> Int {
        var total = 0
        for element in self { total += try await count(element) }
        return total
    }
}

/// `value`, or a failure naming `what`.
func require<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw PilotFailure("\(what) is missing") }
    return value
}
