import CivitasCodec
import CivitasLedger
@testable import CivitasNodeCore
import CivitasTime
import Testing

/// Batches for the block producer: nonce order, gaps, round-robin, bounds.
@Suite("Mempool batches")
struct MempoolBatchTests {
    let keys = (1...4).map { Fixtures.key(UInt8($0)) }

    @Test func aGapStopsASignerAndTheBatchResumesOnceItIsFilled() {
        var pool = Mempool()
        var view = StubView()
        let a = keys[0], b = keys[1]
        for n: UInt64 in [1, 2, 4, 5] { _ = pool.admit(Fixtures.tx(a, n), view: view, now: 0) }
        for n: UInt64 in [2, 3] { _ = pool.admit(Fixtures.tx(b, n), view: view, now: 0) }  // b's nonce 1 never arrived
        #expect(pool.batch(maxCount: 100, maxBytes: 1 << 20, view: view).map { $0.tag(keys) } == ["A1", "A2"])
        // A block commits A1 and A2; A3 arrives; b's gap is filled.
        let block = pool.batch(maxCount: 100, maxBytes: 1 << 20, view: view)
        view.apply(block)
        pool.committed(block, view: view)
        _ = pool.admit(Fixtures.tx(a, 3), view: view, now: 1)
        _ = pool.admit(Fixtures.tx(b, 1), view: view, now: 1)
        // The turn order is the arrival of each signer's next transaction: a's 3 came just before b's 1.
        #expect(pool.batch(maxCount: 100, maxBytes: 1 << 20, view: view).map { $0.tag(keys) } == ["A3", "B1", "A4", "B2", "A5", "B3"])
        #expect(pool.count == 6, "a batch removes nothing")
    }

    @Test func aSignerWhoseCommittedNonceIsAheadOfItsPendingOnesContributesNothing() {
        var pool = Mempool()
        var view = StubView()
        _ = pool.admit(Fixtures.tx(keys[0], 1), view: view, now: 0)
        view.nonces[keys[0].publicKey] = 1  // applied through a block this pool was not told about yet
        #expect(pool.batch(maxCount: 10, maxBytes: 1 << 20, view: view).isEmpty)
    }

    @Test func signersTakeTurnsSoABusySignerCannotFillABlock() {
        var pool = Mempool()
        let view = StubView()
        for n: UInt64 in 1...10 { _ = pool.admit(Fixtures.tx(keys[0], n), view: view, now: 0) }
        for n: UInt64 in 1...2 { _ = pool.admit(Fixtures.tx(keys[1], n), view: view, now: 1) }
        _ = pool.admit(Fixtures.tx(keys[2], 1), view: view, now: 2)
        #expect(pool.batch(maxCount: 6, maxBytes: 1 << 20, view: view).map { $0.tag(keys) } == ["A1", "B1", "C1", "A2", "B2", "A3"])
        #expect(pool.batch(maxCount: 3, maxBytes: 1 << 20, view: view).map { $0.tag(keys) } == ["A1", "B1", "C1"])
        #expect(pool.batch(maxCount: 100, maxBytes: 1 << 20, view: view).count == 13)
    }

    @Test func withOneSlotPerBlockTransactionsGoInArrivalOrderWhateverTheSignersKey() {
        // The turn order is the arrival of each signer's next transaction, not the key,
        // so a signer with a high key is never starved by lower ones.
        var pool = Mempool()
        var view = StubView()
        let late = keys.min { $0.publicKey < $1.publicKey }!, early = keys.max { $0.publicKey < $1.publicKey }!
        _ = pool.admit(Fixtures.tx(early, 1), view: view, now: 0)
        _ = pool.admit(Fixtures.tx(early, 2), view: view, now: 0)
        _ = pool.admit(Fixtures.tx(late, 1), view: view, now: 1)
        var order: [PublicKey] = []
        for _ in 0..<3 {
            let block = pool.batch(maxCount: 1, maxBytes: 1 << 20, view: view)
            order += block.map(\.signer)
            view.apply(block)
            pool.committed(block, view: view)
        }
        #expect(order == [early.publicKey, early.publicKey, late.publicKey])
        #expect(pool.count == 0)
    }

    @Test func aBatchStaysWithinItsByteBudgetAndSmallerTransactionsStillFit() {
        var pool = Mempool()
        let view = StubView()
        let big = Fixtures.tx(keys[0], 1, Fixtures.request(String(repeating: "x", count: 800)))
        let smalls = (1...3).map { Fixtures.tx(keys[1], UInt64($0)) }
        _ = pool.admit(big, view: view, now: 0)
        for tx in smalls { _ = pool.admit(tx, view: view, now: 1) }
        let budget = 3 * smalls[0].encodedSize
        let batch = pool.batch(maxCount: 100, maxBytes: budget, view: view)
        #expect(batch == smalls, "the big one does not fit, so its signer stops; the small ones fill the budget")
        #expect(batch.map(\.encodedSize).reduce(0, +) <= budget)
        #expect(pool.batch(maxCount: 0, maxBytes: budget, view: view).isEmpty)
        #expect(pool.batch(maxCount: 5, maxBytes: 0, view: view).isEmpty)
    }

    @Test func committingABlockDropsItsTransactionsAndThoseWhoseNonceItUsed() {
        var pool = Mempool()
        var view = StubView()
        let mine = Fixtures.tx(keys[0], 1, Fixtures.request("mine"))
        let later = Fixtures.tx(keys[0], 2)
        let other = Fixtures.tx(keys[1], 1)
        for tx in [mine, later, other] { _ = pool.admit(tx, view: view, now: 0) }
        // Another node's transaction with nonce 1 from the same signer was committed instead of `mine`.
        let theirs = Fixtures.tx(keys[0], 1, Fixtures.request("theirs"))
        view.apply([theirs])
        let dropped = pool.committed([theirs], view: view)
        #expect(dropped == [EvictedTransaction(id: mine.id, transaction: mine, reason: .nonceUsed)])
        #expect(pool.pending(of: keys[0].publicKey) == [later] && pool.contains(other.id) && pool.count == 2)
        #expect(pool.batch(maxCount: 10, maxBytes: 1 << 20, view: view).count == 2)
    }

    @Test func aCommittedNonceAtTheLargestValueDropsEveryPendingTransactionOfItsSigner() {
        var pool = Mempool(settings: Fixtures.small(nonceGap: .max))
        var view = StubView()
        let pending = Fixtures.tx(keys[0], .max - 1)
        _ = pool.admit(pending, view: view, now: 0)
        let last = Fixtures.tx(keys[0], .max, Fixtures.request("the last one"))
        view.apply([last])
        #expect(pool.committed([last], view: view).map(\.id) == [pending.id] && pool.count == 0)
        #expect(pool.admit(last, view: view, now: 0).rejection == .nonceUsed(nonce: .max, committed: .max))
    }

    @Test func theBatchDoesNotDependOnThePoolsHistory() {
        // Same pending transactions in the same arrival order, reached by different
        // paths (one pool held and dropped others in between): same batch, same stale list.
        let view = StubView()
        var direct = Mempool(), detour = Mempool()
        let wanted = keys.flatMap { k in (1...3).map { Fixtures.tx(k, UInt64($0)) } }
        let extra = (5...40).map { Fixtures.tx(Fixtures.key(UInt8($0)), 1) }
        for (i, tx) in wanted.enumerated() {
            _ = direct.admit(tx, view: view, now: .origin + .milliseconds(i))
            _ = detour.admit(extra[i], view: view, now: .origin + .milliseconds(i))
            _ = detour.admit(tx, view: view, now: .origin + .milliseconds(i))
        }
        detour.committed(Array(extra.prefix(wanted.count)), view: view)
        #expect(detour.count == direct.count)
        #expect(detour.batch(maxCount: 7, maxBytes: 1 << 20, view: view) == direct.batch(maxCount: 7, maxBytes: 1 << 20, view: view))
        #expect(detour.signers == direct.signers)
        #expect(detour.evictStale(now: 1_000_000) == direct.evictStale(now: 1_000_000))
    }
}
