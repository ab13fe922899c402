import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasNetwork
import CivitasGossipHarness
import Foundation
import Testing

/// A chain in memory that records which ranges it served.
final class MemoryChain: LocalChain, @unchecked Sendable {
    private let lock = NSLock()
    private let genesis: Hash
    private var stored: [SealedBlock]
    private var served: [(start: UInt64, count: Int)] = []

    init(genesis: Hash, blocks: [SealedBlock]) {
        self.genesis = genesis
        stored = blocks
    }

    var height: UInt64 { lock.withLock { UInt64(stored.count) } }
    var head: Hash { lock.withLock { stored.last?.header.hash ?? genesis } }
    var blocks: [SealedBlock] { lock.withLock { stored } }
    var servedRanges: [(start: UInt64, count: Int)] { lock.withLock { served } }

    func blocks(from start: UInt64, count: Int, maxBytes: Int) throws -> [SealedBlock] {
        lock.withLock {
            guard start >= 1, start <= UInt64(stored.count) else { return [] }
            var out: [SealedBlock] = []
            var bytes = 0
            for block in stored[Int(start - 1)..<min(stored.count, Int(start - 1) + count)] {
                bytes += block.encoded().count
                if !out.isEmpty && bytes > maxBytes { break }
                out.append(block)
            }
            served.append((start, out.count))
            return out
        }
    }

    func append(_ blocks: [SealedBlock]) throws {
        lock.withLock {
            for block in blocks {
                precondition(block.height == UInt64(stored.count) + 1, "block sync appended out of order")
                stored.append(block)
            }
        }
    }
}

/// Block sync on real TLS links: a node that is behind catches up from several
/// peers at once, refuses a peer whose certificates are forged, and resumes
/// from its stored height.
@Suite(.serialized) struct BlockSyncOverTLSTests {
    static let ward7 = CommunityID("ward-7")!

    /// A certified chain of `count` blocks by three validators (two votes each: a majority).
    static func chain(_ count: Int) -> (genesis: Hash, blocks: [SealedBlock], validators: [PublicKey]) {
        let keys = (0..<3).map { SigningKey(seed: Bytes32(Array(repeating: UInt8(200 + $0), count: 32))!) }
        let genesis = Hashing.sha256(Array("genesis of ward-7".utf8))
        var previous = genesis
        var blocks: [SealedBlock] = []
        for h in 1...count {
            let block = Block(community: ward7, height: UInt64(h), previous: previous, time: 1_700_000_000_000 + UInt64(h) * 1_000,
                              proposer: 0, transactions: [])
            let hash = block.header.hash
            let votes = keys.prefix(2).enumerated().map { BlockVote(index: UInt32($0.offset), key: $0.element, headerHash: hash) }
            blocks.append(SealedBlock(block: block, certificate: CommitCertificate(height: UInt64(h), headerHash: hash, votes: votes)))
            previous = hash
        }
        return (genesis, blocks, keys.map(\.publicKey))
    }

    struct Peer {
        let gossip: GossipNode
        let chain: MemoryChain
        let nodeID: NodeID
        let address: String
    }

    static func start(_ lab: NetworkLab, chain: MemoryChain, validators: [PublicKey], seeds: [String], index: Int,
                      log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Peer {
        let node = try lab.node(role: .observer)
        let transport = try lab.transport(node)
        let port = try await transport.listen(host: "127.0.0.1", port: 0)
        let address = "127.0.0.1:\(port)"
        let record = PeerRecord(key: node.ledger, community: ward7, role: .observer, addresses: [address],
                                sequence: 1, time: Timestamp(lab.now.timeIntervalSince1970 * 1000))
        var settings = BlockSyncSettings()
        settings.rangeSize = 16  // several ranges, so several peers serve at once
        let sync = ChainSyncConfiguration(chain: chain, verifier: CertificateVerifier(validators: validators, community: ward7),
                                          settings: settings, statusInterval: .milliseconds(300))
        let gossip = GossipNode(transport: transport, record: record, seeds: seeds, membershipSettings: FederationOverTLSTests.settings(),
                                chainSync: sync, seed: UInt64(index + 1), log: log)
        await gossip.start()
        return Peer(gossip: gossip, chain: chain, nodeID: node.nodeID, address: address)
    }

    @Test func aNodeBehindCatchesUpFromSeveralPeersAndRefusesAForger() async throws {
        let (genesis, blocks, validators) = Self.chain(300)
        let lab = try NetworkLab("blocksync")
        // The forger's blocks are each one vote short of a majority: any range it serves is refused.
        let forged = blocks.map { block in
            var b = block
            b.certificate.votes.removeLast()
            return b
        }
        var holders: [Peer] = []
        for (i, chain) in [blocks, blocks, Array(blocks.prefix(150)), forged].enumerated() {
            holders.append(try await Self.start(lab, chain: MemoryChain(genesis: genesis, blocks: chain), validators: validators,
                                                seeds: i == 0 ? [] : [holders.first!.address], index: i))
        }
        let logs = LogLines()
        // The newcomer knows the forger first, so its first ranges are asked of it
        // while the request is fresh: the answer is checked (and refused), not
        // dropped as late, whatever the load on the machine.
        let newcomer = try await Self.start(lab, chain: MemoryChain(genesis: genesis, blocks: []), validators: validators,
                                            seeds: [holders[3].address], index: 9, log: logs.append)
        let done = try await FederationOverTLSTests.eventually { newcomer.chain.height == 300 }
        #expect(done, "caught up to \(newcomer.chain.height) of 300")
        #expect(newcomer.chain.blocks.map(\.header.hash) == blocks.map(\.header.hash), "the stored chain is not the certified one")
        let servers = holders.filter { !$0.chain.servedRanges.filter { $0.count > 0 }.isEmpty }
        #expect(servers.count >= 2, "only \(servers.count) peer served ranges")
        // Whatever the forger served was refused, and it was dropped for it.
        #expect(holders[3].chain.servedRanges.contains { $0.count > 0 }, "the forger was never asked")
        let refused = try await FederationOverTLSTests.eventually { logs.all.contains { $0.contains("disconnecting") && $0.contains("refused") } }
        #expect(refused, "no refusal logged: \(logs.all)")
        #expect(await newcomer.gossip.isCatchingUp == false)
        for p in holders + [newcomer] { await p.gossip.stop() }
    }

    @Test func aRestartedNodeResumesFromItsStoredHeight() async throws {
        let (genesis, blocks, validators) = Self.chain(200)
        let lab = try NetworkLab("blocksync-resume")
        let a = try await Self.start(lab, chain: MemoryChain(genesis: genesis, blocks: blocks), validators: validators, seeds: [], index: 0)
        let b = try await Self.start(lab, chain: MemoryChain(genesis: genesis, blocks: blocks), validators: validators, seeds: [a.address], index: 1)
        // A node that stored 120 blocks before it went down starts again with them.
        let resumed = try await Self.start(lab, chain: MemoryChain(genesis: genesis, blocks: Array(blocks.prefix(120))), validators: validators,
                                           seeds: [a.address], index: 2)
        #expect(try await FederationOverTLSTests.eventually { resumed.chain.height == 200 }, "resumed only to \(resumed.chain.height)")
        #expect(resumed.chain.blocks.map(\.header.hash) == blocks.map(\.header.hash))
        let asked = (a.chain.servedRanges + b.chain.servedRanges).filter { $0.count > 0 }
        #expect(asked.allSatisfy { $0.start > 120 }, "blocks it had stored were fetched again: \(asked.map(\.start))")
        for p in [a, b, resumed] { await p.gossip.stop() }
    }
}

/// Collects log lines from a node.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    var append: @Sendable (String) -> Void { { [self] line in lock.withLock { lines.append(line) } } }
}
