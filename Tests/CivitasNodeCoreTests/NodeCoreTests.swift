import CivitasCodec
import CivitasGossip
import CivitasGovernance
import CivitasLedger
@testable import CivitasNodeCore
import CivitasRaft
import Testing

/// Whole nodes — the node driver over the core — in a lossless in-memory
/// community: three validators and an observer, every message delivered at
/// once, consensus messages directly and gossip (membership, Plumtree, block
/// sync) over the links the cores dial. The campaign under faults is
/// `NodeCampaignTests` (CivitasSimulationTests); these pin single behaviours.
@Suite("Node core")
struct NodeCoreTests {
    /// A community whose nodes join from seeds and link as their cores ask.
    struct Community {
        var drivers: [NodeDriver<LosslessEnvironment>]
        let clock = LosslessEnvironment.Clock()
        let genesis: GenesisDocument
        /// Open links, by node index (both directions).
        var links: Set<[Int]> = []
        /// What nodes (re)started by `restartEmpty` find adopted, and the anchoring keys they sign with, by node.
        var federation: FederationDocument?
        var anchoringKeys: [Int: SigningKey] = [:]
        /// Gossip sent to nodes outside the community (a gateway's city peers), in order.
        var leftTheCommunity: [(to: NodeID, message: GossipMessage)] = []
        /// Nodes cut off: what they send and what is sent to them is lost.
        var isolated: Set<Int> = []
        /// Nodes whose gossip (transactions offered, blocks) is lost on the way out; their consensus messages pass.
        var gossipMuted: Set<Int> = []

        static func address(_ i: Int) -> String { "node-\(i):7000" }

        /// `seeds(i)`: the nodes node `i` joins through (by default the validators).
        init(interval: UInt64 = 100, maxTransactions: UInt32 = 2_000, maxBytes: UInt32 = 1 << 20,
             settings: NodeCoreSettings = NodeCoreSettings(), seeds: (Int) -> [Int] = { _ in [0, 1, 2] },
             fourthIsLearner: Bool = false, fourthIsGateway: Bool = false, checkpointInterval: UInt64 = 100,
             community: CommunityID = Fixtures.community, keyBase: UInt8 = 100) {
            let validators = (0..<3).map { Fixtures.key(keyBase + UInt8($0)) }
            let observer = Fixtures.key(keyBase + 10)
            genesis = GenesisDocument(
                community: community, time: 1_000_000,
                validators: validators.enumerated().map { ValidatorEntry(name: "v\($0.offset)", subject: Fixtures.key(120).publicKey, nodeKey: $0.element.publicKey) },
                registrars: [], subjects: [],
                parameters: GenesisParameters(maxBlockTransactions: maxTransactions, maxBlockBytes: maxBytes, blockInterval: interval,
                                              checkpointInterval: checkpointInterval))
            var drivers: [NodeDriver<LosslessEnvironment>] = []
            // A learner is configured on every validator and on itself (node.toml's [raft] learners).
            let learnerKeys = fourthIsLearner ? [observer.publicKey] : []
            for (i, key) in (validators + [observer]).enumerated() {
                let role: NodeCoreRole = i < 3 ? .validator : fourthIsLearner ? .learner : fourthIsGateway ? .gateway : .observer
                let configuration = Self.configuration(i, key: key, role: role, genesis: genesis, learnerKeys: learnerKeys,
                                                       settings: settings, seeds: seeds(i))
                drivers.append(NodeDriver(configuration: configuration, environment: LosslessEnvironment(clock: clock, community: community),
                                          applied: .genesis(genesis), restoring: nil, seed: UInt64(i)))
            }
            self.drivers = drivers
        }

        static func configuration(_ i: Int, key: SigningKey, role: NodeCoreRole, genesis: GenesisDocument, learnerKeys: [PublicKey],
                                  settings: NodeCoreSettings, seeds: [Int]) -> NodeCoreConfiguration {
            let record = PeerRecord(key: key, community: genesis.community, role: role == .observer ? .observer : .validator,
                                    addresses: [address(i)], sequence: 1, time: 1_000_000)
            let gossip = NodeGossipConfiguration(record: record, seeds: seeds.map(address))
            return NodeCoreConfiguration(genesis: genesis, nodeKey: key, role: role, learnerKeys: learnerKeys, settings: settings, gossip: gossip)
        }

        /// Node `i` restarts from an empty disk, with no links.
        mutating func restartEmpty(_ i: Int, seed: UInt64) {
            for j in drivers.indices where linked(i, j) && j != i {
                links.remove([min(i, j), max(i, j)])
                try! drivers[j].linkDown(id(i))
            }
            let environment = LosslessEnvironment(clock: clock, community: genesis.community)
            environment.federation = federation
            environment.anchoringKey = anchoringKeys[i]
            drivers[i] = NodeDriver(configuration: core(i).configuration, environment: environment,
                                    applied: .genesis(genesis), restoring: nil, seed: seed)
        }

        var now: Timestamp { clock.millis }
        func core(_ i: Int) -> NodeCore { drivers[i].core }
        func env(_ i: Int) -> LosslessEnvironment { drivers[i].environment }
        func stored(_ i: Int) -> [SealedBlock] { env(i).blocks }
        func linked(_ i: Int, _ j: Int) -> Bool { links.contains([min(i, j), max(i, j)]) }
        func id(_ i: Int) -> NodeID { NodeID(deriving: core(i).configuration.nodeKey.publicKey) }
        func index(of node: NodeID) -> Int? { drivers.indices.first { id($0) == node } }

        /// A client's transaction through node `i`; what it is answered at once.
        @discardableResult
        mutating func submit(_ tx: Transaction, to i: Int) -> SubmitOutcome? {
            guard case let .answered(outcome) = try! drivers[i].submit(tx) else { return nil }
            return outcome
        }

        /// Delivers everything every node sent until the community is quiet.
        mutating func settle() {
            var busy = true
            var rounds = 0
            while busy && rounds < 10_000 {
                busy = false
                rounds += 1
                for i in drivers.indices {
                    let out = env(i).outbox
                    if out.isEmpty { continue }
                    env(i).outbox = []
                    busy = true
                    for outgoing in out { deliver(outgoing, from: i) }
                }
            }
        }

        private mutating func deliver(_ outgoing: LosslessEnvironment.Outgoing, from i: Int) {
            switch outgoing {
            case let .consensus(to, bytes):
                if let j = index(of: to), !isolated.contains(i), !isolated.contains(j) { try! drivers[j].receive(consensus: bytes, from: id(i)) }
            case let .gossip(to, message):
                guard let j = index(of: to) else {
                    leftTheCommunity.append((to, message))
                    return
                }
                guard linked(i, j), !isolated.contains(i), !isolated.contains(j), !gossipMuted.contains(i) else { return }
                env(j).gossipReceived.append(message)
                try! drivers[j].receive(gossip: message, from: id(i))
            case let .dial(address, node):
                // Every dial succeeds at once unless a link is already open (then it is kept).
                guard let j = drivers.indices.first(where: { Self.address($0) == address }), j != i else {
                    try! drivers[i].dialFailed(address: address, node: node)
                    return
                }
                guard !linked(i, j) else { return }
                links.insert([min(i, j), max(i, j)])
                try! drivers[i].linkUp(id(j), address: address)
                try! drivers[j].linkUp(id(i), address: nil)
            case let .disconnect(peer):
                guard let j = index(of: peer), links.remove([min(i, j), max(i, j)]) != nil else { return }
                try! drivers[i].linkDown(peer)
                try! drivers[j].linkDown(id(i))
            case .finished:
                break
            }
        }

        /// Advances time in 10 ms steps.
        mutating func run(millis: UInt64) {
            for _ in 0..<(millis / 10) {
                clock.millis += 10
                for i in drivers.indices { try! drivers[i].tick() }
                settle()
            }
        }

        var leader: Int? { (0..<3).first { core($0).isLeader } }
    }

    /// A leader cut off right after proposing a batch loses it: another
    /// leader's entries replace it. When it leads again it must propose that
    /// signer's transactions from the first one not committed — found by the
    /// city campaign, where a deposed leader kept the lost batch's nonces as
    /// pending, proposed the signer's later transactions after them (refused
    /// by every replica as out of order) and held the signer back for good.
    @Test func aLeaderThatLostABatchProposesItsTransactionsAgainWhenItLeadsAgain() throws {
        // Pending transactions are not offered again within the test, so the
        // one submitted while the leader is cut off stays with it alone.
        var settings = NodeCoreSettings()
        settings.rebroadcast = .seconds(3_600)
        var c = Community(settings: settings)
        c.run(millis: 3_000)
        let first = try #require(c.leader)
        c.isolated = [first]
        let signer = Fixtures.key(5)
        let t1 = Fixtures.tx(signer, 1), t2 = Fixtures.tx(signer, 2)
        guard case .accepted = c.submit(t1, to: first) else { Issue.record("t1 not admitted"); return }
        c.run(millis: 200)
        // The others elect a leader and commit other work over the lost entry's index.
        c.run(millis: 3_000)
        let second = try #require((0..<3).first { $0 != first && c.core($0).isLeader })
        for n in 1...3 { c.submit(Fixtures.tx(Fixtures.key(6), UInt64(n)), to: second) }
        c.run(millis: 500)
        c.isolated = []
        c.run(millis: 1_000)
        // Until the first leads again: cut off whichever other node leads.
        for _ in 0..<8 where !c.core(first).isLeader {
            c.isolated = Set((0..<3).filter { $0 != first && c.core($0).isLeader })
            c.run(millis: 3_000)
            c.isolated = []
            c.run(millis: 500)
        }
        try #require(c.core(first).isLeader, "node \(first) never led again")
        _ = c.submit(t2, to: first)
        c.run(millis: 1_000)
        let applied = c.stored(first).flatMap(\.block.transactions).filter { $0.signer == signer.publicKey }.map(\.nonce)
        #expect(c.env(first).storedNonce(of: signer.publicKey) == 2, "the chain holds nonces \(applied) of the signer")
    }

    /// A configured learner is added to Raft by the leader, replicates the
    /// log and builds and applies every block, but never votes: certificates
    /// hold validators' votes only, and it never leads.
    @Test func aLearnerJoinsRaftBuildsEveryBlockAndNeverVotes() throws {
        var c = Community(fourthIsLearner: true)
        c.run(millis: 3_000)
        let leader = try #require(c.leader)
        let learnerReplica = NodeCoreConfiguration.learnerBase
        #expect(c.core(leader).raft?.configuration.isLearner(learnerReplica) == true, "the leader added the configured learner")
        #expect(c.core(3).raft != nil, "the learner runs Raft")
        var submitted: [Transaction] = []
        for n in 1...20 {
            let tx = Fixtures.tx(Fixtures.key(UInt8(1 + (n - 1) % 4)), UInt64(1 + (n - 1) / 4))
            submitted.append(tx)
            c.submit(tx, to: n % 4)
            c.run(millis: 50)
        }
        c.run(millis: 1_000)
        #expect(c.stored(3).flatMap(\.block.transactions).count == submitted.count, "the learner applied every transaction")
        #expect(c.stored(3).map(\.header.hash) == c.stored(leader).map(\.header.hash), "the learner applied the leader's chain")
        for block in c.drivers.indices.flatMap({ c.stored($0) }) {
            #expect(block.certificate.votes.allSatisfy { $0.validator < 3 }, "block \(block.height) holds a vote by a non-validator")
            try block.verify(validators: c.genesis.validatorKeys)
        }
        #expect(!c.core(3).isLeader)
    }

    @Test func aTransactionSubmittedToTheObserverIsCommittedSealedAndAppliedEverywhere() throws {
        var c = Community()
        c.run(millis: 3_000)
        #expect(c.leader != nil)
        let tx = Fixtures.tx(Fixtures.key(1), 1)
        #expect(c.submit(tx, to: 3) == .accepted(id: tx.id))
        c.run(millis: 500)
        for i in c.drivers.indices {
            let block = try #require(c.stored(i).last, "node \(i) applied nothing")
            #expect(block.block.transactions == [tx])
            try block.verify(validators: c.genesis.validatorKeys)
            #expect(c.core(i).mempool.count == 0, "node \(i) still holds the committed transaction")
        }
        #expect(Set(c.drivers.indices.map { c.stored($0).map(\.header.hash) }).count == 1, "nodes applied different chains")
    }

    @Test func aNodeThatKnowsOneSeedDiscoversTheCommunityAndReceivesBlocksByPlumtree() throws {
        // The observer is told of validator 0 only; the validators know each other.
        var c = Community(seeds: { $0 == 3 ? [0] : [0, 1, 2] })
        c.run(millis: 3_000)
        #expect(Set(c.core(3).liveMembers) == Set((0..<3).map { c.id($0) }), "the observer learnt every validator through its seed")
        #expect(c.linked(3, 1) && c.linked(3, 2), "and linked to validators it was never told of")
        #expect(Set(c.core(3).addressBook.entries.map(\.record.nodeID)) == Set((0..<3).map { c.id($0) }))
        let leader = try #require(c.leader)
        let other = (0..<3).first { $0 != leader && $0 != 0 }!
        let tx = Fixtures.tx(Fixtures.key(6), 1)
        #expect(c.submit(tx, to: other) == .accepted(id: tx.id))
        c.run(millis: 500)
        let block = try #require(c.stored(3).last, "the observer applied nothing")
        #expect(block.block.transactions == [tx])
        // The block reached the observer as a Plumtree payload, not by block sync.
        let disseminated = c.env(3).gossipReceived.contains {
            guard case let .gossip(topic, _, _, payload) = $0, topic == .communityBlocks else { return false }
            return (try? SealedBlock(encoded: payload))?.header.hash == block.header.hash
        }
        #expect(disseminated)
        let fetched = c.env(3).gossipReceived.contains { if case let .blockResponse(_, blocks) = $0 { !blocks.isEmpty } else { false } }
        #expect(!fetched)
    }

    @Test func aTransactionThatMissedTheCommunityIsOfferedAgainAsANewPayload() throws {
        // The observer knows no seed and nobody knows it: what it admits reaches nobody.
        var c = Community(seeds: { $0 == 3 ? [] : [0, 1, 2] })
        c.run(millis: 3_000)
        // It heard the chain's height once (a link that has since dropped), so it takes submissions.
        try c.drivers[3].receive(gossip: .chainStatus(height: 0, head: c.genesis.hash), from: c.id(0))
        let tx = Fixtures.tx(Fixtures.key(7), 1)
        #expect(c.submit(tx, to: 3) == .accepted(id: tx.id))
        // Longer than Plumtree's anti-entropy window (10 s): no digest will name the first payload.
        c.run(millis: 11_000)
        #expect(c.stored(0).isEmpty)
        c.links.insert([0, 3])
        try c.drivers[0].linkUp(c.id(3), address: nil)
        try c.drivers[3].linkUp(c.id(0), address: Community.address(0))
        c.run(millis: 4_000)
        #expect(c.stored(3).last?.block.transactions == [tx], "offered again, the transaction was committed")
        let offered = c.env(0).gossipReceived.contains {
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
        for n in 1...4 { c.submit(Fixtures.tx(key, UInt64(n)), to: leader) }
        c.run(millis: 1_000)
        #expect(c.stored(leader).isEmpty, "four of five transactions: no block before the 10 s interval")
        c.submit(Fixtures.tx(key, 5), to: leader)
        c.settle()
        #expect(c.stored(leader).last?.block.transactions.count == 5, "the fifth fills the block: cut at once")
        c.submit(Fixtures.tx(key, 6), to: leader)
        c.run(millis: 9_000)
        #expect(c.stored(leader).count == 1)
        c.run(millis: 1_500)
        #expect(c.stored(leader).count == 2, "the interval passed: the lone transaction is cut")
    }

    @Test func aNodesOwnBlockLimitsCutSmallerBlocksButNeverLargerThanGenesis() throws {
        var local = NodeCoreSettings()
        local.maxBlockTransactions = 3
        var c = Community(interval: 60_000, maxTransactions: 50, settings: local)
        c.run(millis: 3_000)
        let leader = try #require(c.leader)
        let key = Fixtures.key(5)
        for n in 1...3 { c.submit(Fixtures.tx(key, UInt64(n)), to: leader) }
        c.settle()
        #expect(c.stored(leader).last?.block.transactions.count == 3, "the local limit of 3 is a full block")
        var generous = NodeCoreSettings()
        generous.maxBlockTransactions = 500
        var d = Community(interval: 60_000, maxTransactions: 4, settings: generous)
        d.run(millis: 3_000)
        let l = try #require(d.leader)
        for n in 1...6 { d.submit(Fixtures.tx(key, UInt64(n)), to: l) }
        d.settle()
        #expect(d.stored(l).first?.block.transactions.count == 4, "genesis caps a larger local limit")
    }

    @Test func theLeaderCutsByBytes() throws {
        // A block is full when another transaction of the largest admissible size (64 KiB) would not fit.
        var c = Community(interval: 60_000, maxBytes: 70_000)
        c.run(millis: 3_000)
        let leader = try #require(c.leader)
        let key = Fixtures.key(3)
        let text = String(repeating: "x", count: 900)
        c.submit(Fixtures.tx(key, 1, Fixtures.request(text)), to: leader)
        c.run(millis: 500)
        #expect(c.stored(leader).isEmpty, "one 1 KB transaction leaves room: no block yet")
        for n in 2...6 { c.submit(Fixtures.tx(key, UInt64(n), Fixtures.request(text)), to: leader) }
        c.settle()
        let block = try #require(c.stored(leader).last, "past 70,000 - 65,536 bytes the block is cut at once")
        #expect(block.block.transactions.count < 6 && block.block.transactions.count >= 4)
    }

    @Test func anObserverRefusesASealedBlockWithoutAValidCertificate() throws {
        var c = Community()
        c.run(millis: 3_000)
        let block = Block(community: Fixtures.community, height: 1, previous: c.genesis.hash, time: c.now, proposer: 0,
                          transactions: [Fixtures.tx(Fixtures.key(4), 1)])
        // Signed by two keys that are not validators, disseminated as a validator's block would be.
        let votes = [BlockVote(index: 0, key: Fixtures.key(50), headerHash: block.header.hash),
                     BlockVote(index: 1, key: Fixtures.key(51), headerHash: block.header.hash)]
        let forged = SealedBlock(block: block, certificate: CommitCertificate(height: 1, headerHash: block.header.hash, votes: votes))
        let payload = forged.encoded()
        try c.drivers[3].receive(gossip: .gossip(topic: .communityBlocks, round: 0, id: MessageID.of(topic: .communityBlocks, payload: payload),
                                                 payload: payload), from: c.id(0))
        #expect(c.stored(3).isEmpty)
        #expect(c.env(3).events.contains { if case .refused = $0 { true } else { false } })
        #expect(c.core(3).applied.height == 0)
    }

    @Test func aVoteSentByAnotherNodeThanItsValidatorIsRefused() throws {
        var c = Community()
        c.run(millis: 3_000)
        let hash = Hashing.sha256([1, 2, 3])
        let vote = VoteMessage(height: 1, headerHash: hash, vote: BlockVote(index: 1, key: c.core(1).configuration.nodeKey, headerHash: hash))
        // Validator 1's genuine vote, relayed by the observer: refused (votes travel directly from their validator).
        try c.drivers[0].receive(consensus: ConsensusMessage.vote(vote).encoded(), from: c.id(3))
        #expect(c.env(0).events.contains { if case .refused = $0 { true } else { false } })
    }

    /// A node restarted from an old chain cannot tell which nonces the
    /// blocks it has not applied used: it refuses submissions, saying why,
    /// until it has heard its peers' height and caught up to it.
    @Test func aNodeBehindTheChainRefusesSubmissionsUntilItCatchesUp() throws {
        var c = Community()
        c.run(millis: 3_000)
        let key = Fixtures.key(8)
        for n in 1...6 {
            c.submit(Fixtures.tx(key, UInt64(n)), to: 0)
            c.run(millis: 300)
        }
        let top = c.stored(0).count
        #expect(top >= 3 && c.core(3).notReadyForSubmissions == nil)
        // The observer restarts with its disk from before those blocks, no links yet.
        c.restartEmpty(3, seed: 33)
        let waiting = Fixtures.tx(key, 7)
        guard case let .unavailable(fresh)? = c.submit(waiting, to: 3) else {
            Issue.record("a node that has heard no peer took a submission")
            return
        }
        #expect(fresh.contains("has not yet heard the chain's height"))
        try c.drivers[3].receive(gossip: .chainStatus(height: UInt64(top), head: c.stored(0).last!.header.hash), from: c.id(0))
        // A few blocks behind for a moment is normal; behind for a second is catching up
        // (time passes for the observer alone: nothing it sends is delivered yet).
        for _ in 0..<110 {
            c.clock.millis += 10
            try c.drivers[3].tick()
        }
        c.env(3).outbox = []
        guard case let .unavailable(behind)? = c.submit(Fixtures.tx(key, 3), to: 3) else {
            Issue.record("a node behind the chain took a transaction whose nonce its missing blocks used")
            return
        }
        #expect(behind.contains("behind the chain (at height 0, peers are at \(top))"))
        c.run(millis: 3_000)
        #expect(c.stored(3).count == top, "the observer caught up")
        #expect(c.core(3).notReadyForSubmissions == nil)
        // Caught up, it knows the nonce is used and says so; the next nonce is taken.
        guard case .rejected(_, _, replay: true)? = c.submit(Fixtures.tx(key, 3, Fixtures.request("again")), to: 3) else {
            Issue.record("a used nonce was not refused as a replay after catching up")
            return
        }
        #expect(c.submit(waiting, to: 3) == .accepted(id: waiting.id))
    }
}

/// A gateway's city overlay, run by the core: gateways of two communities,
/// linked to each other, spread a city payload with a Plumtree of their own;
/// community payloads never cross, and a non-gateway publishes nothing city-wide.
@Suite struct CityOverlayTests {
    static func genesis(_ community: String, key: UInt8) -> GenesisDocument {
        let validator = Fixtures.key(key + 100)
        return GenesisDocument(community: CommunityID(community)!, time: 1_000_000,
                               validators: [ValidatorEntry(name: "v", subject: Fixtures.key(key + 50).publicKey, nodeKey: validator.publicKey)],
                               registrars: [], subjects: [], parameters: GenesisParameters())
    }

    /// The gateway of a one-validator community, whose community adopted `federation`.
    static func gateway(_ community: String, key: UInt8, clock: LosslessEnvironment.Clock,
                        federation: FederationDocument?) -> NodeDriver<LosslessEnvironment> {
        let genesis = genesis(community, key: key)
        let node = Fixtures.key(key)
        let record = PeerRecord(key: node, community: genesis.community, role: .gateway, addresses: ["\(community):7000"], sequence: 1,
                                time: 1_000_000)
        let configuration = NodeCoreConfiguration(genesis: genesis, nodeKey: node, role: .gateway,
                                                  gossip: NodeGossipConfiguration(record: record, seeds: []))
        let environment = LosslessEnvironment(clock: clock, community: genesis.community)
        environment.federation = federation
        return NodeDriver(configuration: configuration, environment: environment, applied: .genesis(genesis), restoring: nil, seed: UInt64(key))
    }

    typealias Community = NodeCoreTests.Community

    /// The validators' node keys of a test community made with the default key base.
    static let mapleValidators = (0..<3).map { Fixtures.key(100 + UInt8($0)) }

    /// A head of `genesis`'s chain at `height` that it never had (an empty block on no parent), certified by `signers`.
    static func otherHead(of genesis: GenesisDocument, at height: UInt64, signers: [SigningKey]) -> Checkpoint {
        let header = BlockHeader(community: genesis.community, height: height, previous: Hash(), time: 1, proposer: 0,
                                 transactionCount: 0, transactionRoot: Merkle.emptyRoot)
        let votes = signers.enumerated().map { BlockVote(index: UInt32($0.offset), key: $0.element, headerHash: header.hash) }
        return Checkpoint(community: genesis.community, genesisHash: genesis.hash,
                          certificate: CommitCertificate(height: height, headerHash: header.hash, votes: votes))
    }

    /// A gateway publishes its community's certified head to the city every
    /// `checkpointInterval` blocks, and nothing in between; what it publishes
    /// verifies against the community's genesis validators.
    @Test func aGatewayPublishesACheckpointEveryIntervalBlocks() throws {
        var c = Community(fourthIsGateway: true, checkpointInterval: 3)
        c.run(millis: 3_000)
        let leader = try #require(c.leader)
        let neighbour = NodeID(deriving: Fixtures.key(200).publicKey)
        try c.drivers[3].linkUp(neighbour, address: "pine-row:7000", inCommunity: false)
        for n in 1...12 {
            c.submit(Fixtures.tx(Fixtures.key(1), UInt64(n)), to: leader)
            c.run(millis: 150)
        }
        c.run(millis: 1_000)
        let height = c.core(3).applied.height
        #expect(height >= 6, "only \(height) blocks")
        var heights: [UInt64] = []
        for case let (to, .gossip(topic, _, _, payload)) in c.leftTheCommunity.map({ ($0.to, $0.message) }) where to == neighbour {
            #expect(topic == .cityCheckpoints)
            let checkpoint = try Checkpoint(encoded: payload)
            #expect(checkpoint.community == c.genesis.community && checkpoint.genesisHash == c.genesis.hash)
            let block = try #require(c.stored(3).first { $0.height == checkpoint.height })
            #expect(checkpoint.headerHash == block.header.hash)
            try SealedBlock(block: block.block, certificate: checkpoint.certificate).verify(validators: c.genesis.validatorKeys)
            heights.append(checkpoint.height)
        }
        #expect(heights == Array(stride(from: 3, through: height, by: 3)), "published \(heights) up to height \(height)")
        // Observers and validators publish nothing city-wide.
        #expect(c.leftTheCommunity.allSatisfy { $0.to == neighbour })
    }

    /// A gateway checks a neighbour's checkpoint against the adopted
    /// federation document before anything else: a valid one is delivered
    /// and recorded in its own chain by a transaction it signs with its
    /// anchoring key; a forged one (signed by keys the document does not
    /// list) is neither delivered, relayed nor recorded. Without an adopted
    /// document the gateway ignores city traffic.
    /// Maple Court making 8 blocks, its gateway publishing a checkpoint every
    /// 3 to Pine Row's gateway (key 140): Maple Court, and what its gateway sent there.
    static func mapleCheckpointsForPineRow() throws -> (maple: Community, sent: [GossipMessage]) {
        var maple = Community(fourthIsGateway: true, checkpointInterval: 3)
        maple.run(millis: 3_000)
        let mapleLeader = try #require(maple.leader)
        let pineGateway = NodeID(deriving: Fixtures.key(140).publicKey)
        try maple.drivers[3].linkUp(pineGateway, address: "pine-row:7000", inCommunity: false)
        for n in 1...8 {
            maple.submit(Fixtures.tx(Fixtures.key(1), UInt64(n)), to: mapleLeader)
            maple.run(millis: 150)
        }
        maple.run(millis: 1_000)
        return (maple, maple.leftTheCommunity.filter { $0.to == pineGateway }.map(\.message))
    }

    @Test func aGatewayRecordsTheNeighboursValidCheckpointsInItsOwnChain() throws {
        // Maple Court makes blocks; its gateway publishes checkpoints every 3.
        let (maple, published) = try Self.mapleCheckpointsForPineRow()
        let checkpointsPublished = published.filter { if case .gossip(.cityCheckpoints, _, _, _) = $0 { true } else { false } }.count
        #expect(checkpointsPublished >= 2)

        // Pine Row: its gateway (node 3) signs with the committee's key.
        var pine = Community(fourthIsGateway: true, community: CommunityID("pine-row")!, keyBase: 130)
        pine.run(millis: 3_000)
        let committee = Fixtures.key(7)
        pine.anchoringKeys[3] = committee
        pine.restartEmpty(3, seed: 8)
        pine.run(millis: 1_000)
        let mapleGateway = maple.id(3)
        try pine.drivers[3].linkUp(mapleGateway, address: nil, inCommunity: false)
        // Before any adoption: ignored.
        try pine.drivers[3].receive(gossip: published[0], from: mapleGateway)
        pine.settle()
        #expect(pine.env(3).events.contains { if case let .refused(why) = $0 { why.contains("federation document") } else { false } })

        // The community adopts a document listing both (the gateway restarts to read it here;
        // a running node reads it when the adoption's block is applied), then the checkpoints arrive again.
        let document = try FederationDocument(sequence: 1, communities: [
            FederationMember(genesis: maple.genesis, caCertificate: [0x30, 0x00]),
            FederationMember(genesis: pine.genesis, caCertificate: [0x30, 0x00]),
        ])
        pine.federation = document
        pine.restartEmpty(3, seed: 9)
        pine.run(millis: 2_000)
        try pine.drivers[3].linkUp(mapleGateway, address: nil, inCommunity: false)
        // A forged checkpoint of Maple Court: a block "certified" by keys the document does not list.
        let forger = Fixtures.key(99)
        let forgedHeader = BlockHeader(community: maple.genesis.community, height: 300, previous: Hash(), time: 5, proposer: 0,
                                       transactionCount: 0, transactionRoot: Hash())
        let forgedVotes = (0..<2).map { BlockVote(index: UInt32($0), key: forger, headerHash: forgedHeader.hash) }
        let forged = Checkpoint(community: maple.genesis.community, genesisHash: maple.genesis.hash,
                                certificate: CommitCertificate(height: 300, headerHash: forgedHeader.hash, votes: forgedVotes))
        let forgedBytes = forged.encoded()
        let forgedMessage = GossipMessage.gossip(topic: .cityCheckpoints, round: 0, id: MessageID.of(topic: .cityCheckpoints, payload: forgedBytes),
                                                 payload: forgedBytes)
        for message in [forgedMessage] + published {
            try pine.drivers[3].receive(gossip: message, from: mapleGateway)
        }
        pine.run(millis: 2_000)
        let delivered = pine.env(3).events.compactMap { event -> Checkpoint? in
            if case let .cityDelivery(.cityCheckpoints, payload, _) = event { try? Checkpoint(encoded: payload) } else { nil }
        }
        #expect(delivered.count == checkpointsPublished && !delivered.contains(forged), "delivered \(delivered.map(\.height))")
        let recorded = pine.stored(0).flatMap(\.block.transactions).compactMap { tx -> Checkpoint? in
            if case let .checkpoint(c) = tx.payload, tx.signer == committee.publicKey { c } else { nil }
        }
        #expect(recorded.map(\.height) == delivered.map(\.height), "recorded \(recorded.map(\.height)) of \(delivered.map(\.height))")
        #expect(recorded.allSatisfy { $0.community == maple.genesis.community })
    }

    /// A gateway's records commit in nonce order, so losing the one with the
    /// next nonce would hold back every later one. Here the gateway's gossip
    /// is lost while it records two of Maple Court's checkpoints, and the
    /// first of them goes stale in its mempool. At the next block it applies,
    /// the gateway signs the second again with the missing nonce, and it
    /// commits. (The refused-record case is the city campaign's seed 2.)
    @Test func aGatewaysLaterRecordsAreSignedAgainWhenTheNextNonceIsLost() throws {
        let (maple, sent) = try Self.mapleCheckpointsForPineRow()
        let published = sent.filter { if case .gossip(.cityCheckpoints, _, _, _) = $0 { true } else { false } }
        try #require(published.count >= 2)

        var settings = NodeCoreSettings()
        settings.mempool.staleAfter = .seconds(3)
        var pine = Community(settings: settings, fourthIsGateway: true, community: CommunityID("pine-row")!, keyBase: 130)
        pine.run(millis: 3_000)
        let committee = Fixtures.key(7)
        pine.anchoringKeys[3] = committee
        pine.federation = try FederationDocument(sequence: 1, communities: [
            FederationMember(genesis: maple.genesis, caCertificate: [0x30, 0x00]),
            FederationMember(genesis: pine.genesis, caCertificate: [0x30, 0x00]),
        ])
        pine.restartEmpty(3, seed: 9)
        pine.run(millis: 2_000)
        let mapleGateway = maple.id(3)
        try pine.drivers[3].linkUp(mapleGateway, address: nil, inCommunity: false)

        // The gateway records both checkpoints (nonces 1 and 2), but its gossip is lost; the first goes stale.
        pine.gossipMuted = [3]
        try pine.drivers[3].receive(gossip: published[0], from: mapleGateway)
        pine.run(millis: 2_000)
        try pine.drivers[3].receive(gossip: published[1], from: mapleGateway)
        pine.run(millis: 1_500)
        #expect(pine.core(3).mempool.pending(of: committee.publicKey).map(\.nonce) == [2])
        pine.gossipMuted = []
        pine.run(millis: 500)
        #expect(pine.stored(0).flatMap(\.block.transactions).allSatisfy { $0.signer != committee.publicKey },
                "nonce 2 cannot commit without nonce 1")

        // A block applies at the gateway: it signs the second checkpoint again, with nonce 1.
        let pineLeader = try #require(pine.leader)
        pine.submit(Fixtures.tx(Fixtures.key(1), 1, community: pine.genesis.community), to: pineLeader)
        pine.run(millis: 3_000)
        let recorded = pine.stored(0).flatMap(\.block.transactions).filter { $0.signer == committee.publicKey }
        let second = try Checkpoint(encoded: { if case let .gossip(_, _, _, payload) = published[1] { payload } else { [] } }())
        // Signed again with nonce 1, it commits; then the old copy the validators
        // still held uses up nonce 2 (the rules refuse such a duplicate as
        // already recorded; this test's environment has no rules).
        #expect(recorded.map(\.nonce) == [1, 2])
        #expect(recorded.compactMap { if case let .checkpoint(c) = $0.payload { c.height } else { nil } } == [second.height, second.height])
        #expect(pine.env(3).events.contains { if case let .refused(why) = $0 { why.contains("signed again") } else { false } })
    }

    /// Referral records cross the city through the gateways: Maple Court's
    /// gateway sends the referral its chain applied, with its proof; Pine
    /// Row's gateway records it in its own chain once, however often it
    /// arrives; Maple Court sends it again every `referralResend` while it is
    /// unanswered; Pine Row answers a repeat of a referral it already received
    /// with its receipt, which Maple Court's gateway records in turn.
    @Test func referralRecordsCrossTheCityAndAreSentAgainUntilAnswered() throws {
        var settings = NodeCoreSettings()
        settings.referralResend = .seconds(5)
        var maple = Community(settings: settings, fourthIsGateway: true)
        var pine = Community(settings: settings, fourthIsGateway: true, community: CommunityID("pine-row")!, keyBase: 130)
        let document = try FederationDocument(sequence: 1, communities: [
            FederationMember(genesis: maple.genesis, caCertificate: [0x30, 0x00]),
            FederationMember(genesis: pine.genesis, caCertificate: [0x30, 0x00]),
        ])
        (maple.federation, pine.federation) = (document, document)
        (maple.anchoringKeys[3], pine.anchoringKeys[3]) = (Fixtures.key(8), Fixtures.key(9))
        maple.restartEmpty(3, seed: 8)
        pine.restartEmpty(3, seed: 9)
        maple.run(millis: 3_000)
        pine.run(millis: 3_000)
        let (mapleGateway, pineGateway) = (maple.id(3), pine.id(3))
        try maple.drivers[3].linkUp(pineGateway, address: "pine-row:7000", inCommunity: false)
        try pine.drivers[3].linkUp(mapleGateway, address: nil, inCommunity: false)

        func dispatches(_ c: Community, to peer: NodeID) -> [(message: GossipMessage, record: Transaction)] {
            c.leftTheCommunity.compactMap { to, message in
                guard to == peer, case let .gossip(.cityReferrals, _, _, payload) = message,
                      let dispatch = try? ReferralDispatch(encoded: payload), let tx = try? dispatch.record.verify(against: document)
                else { return nil }
                return (message, tx)
            }
        }
        func relays(in c: Community) -> [Transaction] {
            c.stored(0).flatMap(\.block.transactions).compactMap { tx in
                guard case let .referralRelay(relay) = tx.payload else { return nil }
                return try? Transaction(encoded: relay.record.transaction)
            }
        }

        // Maple Court refers a case to Pine Row: its gateway sends the record, with a proof that holds.
        let referral = Fixtures.tx(Fixtures.key(1), 1, .referral(Referral(toCommunity: pine.genesis.community, kind: .request,
                                                                           reference: nil, summary: "a plumber")))
        #expect(maple.submit(referral, to: try #require(maple.leader)) != nil)
        maple.run(millis: 1_000)
        let sent = dispatches(maple, to: pineGateway)
        #expect(sent.map(\.record) == [referral])

        // Pine Row records it once, though it arrives twice.
        for _ in 0..<2 {
            for d in sent { try pine.drivers[3].receive(gossip: d.message, from: mapleGateway) }
            pine.run(millis: 1_000)
        }
        #expect(relays(in: pine) == [referral])
        // And sends its receipt back (the relay its chain applied).
        let receipt = try #require(pine.stored(0).flatMap(\.block.transactions).first { $0.kind == .referralRelay })
        #expect(dispatches(pine, to: mapleGateway).map(\.record) == [receipt])

        // Unanswered, the referral goes out again after `referralResend`, as a new message.
        let place = try #require(maple.env(3).committedPlace(of: referral.id))
        maple.env(3).referrals[referral.id] = ReferralEntry(
            id: referral.id, height: place.height, index: Int(place.index), time: maple.now, referrer: referral.signer.subjectID,
            toCommunity: pine.genesis.community, kind: .request, reference: nil, referenceKind: nil, summary: "a plumber")
        maple.run(millis: 6_000)
        let again = dispatches(maple, to: pineGateway)
        #expect(again.count >= 2 && again.allSatisfy { $0.record == referral }, "\(again.map(\.record.kind))")
        #expect(Set(again.map { "\($0.message)" }).count == again.count, "a resend must be a new message to the overlay")

        // Pine Row, which received it already, answers the repeat with its receipt again.
        pine.env(3).incomingReferrals[referral.id] = IncomingReferralEntry(
            id: referral.id, fromCommunity: maple.genesis.community, theirHeight: place.height, theirTime: 0,
            referrer: referral.signer.subjectID, kind: .request, reference: nil, summary: "a plumber", recordedHeight: 1,
            recordedTime: 0, recordedIndex: 0, transaction: receipt.id)
        try pine.drivers[3].receive(gossip: again[again.count - 1].message, from: mapleGateway)
        pine.run(millis: 500)
        let receipts = dispatches(pine, to: mapleGateway)
        #expect(receipts.count == 2 && receipts.allSatisfy { $0.record == receipt })
        #expect(relays(in: pine) == [referral], "the repeat was recorded again")

        // Maple Court's gateway records the receipt in its chain, once.
        for d in receipts { try maple.drivers[3].receive(gossip: d.message, from: pineGateway) }
        maple.run(millis: 1_000)
        #expect(relays(in: maple) == [receipt])
    }

    /// A gateway hears from the city the checkpoints of its own chain that
    /// neighbours anchored. A block at an anchored height with another header
    /// is refused while it syncs, and an applied one that contradicts an
    /// anchor raises the alarm in its own community — with the heights and
    /// both headers named.
    @Test func aGatewayRefusesABlockThatContradictsWhatTheCityAnchored() throws {
        var maple = Community(fourthIsGateway: true)
        let pine = Community(fourthIsGateway: true, community: CommunityID("pine-row")!, keyBase: 130)
        let document = try FederationDocument(sequence: 1, communities: [
            FederationMember(genesis: maple.genesis, caCertificate: [0x30, 0x00]),
            FederationMember(genesis: pine.genesis, caCertificate: [0x30, 0x00]),
        ])
        maple.federation = document
        maple.restartEmpty(3, seed: 8)
        maple.run(millis: 3_000)
        let neighbour = pine.id(3)
        try maple.drivers[3].linkUp(neighbour, address: "pine-row:7000", inCommunity: false)
        // A head of Maple Court "anchored" at height 5 (and one at 2, below where it will be), certified by its own validators.
        func anchored(_ height: UInt64) -> GossipMessage {
            let payload = Self.otherHead(of: maple.genesis, at: height, signers: Self.mapleValidators).encoded()
            return .gossip(topic: .cityCheckpoints, round: 0, id: MessageID.of(topic: .cityCheckpoints, payload: payload), payload: payload)
        }
        try maple.drivers[3].receive(gossip: anchored(5), from: neighbour)
        let leader = try #require(maple.leader)
        for n in 1...8 {
            maple.submit(Fixtures.tx(Fixtures.key(1), UInt64(n)), to: leader)
            maple.run(millis: 150)
        }
        maple.run(millis: 1_000)
        #expect(maple.core(0).applied.height >= 8)
        // The validators applied block 5; the gateway refused it and stays below.
        #expect(maple.core(3).applied.height == 4)
        let refused = try #require(maple.core(3).anchorContradictions.first)
        #expect(refused.height == 5 && refused.refused && refused.chain == maple.stored(0)[4].header.hash)
        #expect(maple.env(3).events.contains { if case let .refused(why) = $0 { why.contains("block 5") && why.contains("refused: it contradicts") } else { false } })

        // An anchor below the applied height that disagrees with the applied block: the alarm, no refusal.
        try maple.drivers[3].receive(gossip: anchored(2), from: neighbour)
        let applied = try #require(maple.core(3).anchorContradictions.first { $0.height == 2 })
        #expect(!applied.refused && applied.chain == maple.stored(3)[1].header.hash)
    }

    /// Any node given its chain's anchors by its operator (`[federation]
    /// anchors_from`: fetched from neighbours' nodes) refuses to sync a block
    /// that contradicts one; an "anchor" not certified by the community's own
    /// validators is not taken.
    @Test func anObserverGivenItsChainsAnchorsRefusesAContradictingBlock() throws {
        var maple = Community()
        maple.run(millis: 3_000)
        func anchor(_ height: UInt64, signers: [SigningKey]) -> Checkpoint { Self.otherHead(of: maple.genesis, at: height, signers: signers) }
        let validators = Self.mapleValidators
        let strangers = (0..<3).map { Fixtures.key(200 + UInt8($0)) }
        #expect(try maple.drivers[3].learnAnchors([anchor(6, signers: strangers)]) == 0)
        #expect(try maple.drivers[3].learnAnchors([anchor(5, signers: validators)]) == 1)
        let leader = try #require(maple.leader)
        for n in 1...8 {
            maple.submit(Fixtures.tx(Fixtures.key(1), UInt64(n)), to: leader)
            maple.run(millis: 150)
        }
        maple.run(millis: 1_000)
        #expect(maple.core(0).applied.height >= 8)
        #expect(maple.core(3).applied.height == 4, "the observer applied past the anchor it was given")
        #expect(maple.core(3).anchorContradictions.map(\.height) == [5])
    }

    @Test func gatewaysOfTwoCommunitiesSpreadACityPayload() throws {
        let clock = LosslessEnvironment.Clock()
        let federation = try FederationDocument(sequence: 1, communities: [
            FederationMember(genesis: Self.genesis("maple-court", key: 1), caCertificate: [0x30, 0x00]),
            FederationMember(genesis: Self.genesis("pine-row", key: 2), caCertificate: [0x30, 0x00]),
        ])
        var a = Self.gateway("maple-court", key: 1, clock: clock, federation: federation)
        var b = Self.gateway("pine-row", key: 2, clock: clock, federation: federation)
        let idA = NodeID(deriving: a.core.configuration.nodeKey.publicKey), idB = NodeID(deriving: b.core.configuration.nodeKey.publicKey)
        try a.linkUp(idB, address: "pine-row:7000", inCommunity: false)
        try b.linkUp(idA, address: nil, inCommunity: false)
        #expect(a.core.cityPeers == [idB] && b.core.cityPeers == [idA])
        // A checkpoint of maple-court certified by its one validator (what b checks before delivering it).
        let header = BlockHeader(community: CommunityID("maple-court")!, height: 20, previous: Hash(), time: 5, proposer: 0,
                                 transactionCount: 0, transactionRoot: Merkle.emptyRoot)
        let vote = BlockVote(index: 0, key: Fixtures.key(101), headerHash: header.hash)
        let payload = Checkpoint(community: header.community, genesisHash: Self.genesis("maple-court", key: 1).hash,
                                 certificate: CommitCertificate(height: 20, headerHash: header.hash, votes: [vote])).encoded()
        try a.publishCity(topic: .cityCheckpoints, payload: payload)
        // Carry a's messages to b as the links would.
        for case let .gossip(to, message) in a.environment.outbox where to == idB {
            try b.receive(gossip: message, from: idA)
        }
        let delivered = b.environment.events.contains {
            if case let .cityDelivery(topic, got, from) = $0 { topic == .cityCheckpoints && got == payload && from == idA } else { false }
        }
        #expect(delivered, "the other community's gateway did not deliver the city payload")
        let leaked = b.environment.outbox.contains { if case let .gossip(_, .gossip(topic, _, _, _)) = $0 { topic.isCommunityTopic } else { false } }
        #expect(!leaked)
        // A node that is not a gateway publishes nothing city-wide.
        var observer = Community()
        try observer.drivers[3].publishCity(topic: .cityReferrals, payload: payload)
        #expect(observer.env(3).events.contains { if case .refused = $0 { true } else { false } })
        #expect(!observer.env(3).outbox.contains { if case .gossip = $0 { true } else { false } })
    }
}
