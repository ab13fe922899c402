import CivitasLedger
import CivitasNode
import CivitasPilot
import CivitasTestSupport
import Foundation
import Testing

/// A city of real processes over TLS: three communities of one validator and
/// one gateway each, federated as docs/federation.md tells an operator to.
@Suite(.serialized) struct FederationProcessTests {
    /// Every community anchors the others' checkpoints: each gateway
    /// publishes its community's head every 20 blocks (the sample's
    /// checkpoint interval), the others' gateways check the certificate
    /// against the adopted document and record it in their own chain, where
    /// every replica checks it again. Then a second certified head of one
    /// community raises the tamper alarm in every other community.
    @Test func threeCommunitiesAnchorEachOthersCheckpointsAndShareTheTamperAlarm() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-city-\(UUID().uuidString.prefix(8))").path
        let city = try PilotCity(["lianhua-east", "hehua-north", "pine-row"], root: root, binary: try CivitasBinary.locate(),
                                 basePort: Self.basePort)
        try city.setUp()
        try city.startAll()
        defer { city.killAll() }
        for c in city.communities { try await c.waitUntilReady() }
        try await city.adopt()
        // 21 blocks in each community: the checkpoint at height 20 goes out.
        for c in city.communities {
            for i in 0..<20 {
                let s = try await c.submit(.notice(Notice(category: .general, title: "Notice \(i)", body: "Body \(i)")), as: "committee", to: 0)
                #expect(s.applied, "\(c.community): \(s)")
            }
        }
        // Each community's chain records the other two's checkpoints.
        for c in city.communities {
            for other in city.communities where other.community != c.community {
                try await Self.waitFor("\(c.community) anchors \(other.community)'s checkpoint 20 (logs in \(root)/*/*/node.log)",
                                       on: c.nodes[0]) { try await Self.anchored(other, in: c).contains(20) }
            }
        }
        // The anchors show in every validator's status, and nobody raised an alarm yet.
        for c in city.communities {
            let status = try #require(await c.status(0))
            #expect(status.checkpoints.count == 2, "\(c.community): \(status.checkpoints)")
            #expect(status.tamperEvidence.isEmpty)
        }

        // Lianhua East's validator certifies a second block at height 20 (an
        // equivocation, or its history rewritten): Hehua North's committee
        // records it, its gateway passes it on, and every other community's
        // chain records the evidence and raises the alarm.
        let east = city.communities[0]
        let validatorKey = try SigningKey(pem: try String(contentsOfFile: east.nodes[0].directory + "/node.key", encoding: .utf8))
        let eastGenesis = try GenesisDocument(encoded: [UInt8](try Data(contentsOf: URL(fileURLWithPath: east.root + "/genesis.civ"))))
        let rewritten = BlockHeader(community: east.community, height: 20, previous: Hash(), time: 1, proposer: 0, transactionCount: 0,
                                    transactionRoot: Merkle.emptyRoot)
        let forged = Checkpoint(community: east.community, genesisHash: eastGenesis.hash, certificate: CommitCertificate(
            height: 20, headerHash: rewritten.hash, votes: [BlockVote(index: 0, key: validatorKey, headerHash: rewritten.hash)]))
        let recorded = try await city.communities[1].submit(.checkpoint(forged), as: "committee", to: 0)
        #expect(recorded.applied, "\(recorded)")
        for c in city.communities.dropFirst() {
            for i in c.nodes.indices {
                try await Self.waitFor("the tamper alarm on \(c.community) \(c.nodes[i].name) (logs in \(root)/*/*/node.log)", on: c.nodes[i]) {
                    guard let status = await c.status(i) else { return false }
                    return status.tamperEvidence.contains { $0.community == "lianhua-east" && $0.height == 20 }
                        && status.health.reasons.first?.hasPrefix("TAMPER ALARM") == true
                }
            }
        }

        let statuses = await city.stopAll()
        #expect(statuses.allSatisfy { $0 == 0 })
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The cities' ports: 14,000-19,999, below the range the pilot and board
    /// tests take (20,000-31,999, by process ID; they run at the same time as
    /// these) and below Linux's ephemeral ports. Each city takes up to 1,500.
    static var basePort: Int { 14_000 + Int(getpid() % 4) * 1_500 }

    /// The heights of `other`'s checkpoints `c`'s chain recorded, as its validator serves them.
    static func anchored(_ other: PilotCommunity, in c: PilotCommunity) async throws -> [UInt64] {
        let items = try await c.anchored(other.community)
        // Each received one comes with its certificate, so a reader can check it (`anchors_from` does).
        #expect(items.allSatisfy { $0.checkpoint?.headerHash.hex == $0.headerHash })
        return items.map(\.height)
    }

    /// A gateway SIGKILLed while its neighbour passes a checkpoint, then
    /// restarted: it links up again and its community anchors the checkpoint
    /// it missed and the next one, each once.
    @Test func aGatewayKilledAndRestartedCatchesUp() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-city-\(UUID().uuidString.prefix(8))").path
        let city = try PilotCity(["lianhua-east", "pine-row"], root: root, binary: try CivitasBinary.locate(),
                                 basePort: Self.basePort + 900)
        try city.setUp()
        try city.startAll()
        defer { city.killAll() }
        for c in city.communities { try await c.waitUntilReady() }
        try await city.adopt()
        let (east, pine) = (city.communities[0], city.communities[1])
        func notices(_ n: Int, from start: Int) async throws {
            for i in start..<(start + n) {
                let s = try await east.submit(.notice(Notice(category: .general, title: "Notice \(i)", body: "Body \(i)")), as: "committee", to: 0)
                #expect(s.applied, "\(s)")
            }
        }
        // Height 20 (adoption + 19 notices): Pine Row anchors it.
        try await notices(19, from: 0)
        try await Self.waitFor("Pine Row anchors Lianhua East's checkpoint 20", on: pine.nodes[0]) { try await Self.anchored(east, in: pine).contains(20) }
        // Pine Row's gateway dies; Lianhua East passes 40 meanwhile.
        let gateway = try #require(pine.indices(of: .gateway).first)
        _ = await pine.stop(gateway, signal: SIGKILL)
        try await notices(20, from: 19)
        // Restarted, it links up again: the checkpoint it missed (40) is repaired
        // over the overlay, the next (60) arrives as usual, and none is recorded twice.
        try pine.start(gateway)
        try await notices(20, from: 39)
        try await Self.waitFor("Pine Row anchors Lianhua East's checkpoints 40 and 60", on: pine.nodes[0]) {
            let heights = try await Self.anchored(east, in: pine)
            return heights.contains(40) && heights.contains(60)
        }
        let heights = try await Self.anchored(east, in: pine)
        #expect(heights == [20, 40, 60], "\(heights)")
        #expect(await pine.status(0)?.tamperEvidence.isEmpty == true)
        let statuses = await city.stopAll()
        #expect(statuses.allSatisfy { $0 == 0 })
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A referral crosses the city while its neighbour is cut off: Lianhua
    /// East refers a case to Pine Row while Pine Row's gateway is down; when
    /// the gateway is back, the referral (sent again every 2 s here) is
    /// received, Pine Row answers, and Lianhua East records the receipt and
    /// the answer — each step once on each side, visible on both.
    @Test func aReferralMadeDuringAPartitionIsReceivedAndAnsweredOnceOnEachSide() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-city-\(UUID().uuidString.prefix(8))").path
        let city = try PilotCity(["lianhua-east", "pine-row"], root: root, binary: try CivitasBinary.locate(),
                                 basePort: Self.basePort + 450, referralResendSeconds: 2)
        try city.setUp()
        try city.startAll()
        defer { city.killAll() }
        for c in city.communities { try await c.waitUntilReady() }
        try await city.adopt()
        let (east, pine) = (city.communities[0], city.communities[1])

        // Pine Row is cut off from the city: its gateway is down.
        let gateway = try #require(pine.indices(of: .gateway).first)
        _ = await pine.stop(gateway, signal: SIGKILL)
        let made = try await east.submit(.referral(Referral(toCommunity: pine.community, kind: .request, reference: nil,
                                                            summary: "a plumber for No. 5, Building 2")), as: "committee", to: 0)
        #expect(made.applied, "\(made)")
        let id = made.transaction.id
        #expect(try await Self.referrals(east).first { $0.id == id.hex }?.status == "referred")

        // Back in the city: the referral arrives and is recorded as received.
        try pine.start(gateway)
        try await Self.waitFor("Pine Row receives Lianhua East's referral (logs in \(root)/*/*/node.log)", on: pine.nodes[0]) {
            try await Self.incoming(pine).contains { $0.id == id.hex }
        }
        let answer = try await pine.submit(.referralAnswer(ReferralAnswer(referral: id, fromCommunity: east.community, accepted: true,
                                                                          note: "Steady plumbers, Tuesday morning")), as: "elders", to: 0)
        #expect(answer.applied, "\(answer)")

        // Lianhua East records the receipt and the answer.
        try await Self.waitFor("Lianhua East records Pine Row's answer (logs in \(root)/*/*/node.log)", on: east.nodes[0]) {
            try await Self.referrals(east).first { $0.id == id.hex }?.status == "answered"
        }
        let referral = try #require(try await Self.referrals(east).first { $0.id == id.hex })
        #expect(referral.delivered != nil && referral.answer?.accepted == true && referral.answer?.note == "Steady plumbers, Tuesday morning")
        let received = try await Self.incoming(pine)
        #expect(received.count == 1 && received[0].status == "answered" && received[0].fromCommunity == "lianhua-east", "\(received)")
        #expect(received[0].answer?.transaction == answer.transaction.id.hex)
        // Each step once: one applied relay for the receipt in Pine Row's chain, one each for the receipt and the answer in Lianhua East's.
        #expect(try await Self.appliedRelays(in: pine) == 1)
        #expect(try await Self.appliedRelays(in: east) == 2)

        let statuses = await city.stopAll()
        #expect(statuses.allSatisfy { $0 == 0 })
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Any node can be given its chain's anchors: Lianhua East's validator,
    /// restarted with `[federation] anchors_from` naming Pine Row's node,
    /// fetches the checkpoint of its chain Pine Row recorded (with its
    /// certificate) and takes it — the anchor it then holds every block it
    /// syncs to. (Refusing a contradicting block is the core's, tested there.)
    @Test func aValidatorGivenANeighboursNodeTakesItsChainsAnchorsFromIt() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-city-\(UUID().uuidString.prefix(8))").path
        let city = try PilotCity(["lianhua-east", "pine-row"], root: root, binary: try CivitasBinary.locate(), basePort: Self.basePort + 450)
        try city.setUp()
        try city.startAll()
        defer { city.killAll() }
        for c in city.communities { try await c.waitUntilReady() }
        try await city.adopt()
        let (east, pine) = (city.communities[0], city.communities[1])
        for i in 0..<19 {
            let s = try await east.submit(.notice(Notice(category: .general, title: "Notice \(i)", body: "Body \(i)")), as: "committee", to: 0)
            #expect(s.applied, "\(s)")
        }
        try await Self.waitFor("Pine Row anchors Lianhua East's checkpoint 20", on: pine.nodes[0]) { try await Self.anchored(east, in: pine).contains(20) }
        #expect(await east.stop(0) == 0)
        try east.configure(0, section: "federation", key: "anchors_from", urls: [pine.nodes[0].clientURL])
        try east.start(0)
        try await east.waitUntilReady()
        // It asks before its links open, so by the time it is ready the fetch is logged.
        let log = east.nodes[0].directory + "/node.log"
        let line = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").last { $0.contains("anchors of this chain fetched") }
        let fetched = try #require(line.map(String.init), "no fetch logged in \(log)")
        #expect(fetched.contains("anchors=1") && fetched.contains("refused=0"), "\(fetched)")
        let statuses = await city.stopAll()
        #expect(statuses.allSatisfy { $0 == 0 })
        try? FileManager.default.removeItem(atPath: root)
    }

    /// `make demo` (`civitas demo city`) runs through and ends with its
    /// one line: 3 communities, each anchoring the other two's checkpoint 20,
    /// the referral answered, the alarm raised in both other communities.
    @Test func theCityDemoEndsWithItsFederationLine() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-demo-\(UUID().uuidString.prefix(8))").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CivitasBinary.locate())
        process.arguments = ["demo", "city", "--dir", root, "--base-port", "\(Self.basePort)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        let last = output.split(separator: "\n").last.map(String.init)
        #expect(last == "federation: 3 communities, 6 neighbour checkpoints anchored, 1 referrals answered, tamper alarms 2", "\(output)")
        try? FileManager.default.removeItem(atPath: root)
    }

    static func referrals(_ c: PilotCommunity) async throws -> [ReferralBody] { try await c.referrals() }
    static func incoming(_ c: PilotCommunity) async throws -> [IncomingReferralBody] { try await c.incomingReferrals() }

    /// Referral relays (kind 17) `c`'s chain applied, counted from its blocks.
    static func appliedRelays(in c: PilotCommunity) async throws -> Int {
        guard let status = await c.status(0), let client = NodeHTTPClient(base: c.nodes[0].clientURL) else {
            throw PilotFailure("\(c.community): no status")
        }
        var count = 0
        for height in 1...max(status.chain.height, 1) {
            let block = try JSONDecoder().decode(BlockBody.self, from: try await client.get("/v1/blocks/\(height)").body)
            for tx in block.transactions where tx.kind == "referralRelay" {
                if let id = Hash(hex: tx.id), try await c.transactionStatus(id, at: 0)?.applied == true { count += 1 }
            }
        }
        return count
    }

    /// Waits until `condition` holds on `node`'s chain: it is checked again
    /// each time the node applies a block (its board's event stream), for up
    /// to a minute; fails naming `what` otherwise.
    static func waitFor(_ what: String, on node: PilotNode, _ condition: () async throws -> Bool) async throws {
        let blocks = try BoardEventsTests.StreamClient(port: node.clientPort, path: "/v1/board/events")
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            // Counted before the check: a block applied meanwhile is a new event, so no wake-up is lost.
            let seen = blocks.blockEvents
            if try await condition() { return }
            let left = deadline - ContinuousClock.now
            guard left > .zero, await blocks.nextBlockEvent(after: seen, timeout: left) else {
                Issue.record("timed out: \(what)")
                return
            }
        }
    }
}
