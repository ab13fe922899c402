import CivitasCodec
import CivitasGossip
import CivitasIdentity
import CivitasLedger
import CivitasNetwork
import CivitasGossipHarness
import Foundation
import Testing

/// Several communities on real TLS links: gateways link to other
/// communities' gateways and carry the city topics between them; every
/// other node stays inside its community, and its community's traffic too.
@Suite(.serialized) struct FederationOverTLSTests {
    struct Member {
        let node: NetworkLab.Node
        let community: CommunityID
        let role: NodeRole
        let gossip: GossipNode
        let address: String
    }

    static func settings() -> MembershipSettings {
        var membership = MembershipSettings()
        membership.probeInterval = GossipDuration.milliseconds(200)
        membership.syncInterval = GossipDuration.seconds(1)
        membership.seedBackoffInitial = GossipDuration.milliseconds(100)
        membership.targetPeers = 4
        return membership
    }

    static func start(_ lab: NetworkLab, community name: String, role: NodeRole, seeds: [String], index: Int,
                      book: AddressBookFile? = nil) async throws -> Member {
        let community = CommunityID(name)!
        let node = try lab.node(name, role: role)
        let transport = try lab.transport(node, requirements: .node(of: community, role: role))
        let port = try await transport.listen(host: "127.0.0.1", port: 0)
        let address = "127.0.0.1:\(port)"
        let record = PeerRecord(key: node.ledger, community: community, role: role, addresses: [address],
                                sequence: 1, time: Timestamp(lab.now.timeIntervalSince1970 * 1000))
        let gossip = GossipNode(transport: transport, record: record, seeds: seeds, membershipSettings: settings(),
                                addressBook: book, seed: UInt64(index + 1))
        await gossip.start()
        return Member(node: node, community: community, role: role, gossip: gossip, address: address)
    }

    /// Polls `condition` for up to `seconds`; true if it came to hold.
    static func eventually(_ seconds: Double = 120, _ condition: () async -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        } while Date() < deadline
        return await condition()
    }

    @Test func gatewaysCarryCityTopicsBetweenCommunitiesAndCommunityTrafficStaysHome() async throws {
        let names = ["ward-7", "ward-8", "ward-9"]
        let lab = try NetworkLab("federation", communities: names)
        var members: [Member] = []
        var firstGateway = ""
        for (c, name) in names.enumerated() {
            // The gateway seeds its community; the other gateways also know the first community's gateway.
            let gateway = try await Self.start(lab, community: name, role: .gateway, seeds: c == 0 ? [] : [firstGateway], index: c * 10)
            if c == 0 { firstGateway = gateway.address }
            members.append(gateway)
            for i in 1...2 {
                members.append(try await Self.start(lab, community: name, role: i == 1 ? .validator : .observer,
                                                    seeds: [gateway.address], index: c * 10 + i))
            }
        }
        let byID = Dictionary(uniqueKeysWithValues: members.map { ($0.node.nodeID, $0) })

        // Membership: each node knows its community; a gateway also knows the other gateways.
        let converged = try await Self.eventually {
            for m in members {
                let live = Set(await m.gossip.liveMembers)
                var expected = Set(members.filter { $0.community == m.community }.map(\.node.nodeID))
                if m.role == .gateway { expected.formUnion(members.filter { $0.role == .gateway }.map(\.node.nodeID)) }
                expected.remove(m.node.nodeID)
                if live != expected { return false }
            }
            return true
        }
        #expect(converged, "membership did not converge to communities plus the gateways' city view")
        for m in members {
            let foreign = await m.gossip.linkedPeers.filter { byID[$0]?.community != m.community }
            if m.role == .gateway {
                #expect(!foreign.isEmpty, "gateway of \(m.community) has no link to another community")
                #expect(foreign.allSatisfy { byID[$0]?.role == .gateway }, "a gateway linked to a foreign non-gateway")
            } else {
                #expect(foreign.isEmpty, "a \(m.role) of \(m.community) linked outside its community: \(foreign)")
            }
        }

        // City topic: a checkpoint published by ward-9's gateway reaches the other gateways, only them.
        let checkpoint = Array("checkpoint ward-9 height 42".utf8)
        let gateways = members.filter { $0.role == .gateway }
        await gateways[2].gossip.broadcast(topic: .cityCheckpoints, payload: checkpoint)
        let cityDelivered = try await Self.eventually {
            for g in gateways.prefix(2) where await !g.gossip.deliveries.contains(where: { $0.payload == checkpoint }) { return false }
            return true
        }
        #expect(cityDelivered, "the checkpoint did not reach every other gateway")

        // Community topic: a ward-8 transaction reaches ward-8's nodes and no one else.
        let tx = Array("tx in ward-8".utf8)
        let ward8 = members.filter { $0.community == CommunityID("ward-8")! }
        await ward8[1].gossip.broadcast(topic: .communityTransactions, payload: tx)
        let communityDelivered = try await Self.eventually {
            for m in ward8 where m.node.nodeID != ward8[1].node.nodeID {
                if await !m.gossip.deliveries.contains(where: { $0.payload == tx }) { return false }
            }
            return true
        }
        #expect(communityDelivered, "the transaction did not reach every ward-8 node")
        try await Task.sleep(for: .milliseconds(500)) // room for a stray copy to arrive
        for m in members {
            let got = await m.gossip.deliveries
            let sawTx = got.contains { $0.payload == tx }
            let sawCheckpoint = got.contains { $0.payload == checkpoint }
            if m.community != CommunityID("ward-8")! { #expect(!sawTx, "\(m.role) of \(m.community) got ward-8's transaction") }
            if m.role != .gateway { #expect(!sawCheckpoint, "\(m.role) of \(m.community) got a city checkpoint") }
            #expect(got.count == Set(got.map(\.id)).count, "a payload was delivered twice")
        }

        // The TLS layer itself refuses a cross-community link between non-gateways.
        let outsider = members.first { $0.community == CommunityID("ward-7")! && $0.role == .validator }!
        let target = ward8.first { $0.role == .validator }!
        let colon = target.address.lastIndex(of: ":")!
        await #expect(throws: LinkRejection.self) {
            _ = try await outsider.gossip.transport.connect(host: "127.0.0.1", port: Int(target.address[target.address.index(after: colon)...])!)
        }
        for m in members { await m.gossip.stop() }
    }

    @Test func aRestartedNodeFindsItsPeersFromTheSavedAddressBookWithoutSeeds() async throws {
        let lab = try NetworkLab("book")
        let bookPath = lab.directory.appendingPathComponent("peers.book").path
        var members: [Member] = []
        for i in 0..<3 {
            members.append(try await Self.start(lab, community: "ward-7", role: .validator,
                                                seeds: i == 0 ? [] : [members[0].address], index: i))
        }
        let late = try await Self.start(lab, community: "ward-7", role: .observer, seeds: [members[0].address], index: 3,
                                        book: AddressBookFile(path: bookPath))
        #expect(try await Self.eventually { await late.gossip.liveMembers.count == 3 }, "the observer did not find the community")
        await late.gossip.stop() // saves the book
        let saved = try AddressBookFile(path: bookPath).load()
        #expect(Set(saved.entries.map(\.record.nodeID)) == Set(members.map(\.node.nodeID)))

        // The seed goes away; the observer restarts with no seeds at all and finds the others from its book.
        await members[0].gossip.stop()
        let transport = try lab.transport(late.node, requirements: .sameCommunity(CommunityID("ward-7")!))
        let port = try await transport.listen(host: "127.0.0.1", port: 0)
        let record = PeerRecord(key: late.node.ledger, community: CommunityID("ward-7")!, role: .observer,
                                addresses: ["127.0.0.1:\(port)"], sequence: 2, time: Timestamp(lab.now.timeIntervalSince1970 * 1000))
        let restarted = GossipNode(transport: transport, record: record, seeds: [], membershipSettings: Self.settings(),
                                   addressBook: AddressBookFile(path: bookPath), seed: 99)
        await restarted.start()
        let others = Set(members.dropFirst().map(\.node.nodeID))
        #expect(try await Self.eventually { others.isSubset(of: Set(await restarted.linkedPeers)) },
                "the restarted node did not reconnect from its address book")
        await restarted.stop()
        for m in members.dropFirst() { await m.gossip.stop() }
    }
}
