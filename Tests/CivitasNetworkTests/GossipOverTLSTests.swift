import CivitasCodec
import CivitasGossip
import CivitasIdentity
import CivitasLedger
import CivitasNetwork
import CivitasGossipHarness
import Foundation
import Testing

/// The gossip cores on real TLS links: ten nodes on loopback that know only
/// one seed find each other and disseminate every payload to all.
@Suite(.serialized) struct GossipOverTLSTests {
    static let ward7 = CommunityID("ward-7")!

    @Test func tenNodesDiscoverEachOtherFromOneSeedAndDisseminateToAll() async throws {
        let lab = try NetworkLab("gossip10")
        var nodes: [GossipNode] = []
        var ids: [NodeID] = []
        var seedAddress = ""
        var membership = MembershipSettings()
        membership.probeInterval = GossipDuration.milliseconds(200)
        membership.syncInterval = GossipDuration.seconds(1)
        membership.seedBackoffInitial = GossipDuration.milliseconds(100)
        membership.targetPeers = 4
        for i in 0..<10 {
            let node = try lab.node(role: .validator)
            let transport = try lab.transport(node)
            let port = try await transport.listen(host: "127.0.0.1", port: 0)
            let address = "127.0.0.1:\(port)"
            if i == 0 { seedAddress = address }
            let record = PeerRecord(key: node.ledger, community: Self.ward7, role: .validator, addresses: [address],
                                    sequence: 1, time: Timestamp(lab.now.timeIntervalSince1970 * 1000))
            let gossip = GossipNode(transport: transport, record: record, seeds: i == 0 ? [] : [seedAddress],
                                    membershipSettings: membership, seed: UInt64(i + 1))
            await gossip.start()
            nodes.append(gossip)
            ids.append(node.nodeID)
        }

        // Discovery: every node learns all nine others, though each was told only of the seed.
        let deadline = Date().addingTimeInterval(120)
        var known: [Int] = []
        repeat {
            known = []
            for node in nodes { known.append(await node.liveMembers.count) }
            if known.allSatisfy({ $0 == 9 }) { break }
            try await Task.sleep(for: .milliseconds(50))
        } while Date() < deadline
        #expect(known.allSatisfy { $0 == 9 }, "members known per node: \(known)")
        for (i, node) in nodes.enumerated() {
            let linked = await node.linkedPeers
            #expect(!linked.isEmpty && !linked.contains(ids[i]), "node \(i) links: \(linked.count)")
        }

        // Dissemination: 20 payloads from three different nodes reach every other node exactly once.
        var published: [Int: [[UInt8]]] = [:]
        for n in 0..<20 {
            let from = [2, 5, 9][n % 3]
            let payload = Array("tx \(n) from node \(from)".utf8)
            await nodes[from].broadcast(topic: .communityTransactions, payload: payload)
            published[from, default: []].append(payload)
        }
        let all = Set(published.values.joined())
        let until = Date().addingTimeInterval(120)
        var counts: [Int] = []
        repeat {
            counts = []
            for node in nodes { counts.append(await node.deliveries.count) }
            let expected = (0..<10).map { i in 20 - (published[i]?.count ?? 0) }
            if counts == expected { break }
            try await Task.sleep(for: .milliseconds(50))
        } while Date() < until
        for (i, node) in nodes.enumerated() {
            let got = await node.deliveries.map(\.payload)
            let expected = all.subtracting(published[i] ?? [])
            #expect(Set(got) == expected, "node \(i) got \(got.count) of \(expected.count)")
            #expect(got.count == Set(got).count, "node \(i) was handed a payload twice")
        }
        for node in nodes { await node.stop() }
    }
}
