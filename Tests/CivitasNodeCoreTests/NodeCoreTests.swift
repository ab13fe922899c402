import CivitasCodec
import CivitasGossip
import CivitasLedger
@testable import CivitasNodeCore
import CivitasRaft
import Testing

/// The node core in a lossless in-memory community: three validators and an
/// observer, every message delivered at once, consensus messages directly and
/// gossip (membership, Plumtree, block sync) over the links the cores dial.
/// The campaign under faults is `NodeCampaignTests` (CivitasSimulationTests);
/// these pin single behaviours.
@Suite("Node core")
struct NodeCoreTests {
    /// A community whose nodes join from seeds and link as their cores ask.
    struct Community {
        var nodes: [NodeCore]
        var stored: [[SealedBlock]]
        var nonces: [[PublicKey: UInt64]]
        var now: Timestamp = 1_000_000
        let genesis: GenesisDocument
        /// Open links, by node index (both directions).
        var links: Set<[Int]> = []
        /// Gossip messages delivered, per receiving node.
        var gossipReceived: [[GossipMessage]]

        static func address(_ i: Int) -> String { "node-\(i):7000" }

        /// `seeds(i)`: the nodes node `i` joins through (by default the validators).
        init(interval: UInt64 = 100, maxTransactions: UInt32 = 2_000, maxBytes: UInt32 = 1 << 20,
             settings: NodeCoreSettings = NodeCoreSettings(), seeds: (Int) -> [Int] = { _ in [0, 1, 2] },
             fourthIsLearner: Bool = false) {
            let validators = (0..<3).map { Fixtures.key(100 + UInt8($0)) }
            let observer = Fixtures.key(110)
            genesis = GenesisDocument(
                community: Fixtures.community, time: 1_000_000,
                validators: validators.enumerated().map { ValidatorEntry(name: "v\($0.offset)", subject: Fixtures.key(120).publicKey, nodeKey: $0.element.publicKey) },
                registrars: [], subjects: [],
                parameters: GenesisParameters(maxBlockTransactions: maxTransactions, maxBlockBytes: maxBytes, blockInterval: interval))
            var nodes: [NodeCore] = []
            // A learner is configured on every validator and on itself (node.toml's [raft] learners).
            let learnerKeys = fourthIsLearner ? [observer.publicKey] : []
            for (i, key) in (validators + [observer]).enumerated() {
                let role: NodeCoreRole = i < 3 ? .validator : fourthIsLearner ? .learner : .observer
                let record = PeerRecord(key: key, community: Fixtures.community, role: role == .observer ? .observer : .validator,
                                        addresses: [Self.address(i)], sequence: 1, time: 1_000_000)
                let gossip = NodeGossipConfiguration(record: record, seeds: seeds(i).map(Self.address))
                let configuration = NodeCoreConfiguration(genesis: genesis, nodeKey: key, role: role, learnerKeys: learnerKeys,
                                                          settings: settings, gossip: gossip)
                nodes.append(NodeCore(configuration: configuration, applied: .genesis(genesis), restoring: nil, now: now, seed: UInt64(i)))
            }
            self.nodes = nodes
            stored = Array(repeating: [], count: nodes.count)
            nonces = Array(repeating: [:], count: nodes.count)
            gossipReceived = Array(repeating: [], count: nodes.count)
        }

        func linked(_ i: Int, _ j: Int) -> Bool { links.contains([min(i, j), max(i, j)]) }

        func view(_ i: Int) -> StubView { StubView(nonces: nonces[i]) }
        func id(_ i: Int) -> NodeID { NodeID(deriving: nodes[i].configuration.nodeKey.publicKey) }

        /// Carries every output until the community is quiet.
        mutating func settle() {
            var busy = true
            var rounds = 0
            while busy && rounds < 10_000 {
                busy = false
                rounds += 1
                for i in nodes.indices {
                    let out = nodes[i].poll()
                    if out.isEmpty { continue }
                    busy = true
                    for m in out.raft?.messages ?? [] {
                        if let to = nodes[i].node(of: m.to), let j = index(of: to) {
                            nodes[j].receive(.raft(m), from: id(i), view: view(j))
                        }
                    }
                    for (to, message) in out.sends { if let j = index(of: to) { nodes[j].receive(message, from: id(i), view: view(j)) } }
                    for (to, message) in out.gossipSends {
                        guard let j = index(of: to), linked(i, j) else { continue }
                        gossipReceived[j].append(message)
                        if case let .blockRequest(requestID, start, count) = message {
                            let blocks = stored[j].filter { $0.height >= start && $0.height < start + UInt64(count) }
                            gossipReceived[i].append(.blockResponse(requestID: requestID, blocks: blocks))
                            nodes[i].receive(gossip: .blockResponse(requestID: requestID, blocks: blocks), from: id(j), view: view(i))
                        } else {
                            nodes[j].receive(gossip: message, from: id(i), view: view(j))
                        }
                    }
                    for (address, node) in out.dials {
                        // Every dial succeeds at once unless a link is already open (then it is kept).
                        guard let j = nodes.indices.first(where: { Self.address($0) == address }), j != i else {
                            nodes[i].dialFailed(address: address, node: node)
                            continue
                        }
                        guard !linked(i, j) else { continue }
                        links.insert([min(i, j), max(i, j)])
                        nodes[i].peerUp(id(j), address: address)
                        nodes[j].peerUp(id(i))
                    }
                    for (peer, _) in out.disconnects {
                        guard let j = index(of: peer), links.remove([min(i, j), max(i, j)]) != nil else { continue }
                        nodes[i].peerDown(peer)
                        nodes[j].peerDown(id(i))
                    }
                    for block in out.apply {
                        stored[i].append(block)
                        for tx in block.block.transactions where tx.nonce == nonces[i][tx.signer, default: 0] + 1 {
                            nonces[i][tx.signer] = tx.nonce
                        }
                    }
                    if !out.apply.isEmpty { nodes[i].applied(out.apply, view: view(i)) }
                    if out.raft != nil { nodes[i].raftPersisted(view: view(i)) }
                }
            }
        }

        func index(of node: NodeID) -> Int? { nodes.indices.first { id($0) == node } }

        /// Advances time in 10 ms steps.
        mutating func run(millis: UInt64) {
            for _ in 0..<(millis / 10) {
                now += 10
                for i in nodes.indices { nodes[i].tick(now: now, view: view(i)) }
                settle()
            }
        }

        var leader: Int? { (0..<3).first { nodes[$0].isLeader } }
    }

    /// A configured learner is added to Raft by the leader, replicates the
    /// log and builds and applies every block, but never votes: certificates
    /// hold validators' votes only, and it never leads.
    @Test func aLearnerJoinsRaftBuildsEveryBlockAndNeverVotes() throws {
        var c = Community(fourthIsLearner: true)
        c.run(millis: 3_000)
        let leader = try #require(c.leader)
        let learnerReplica = NodeCoreConfiguration.learnerBase
        #expect(c.nodes[leader].raft?.configuration.isLearner(learnerReplica) == true, "the leader added the configured learner")
        #expect(c.nodes[3].raft != nil, "the learner runs Raft")
        var submitted: [Transaction] = []
        for n in 1...20 {
            let tx = Fixtures.tx(Fixtures.key(UInt8(1 + (n - 1) % 4)), UInt64(1 + (n - 1) / 4))
            submitted.append(tx)
            _ = c.nodes[n % 4].submit(tx, view: c.view(n % 4))
            c.run(millis: 50)
        }
        c.run(millis: 1_000)
        #expect(c.stored[3].flatMap(\.block.transactions).count == submitted.count, "the learner applied every transaction")
        #expect(c.stored[3].map(\.header.hash) == c.stored[leader].map(\.header.hash), "the learner applied the leader's chain")
        for block in c.stored.flatMap({ $0 }) {
            #expect(block.certificate.votes.allSatisfy { $0.validator < 3 }, "block \(block.height) holds a vote by a non-validator")
            try block.verify(validators: c.genesis.validatorKeys)
        }
        #expect(!c.nodes[3].isLeader)
    }

    @Test func aTransactionSubmittedToTheObserverIsCommittedSealedAndAppliedEverywhere() throws {
        var c = Community()
        c.run(millis: 3_000)
        #expect(c.leader != nil)
        let tx = Fixtures.tx(Fixtures.key(1), 1)
        #expect(c.nodes[3].submit(tx, view: c.view(3)) == .admitted(id: tx.id, displaced: []))
        c.run(millis: 500)
        for i in c.nodes.indices {
            let block = try #require(c.stored[i].last, "node \(i) applied nothing")
            #expect(block.block.transactions == [tx])
            try block.verify(validators: c.genesis.validatorKeys)
            #expect(c.nodes[i].mempool.count == 0, "node \(i) still holds the committed transaction")
        }
        #expect(Set(c.stored.map { $0.map(\.header.hash) }).count == 1, "nodes applied different chains")
    }

    @Test func aNodeThatKnowsOneSeedDiscoversTheCommunityAndReceivesBlocksByPlumtree() throws {
        // The observer is told of validator 0 only; the validators know each other.
        var c = Community(seeds: { $0 == 3 ? [0] : [0, 1, 2] })
        c.run(millis: 3_000)
        #expect(Set(c.nodes[3].liveMembers) == Set((0..<3).map { c.id($0) }), "the observer learnt every validator through its seed")
        #expect(c.linked(3, 1) && c.linked(3, 2), "and linked to validators it was never told of")
        #expect(Set(c.nodes[3].addressBook.entries.map(\.record.nodeID)) == Set((0..<3).map { c.id($0) }))
        let leader = try #require(c.leader)
        let other = (0..<3).first { $0 != leader && $0 != 0 }!
        let tx = Fixtures.tx(Fixtures.key(6), 1)
        #expect(c.nodes[other].submit(tx, view: c.view(other)) == .admitted(id: tx.id, displaced: []))
        c.run(millis: 500)
        let block = try #require(c.stored[3].last, "the observer applied nothing")
        #expect(block.block.transactions == [tx])
        // The block reached the observer as a Plumtree payload, not by block sync.
        let disseminated = c.gossipReceived[3].contains {
            guard case let .gossip(topic, _, _, payload) = $0, topic == .communityBlocks else { return false }
            return (try? SealedBlock(encoded: payload))?.header.hash == block.header.hash
        }
        #expect(disseminated)
        let fetched = c.gossipReceived[3].contains { if case let .blockResponse(_, blocks) = $0 { !blocks.isEmpty } else { false } }
        #expect(!fetched)
    }

    @Test func aTransactionThatMissedTheCommunityIsOfferedAgainAsANewPayload() throws {
        // The observer knows no seed and nobody knows it: what it admits reaches nobody.
        var c = Community(seeds: { $0 == 3 ? [] : [0, 1, 2] })
        c.run(millis: 3_000)
        let tx = Fixtures.tx(Fixtures.key(7), 1)
        #expect(c.nodes[3].submit(tx, view: c.view(3)) == .admitted(id: tx.id, displaced: []))
        // Longer than Plumtree's anti-entropy window (10 s): no digest will name the first payload.
        c.run(millis: 11_000)
        #expect(c.stored[0].isEmpty)
        c.links.insert([0, 3])
        c.nodes[0].peerUp(c.id(3))
        c.nodes[3].peerUp(c.id(0), address: Community.address(0))
        c.run(millis: 4_000)
        #expect(c.stored[3].last?.block.transactions == [tx], "offered again, the transaction was committed")
        let offered = c.gossipReceived[0].contains {
            guard case let .gossip(topic, _, _, payload) = $0, topic == .communityTransactions else { return false }
            return (try? TransactionOffer(encoded: payload))?.transactions == [tx]
        }
        #expect(offered, "the re-offer travelled as a TransactionOffer")
    }

    @Test func theLeaderCutsAFullBlockAtOnceAndWaitsTheIntervalOtherwise() throws {
        var c = Community(interval: 10_000, maxTransactions: 5)
        c.run(millis: 3_000)
        let leader = try #require(c.leader)
        let key = Fixtures.key(2)
        for n in 1...4 { _ = c.nodes[leader].submit(Fixtures.tx(key, UInt64(n)), view: c.view(leader)) }
        c.run(millis: 1_000)
        #expect(c.stored[leader].isEmpty, "four of five transactions: no block before the 10 s interval")
        _ = c.nodes[leader].submit(Fixtures.tx(key, 5), view: c.view(leader))
        c.settle()
        #expect(c.stored[leader].last?.block.transactions.count == 5, "the fifth fills the block: cut at once")
        _ = c.nodes[leader].submit(Fixtures.tx(key, 6), view: c.view(leader))
        c.run(millis: 9_000)
        #expect(c.stored[leader].count == 1)
        c.run(millis: 1_500)
        #expect(c.stored[leader].count == 2, "the interval passed: the lone transaction is cut")
    }

    @Test func aNodesOwnBlockLimitsCutSmallerBlocksButNeverLargerThanGenesis() throws {
        var local = NodeCoreSettings()
        local.maxBlockTransactions = 3
        var c = Community(interval: 60_000, maxTransactions: 50, settings: local)
        c.run(millis: 3_000)
        let leader = try #require(c.leader)
        let key = Fixtures.key(5)
        for n in 1...3 { _ = c.nodes[leader].submit(Fixtures.tx(key, UInt64(n)), view: c.view(leader)) }
        c.settle()
        #expect(c.stored[leader].last?.block.transactions.count == 3, "the local limit of 3 is a full block")
        var generous = NodeCoreSettings()
        generous.maxBlockTransactions = 500
        var d = Community(interval: 60_000, maxTransactions: 4, settings: generous)
        d.run(millis: 3_000)
        let l = try #require(d.leader)
        for n in 1...6 { _ = d.nodes[l].submit(Fixtures.tx(key, UInt64(n)), view: d.view(l)) }
        d.settle()
        #expect(d.stored[l].first?.block.transactions.count == 4, "genesis caps a larger local limit")
    }

    @Test func theLeaderCutsByBytes() throws {
        // A block is full when another transaction of the largest admissible size (64 KiB) would not fit.
        var c = Community(interval: 60_000, maxBytes: 70_000)
        c.run(millis: 3_000)
        let leader = try #require(c.leader)
        let key = Fixtures.key(3)
        let text = String(repeating: "x", count: 900)
        _ = c.nodes[leader].submit(Fixtures.tx(key, 1, Fixtures.request(text)), view: c.view(leader))
        c.run(millis: 500)
        #expect(c.stored[leader].isEmpty, "one 1 KB transaction leaves room: no block yet")
        for n in 2...6 { _ = c.nodes[leader].submit(Fixtures.tx(key, UInt64(n), Fixtures.request(text)), view: c.view(leader)) }
        c.settle()
        let block = try #require(c.stored[leader].last, "past 70,000 - 65,536 bytes the block is cut at once")
        #expect(block.block.transactions.count < 6 && block.block.transactions.count >= 4)
    }

    @Test func anObserverRefusesASealedBlockWithoutAValidCertificate() throws {
        var c = Community()
        c.run(millis: 3_000)
        let block = Block(community: Fixtures.community, height: 1, previous: c.genesis.hash, time: c.now, proposer: 0,
                          transactions: [Fixtures.tx(Fixtures.key(4), 1)])
        // Signed by two keys that are not validators.
        let votes = [BlockVote(index: 0, key: Fixtures.key(50), headerHash: block.header.hash),
                     BlockVote(index: 1, key: Fixtures.key(51), headerHash: block.header.hash)]
        let forged = SealedBlock(block: block, certificate: CommitCertificate(height: 1, headerHash: block.header.hash, votes: votes))
        c.nodes[3].receive(sealed: forged, from: c.id(0))
        let out = c.nodes[3].poll()
        #expect(out.apply.isEmpty)
        #expect(out.events.contains { if case .refused = $0 { true } else { false } })
        #expect(c.nodes[3].applied.height == 0)
    }

    @Test func aVoteSentByAnotherNodeThanItsValidatorIsRefused() throws {
        var c = Community()
        c.run(millis: 3_000)
        let hash = Hashing.sha256([1, 2, 3])
        let vote = VoteMessage(height: 1, headerHash: hash, vote: BlockVote(index: 1, key: c.nodes[1].configuration.nodeKey, headerHash: hash))
        // Validator 1's genuine vote, relayed by the observer: refused (votes travel directly from their validator).
        c.nodes[0].receive(.vote(vote), from: c.id(3), view: c.view(0))
        #expect(c.nodes[0].poll().events.contains { if case .refused = $0 { true } else { false } })
    }

    /// A node restarted from an old chain cannot tell which nonces the
    /// blocks it has not applied used: it refuses submissions, saying why,
    /// until it has heard its peers' height and caught up to it.
    @Test func aNodeBehindTheChainRefusesSubmissionsUntilItCatchesUp() throws {
        var c = Community()
        c.run(millis: 3_000)
        let key = Fixtures.key(8)
        for n in 1...6 {
            _ = c.nodes[0].submit(Fixtures.tx(key, UInt64(n)), view: c.view(0))
            c.run(millis: 300)
        }
        let top = c.stored[0].count
        #expect(top >= 2 && c.nodes[3].notReadyForSubmissions == nil)
        // The observer restarts with its disk from before those blocks, no links yet.
        c.links = c.links.filter { !$0.contains(3) }
        for i in 0..<3 { c.nodes[i].peerDown(c.id(3)) }
        c.nodes[3] = NodeCore(configuration: c.nodes[3].configuration, applied: .genesis(c.genesis), restoring: nil, now: c.now, seed: 33)
        c.stored[3] = []
        c.nonces[3] = [:]
        let fresh = try #require(c.nodes[3].notReadyForSubmissions)
        #expect(fresh.contains("has not yet heard the chain's height"))
        c.nodes[3].receive(gossip: .chainStatus(height: UInt64(top), head: c.stored[0].last!.header.hash), from: c.id(0), view: c.view(3))
        let behind = try #require(c.nodes[3].notReadyForSubmissions)
        #expect(behind.contains("behind the chain (at height 0, peers are at \(top))"))
        c.run(millis: 3_000)
        #expect(c.stored[3].count == top, "the observer caught up")
        #expect(c.nodes[3].notReadyForSubmissions == nil)
    }
}
