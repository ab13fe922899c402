import CivitasLedger
import CivitasNode
import CivitasPilot
import CivitasTestSupport
import Foundation
import Testing

/// A running city grows, as docs/federation.md ("Adding a community to a
/// running federation") tells an operator to do it: real processes over TLS,
/// no node restarted.
@Suite(.serialized) struct FederationGrowthTests {
    /// Two communities anchor each other; a third joins without a restart of
    /// theirs: `federation add` (the sequence rises by one), the gateways'
    /// bundles written again and reloaded (SIGHUP: they link to the
    /// newcomer's gateway), the newcomer started and its committee adopting
    /// the new version. Until the old communities adopt it too, their
    /// replicas refuse the newcomer's checkpoints; once they have, they
    /// anchor its checkpoint 20, and the newcomer anchors their next ones.
    @Test func aCommunityJoinsARunningCityWithoutARestart() async throws {
        let root = Self.root()
        let city = try PilotCity(["lianhua-east", "pine-row"], root: root, binary: try CivitasBinary.locate(), basePort: Self.basePort)
        defer { city.killAll() }
        try await Self.anchoringEachOther(city, root: root)
        let (east, pine) = (city.communities[0], city.communities[1])
        let running = Self.processIDs(city)

        // Hehua North joins: the document's next version, every gateway reloaded, the newcomer started.
        let sequence = try city.currentDocument().sequence
        let north = try city.add("hehua-north")
        #expect(try city.currentDocument().sequence == sequence + 1)
        try north.startAll()
        try await north.waitUntilReady()
        for c in [east, pine] { try await Self.linked(c, to: north) }
        try await city.adopt(in: [north])
        _ = try await north.waitForAgreement()

        // Before they adopt the new version, the old communities' replicas
        // refuse North's certified head (here its block 10, submitted by hand).
        try await Self.notices(9, in: north)
        let early = try await Self.checkpoint(10, of: north)
        for c in [east, pine] {
            let refused = try await c.submit(.checkpoint(early), as: "committee", to: 0)
            #expect(!refused.applied && refused.reason?.contains("does not verify against federation document \(sequence)") == true,
                    "\(c.community): \(refused)")
        }

        // They adopt it: they anchor North's checkpoint 20, and North their next ones (40).
        try await city.adopt(in: [east, pine])
        for c in [east, pine] { _ = try await c.waitForAgreement() }  // their gateways hold the new version
        try await Self.notices(10, in: north)
        for c in [east, pine] { try await Self.notices(19, in: c) }
        for (c, other, height) in [(east, north, 20), (pine, north, 20), (north, east, 40), (north, pine, 40)] as [(PilotCommunity, PilotCommunity, UInt64)] {
            try await Self.waitFor("\(c.community) anchors \(other.community)'s checkpoint \(height) (logs in \(root)/*/*/node.log)",
                                   on: c.nodes[0]) { try await Self.anchored(other, in: c).contains(height) }
        }
        for c in [east, pine] { #expect(try await Self.anchored(north, in: c) == [20], "\(c.community)") }
        #expect(Self.processIDs(city).filter { running.keys.contains($0.key) } == running, "a node of the old communities restarted")
        for c in city.communities { #expect(await c.status(0)?.tamperEvidence.isEmpty == true, "\(c.community)") }

        let statuses = await city.stopAll()
        #expect(statuses.count == 6 && statuses.allSatisfy { $0 == 0 }, "\(statuses)")
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A newcomer's checkpoint published before an old community's
    /// committee adopted the version that lists the newcomer: the overlay's
    /// check refuses it then (not in the adopted document) but does not
    /// remember it, and the newcomer's gateway announces its recent
    /// checkpoints again (every 30 s), so once the old community has adopted
    /// it anchors that checkpoint too, not only the next one.
    @Test func aCheckpointMadeBeforeANeighbourAdoptedIsAnchoredThereOnceItAdopts() async throws {
        let root = Self.root()
        let city = try PilotCity(["lianhua-east", "pine-row"], root: root, binary: try CivitasBinary.locate(), basePort: Self.basePort)
        defer { city.killAll() }
        try await Self.anchoringEachOther(city, root: root)
        let east = city.communities[0]
        let north = try city.add("hehua-north")
        try north.startAll()
        try await north.waitUntilReady()
        try await Self.linked(east, to: north)
        try await city.adopt(in: [north])
        _ = try await north.waitForAgreement()
        // North's checkpoint 20 goes out while Lianhua East holds the old version; then East adopts, and North reaches 40.
        try await Self.notices(19, in: north)
        try await city.adopt(in: [east])
        _ = try await east.waitForAgreement()
        try await Self.notices(20, in: north)
        try await Self.waitFor("lianhua-east anchors hehua-north's checkpoints 20 and 40 (logs in \(root)/*/*/node.log)", on: east.nodes[0]) {
            let heights = try await Self.anchored(north, in: east)
            return heights.contains(20) && heights.contains(40)
        }
        #expect(try await Self.anchored(north, in: east) == [20, 40])
        let statuses = await city.stopAll()
        #expect(statuses.count == 6 && statuses.allSatisfy { $0 == 0 }, "\(statuses)")
        try? FileManager.default.removeItem(atPath: root)
    }

    static func root() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("civitas-growth-\(UUID().uuidString.prefix(8))").path
    }

    /// `city` set up and running, its document adopted everywhere, each community at height 20 having anchored the others' checkpoint 20.
    static func anchoringEachOther(_ city: PilotCity, root: String) async throws {
        try city.setUp()
        try city.startAll()
        for c in city.communities { try await c.waitUntilReady() }
        try await city.adopt()
        for c in city.communities { try await Self.notices(19, in: c) }
        for c in city.communities {
            for other in city.communities where other.community != c.community {
                try await Self.waitFor("\(c.community) anchors \(other.community)'s checkpoint 20 (logs in \(root)/*/*/node.log)",
                                       on: c.nodes[0]) { try await Self.anchored(other, in: c).contains(20) }
            }
        }
    }

    /// Waits (up to 30 s) until `c`'s gateway has a link to `other`'s gateway: its trust took `other`'s CA.
    static func linked(_ c: PilotCommunity, to other: PilotCommunity) async throws {
        let gateway = try #require(c.indices(of: .gateway).first)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if await c.status(gateway)?.peers.contains(where: { $0.community == other.community.name && $0.role == "gateway" }) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(c.community)'s gateway did not link to \(other.community)'s (logs in \(c.root)/*/node.log)")
    }

    /// The city's ports: 10,000-13,999, below those of the other city tests
    /// (14,000-19,999), which run beside this one. A city of three takes 900.
    static var basePort: Int { 10_000 + Int(getpid() % 4) * 900 }

    /// `n` notices by `c`'s committee, each applied.
    static func notices(_ n: Int, in c: PilotCommunity) async throws {
        for i in 0..<n {
            let s = try await c.submit(.notice(Notice(category: .general, title: "Notice \(i)", body: "Body \(i)")), as: "committee", to: 0)
            #expect(s.applied, "\(c.community): \(s)")
        }
    }

    /// Every running node's process ID, by community and node name.
    static func processIDs(_ city: PilotCity) -> [String: Int32] {
        var ids: [String: Int32] = [:]
        for c in city.communities {
            for i in c.nodes.indices { ids["\(c.community.name)/\(c.nodes[i].name)"] = c.processID(i) }
        }
        return ids
    }

    /// `c`'s checkpoint at `height` as its validator serves the block: the header hash and the commit certificate.
    static func checkpoint(_ height: UInt64, of c: PilotCommunity) async throws -> Checkpoint {
        guard let client = NodeHTTPClient(base: c.nodes[0].clientURL) else { throw PilotFailure("bad URL") }
        let block = try JSONDecoder().decode(BlockBody.self, from: try await client.get("/v1/blocks/\(height)").body)
        let genesis = try GenesisDocument(encoded: [UInt8](try Data(contentsOf: URL(fileURLWithPath: c.root + "/genesis.civ"))))
        let votes = try block.votes.map { vote in
            guard let signature = Signature(hex: vote.signature) else { throw PilotFailure("bad signature \(vote.signature)") }
            return BlockVote(validator: vote.validator, signature: signature)
        }
        guard let hash = Hash(hex: block.hash) else { throw PilotFailure("bad hash \(block.hash)") }
        return Checkpoint(community: c.community, genesisHash: genesis.hash,
                          certificate: CommitCertificate(height: height, headerHash: hash, votes: votes))
    }

    static func anchored(_ other: PilotCommunity, in c: PilotCommunity) async throws -> [UInt64] {
        try await FederationProcessTests.anchored(other, in: c)
    }

    static func waitFor(_ what: String, on node: PilotNode, _ condition: () async throws -> Bool) async throws {
        try await FederationProcessTests.waitFor(what, on: node, condition)
    }
}
