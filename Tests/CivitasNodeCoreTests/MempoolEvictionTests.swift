import CivitasCodec
import CivitasLedger
@testable import CivitasNodeCore
import Testing

/// Fair admission when full, the byte bound, stale eviction, revalidation.
@Suite("Mempool eviction")
struct MempoolEvictionTests {
    let flooder = Fixtures.key(1), quiet = Fixtures.key(2), other = Fixtures.key(3)

    @Test func whenFullTheFloodingSignerLosesItsHighestNonceAndAQuietSignerGetsIn() {
        var pool = Mempool(settings: Fixtures.small(transactions: 10, perSigner: 100))
        let view = StubView()
        let flood = (1...10).map { Fixtures.tx(flooder, UInt64($0)) }
        for tx in flood { #expect(pool.admit(tx, view: view, now: 0).admittedID != nil) }
        #expect(pool.admit(Fixtures.tx(flooder, 11), view: view, now: 0).rejection == .full(transactions: 10, bytes: pool.bytes))

        let first = Fixtures.tx(quiet, 1)
        let outcome = pool.admit(first, view: view, now: 1)
        #expect(outcome == .admitted(id: first.id, displaced: [EvictedTransaction(id: flood[9].id, transaction: flood[9], reason: .displaced)]))
        #expect(pool.count == 10 && pool.pending(of: flooder.publicKey) == Array(flood.prefix(9)))
        // The flooder's next is still refused; the quiet signer keeps getting in until it holds
        // as many as the flooder would after the swap.
        #expect(pool.admit(Fixtures.tx(flooder, 10), view: view, now: 1).rejection == .full(transactions: 10, bytes: pool.bytes))
        var admitted = 1
        for n: UInt64 in 2...10 where pool.admit(Fixtures.tx(quiet, n), view: view, now: 2).admittedID != nil { admitted += 1 }
        #expect(admitted == 5 && pool.pendingCount(of: quiet.publicKey) == 5 && pool.pendingCount(of: flooder.publicKey) == 5)
        #expect(pool.pending(of: flooder.publicKey) == Array(flood.prefix(5)), "the flooder keeps its lowest nonces, still contiguous")
        #expect(pool.consistencyViolations().isEmpty)
    }

    @Test func theLargestHolderLosesAndTiesGoToTheLowestKey() {
        var pool = Mempool(settings: Fixtures.small(transactions: 6))
        let view = StubView()
        let (low, high) = flooder.publicKey < other.publicKey ? (flooder, other) : (other, flooder)
        for n: UInt64 in 1...3 { _ = pool.admit(Fixtures.tx(high, n), view: view, now: 0) }
        for n: UInt64 in 1...3 { _ = pool.admit(Fixtures.tx(low, n), view: view, now: 0) }
        let outcome = pool.admit(Fixtures.tx(quiet, 1), view: view, now: 0)
        #expect(outcome.displaced.map(\.transaction) == [Fixtures.tx(low, 3)])
    }

    @Test func nobodyIsDisplacedForANewcomerThatIsItselfRefused() {
        var pool = Mempool(settings: Fixtures.small(transactions: 4))
        var view = StubView()
        view.roles[quiet.publicKey] = RoleSet([.resident])
        for n: UInt64 in 1...4 { _ = pool.admit(Fixtures.tx(flooder, n), view: view, now: 0) }
        let before = pool.pending(of: flooder.publicKey)
        #expect(pool.admit(Fixtures.forged(Fixtures.tx(quiet, 1), by: quiet), view: view, now: 0).rejection == .badSignature)
        #expect(pool.admit(Fixtures.tx(quiet, 1, Fixtures.notice(.finance)), view: view, now: 0).rejection?.description.hasPrefix("not permitted") == true)
        #expect(pool.pending(of: flooder.publicKey) == before && pool.count == 4)
    }

    @Test func theByteBoundHoldsAndALargeNewcomerDisplacesSeveralSmallTransactions() {
        let small = Fixtures.tx(flooder, 1)
        let unit = small.encodedSize
        var pool = Mempool(settings: Fixtures.small(transactions: 100, bytes: 6 * unit + unit / 2))
        let view = StubView()
        let flood = (1...6).map { Fixtures.tx(flooder, UInt64($0)) }
        for tx in flood { #expect(pool.admit(tx, view: view, now: 0).admittedID != nil) }
        #expect(pool.admit(Fixtures.tx(flooder, 7), view: view, now: 0).rejection == .full(transactions: 6, bytes: 6 * unit))
        // Nearly two small ones' worth: with half a small one free, two must go.
        let large = Fixtures.tx(quiet, 1, Fixtures.request(String(repeating: "x", count: unit)))
        let size = large.encodedSize
        #expect(size > 3 * unit / 2 && size <= 2 * unit)
        let outcome = pool.admit(large, view: view, now: 0)
        #expect(outcome.displaced.map(\.transaction) == [flood[5], flood[4]])
        #expect(pool.bytes <= pool.settings.maxBytes && pool.bytes == 4 * unit + size)
        // A newcomer that could only fit by leaving its signer with more than the holder is refused
        // (it would need three of the flooder's four), and nothing is displaced.
        let second = Fixtures.tx(quiet, 2, Fixtures.request(String(repeating: "y", count: 3 * unit)))
        #expect(pool.admit(second, view: view, now: 0).rejection == .full(transactions: 5, bytes: pool.bytes))
        #expect(pool.count == 5 && pool.pendingCount(of: flooder.publicKey) == 4 && pool.consistencyViolations().isEmpty)
    }

    @Test func staleTransactionsAreEvictedInArrivalOrderAndReturned() {
        var pool = Mempool(settings: Fixtures.small(staleAfter: 1_000))
        let view = StubView()
        let a = Fixtures.tx(flooder, 1), b = Fixtures.tx(quiet, 1), c = Fixtures.tx(other, 1)
        _ = pool.admit(b, view: view, now: 100)
        _ = pool.admit(a, view: view, now: 100)
        _ = pool.admit(c, view: view, now: 600)
        #expect(pool.evictStale(now: 1_100).isEmpty, "exactly the limit is not stale yet")
        #expect(pool.evictStale(now: 50).isEmpty, "a clock stepped back makes nothing stale")
        let evicted = pool.evictStale(now: 1_101)
        #expect(evicted == [EvictedTransaction(id: b.id, transaction: b, reason: .stale),
                            EvictedTransaction(id: a.id, transaction: a, reason: .stale)])
        #expect(pool.count == 1 && pool.contains(c.id) && pool.bytes == c.encodedSize)
        #expect(pool.evictStale(now: 1_601).map(\.id) == [c.id] && pool.count == 0 && pool.bytes == 0)
        #expect(pool.admit(a, view: view, now: 2_000).admittedID == a.id, "an evicted transaction may be resubmitted")
    }

    @Test func revalidationDropsTransactionsTheRulesNoLongerAllow() {
        var pool = Mempool()
        var view = StubView()
        view.roles[flooder.publicKey] = RoleSet([.partyBranch])
        let notice = Fixtures.tx(flooder, 1, Fixtures.notice(.partyAffairs))
        let request = Fixtures.tx(flooder, 2)
        _ = pool.admit(notice, view: view, now: 0)
        _ = pool.admit(request, view: view, now: 0)
        view.roles[flooder.publicKey] = RoleSet([.resident])  // a registration update took the role away
        let dropped = pool.revalidate(view: view)
        #expect(dropped == [EvictedTransaction(id: notice.id, transaction: notice,
                                               reason: .notPermitted("a partyAffairs notice is issued only by partyBranch"))])
        #expect(pool.pending(of: flooder.publicKey) == [request])
    }
}
