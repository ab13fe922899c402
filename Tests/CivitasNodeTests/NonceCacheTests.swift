import CivitasCodec
import CivitasLedger
import CivitasNode
@testable import CivitasNodeCore
import CivitasStorage
import Foundation
import Testing

/// The node driver's nonce cache advances itself from each applied block instead
/// of querying the state database per signer; it must agree with the state
/// applier on every kind of transaction a block can hold.
@Suite struct NonceCacheTests {
    @Test func advancesAsTheStateApplierDoes() throws {
        let chain = TestChain()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nonce-cache-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try StateDatabase.open(path: directory + "/state.sqlite", genesis: chain.genesis, durability: .afterBlockStore)
        defer { try? state.close() }
        let cache = NonceCache(community: TestChain.community) { (try? state.latestNonce(of: $0)) ?? 0 }
        let names = ["committee", "owners", "elders", "lifts", "wang", "li", "zhao", "outsider"]
        // Some signers cached before any block, the others read lazily afterwards.
        for name in ["committee", "owners", "elders", "lifts", "li"] { _ = cache.nonce(of: chain.key(name).publicKey) }
        for block in chain.blocks {
            _ = try state.apply(block)
            cache.advance(by: block.block.transactions)
        }
        func next(_ name: String) throws -> UInt64 { try state.latestNonce(of: chain.key(name).publicKey) + 1 }
        let extra = extraBlock(after: chain.blocks.last!, chain: chain, transactions: [
            chain.freshTransaction("wang", nonce: 1_000),              // out of order: nonce not consumed
            chain.freshTransaction("zhao", nonce: try next("zhao")),  // consumed
            chain.freshTransaction("outsider", nonce: 1),              // not a subject: refused by the rules, nonce consumed
            chain.freshTransaction("lifts", nonce: try next("lifts")), // consumed
            foreignTransaction(chain.key("li"), nonce: try next("li")), // another community: not consumed
        ])
        _ = try state.apply(extra)
        cache.advance(by: extra.block.transactions)
        for name in names {
            let key = chain.key(name).publicKey
            #expect(cache.nonce(of: key) == (try state.latestNonce(of: key)), "signer \(name)")
        }
        #expect(try state.latestNonce(of: chain.key("outsider").publicKey) == 1)
        #expect(cache.nonce(of: chain.key("wang").publicKey) < 1_000)
        #expect(try state.transactions(id: extra.block.transactions[4].id).first?.isApplied == false)
    }

    private func foreignTransaction(_ key: SigningKey, nonce: UInt64) -> Transaction {
        UnsignedTransaction(community: CommunityID("elsewhere")!, signer: key.publicKey, nonce: nonce, time: TestChain.start + 1,
                            payload: .notice(Notice(category: .general, title: "Hi", body: "There"))).signed(with: key)
    }

    private func extraBlock(after previous: SealedBlock, chain: TestChain, transactions: [Transaction]) -> SealedBlock {
        let block = Block(community: TestChain.community, height: previous.height + 1, previous: previous.header.hash,
                          time: previous.header.time + 60_000, proposer: 0, transactions: transactions)
        let hash = block.header.hash
        let certificate = CommitCertificate(height: block.header.height, headerHash: hash, votes: chain.validators.enumerated().map {
            BlockVote(index: UInt32($0.offset), key: $0.element, headerHash: hash)
        })
        return SealedBlock(block: block, certificate: certificate)
    }
}
