import CivitasCodec
import CivitasLedger
@testable import CivitasNodeCore
import CivitasTestSupport
import CivitasTime
import Testing

/// A seeded random workload (admissions good and bad, blocks, foreign commits,
/// stale eviction, rule changes) with the invariants checked after every step.
@Suite("Mempool properties")
struct MempoolPropertyTests {
    static let keys = (1...6).map { Fixtures.key(UInt8($0)) }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func boundsUniquenessAndContiguousBatchesHoldAfterEveryStep(seed: UInt64) {
        var g = SplitMix64(seed: seed)
        var settings = MempoolSettings()
        settings.maxTransactions = 16
        settings.maxPerSigner = 4
        settings.maxNonceGap = 10
        settings.maxBytes = 16 * 220
        settings.maxTransactionBytes = 400
        settings.staleAfter = .seconds(20)
        var pool = Mempool(settings: settings)
        var view = StubView()
        view.roles[Self.keys[0].publicKey] = RoleSet([.partyBranch])
        var held: [Hash: Transaction] = [:]  // what the outputs say the pool holds
        var now: MonotonicTime = .origin
        var counts: [String: Int] = [:]

        for step in 0..<500 {
            now += .milliseconds(g.int(0...150))
            switch g.int(0...99) {
            case 0..<65:
                // One busy key sends a third of the traffic, so its bound and fair admission come into play.
                let key = g.chance(33) ? Self.keys[2] : Self.keys[g.int(0...Self.keys.count - 1)]
                let tx: Transaction
                if !held.isEmpty && g.chance(10) {
                    tx = held.values.sorted { $0.id < $1.id }[g.int(0...held.count - 1)]
                } else {
                    let nonce = view.committedNonce(of: key.publicKey) + UInt64(g.chance(80) ? g.int(1...5) : g.int(0...12))
                    let payload = g.chance(10) ? Fixtures.notice(.partyAffairs)
                        : Fixtures.request(String(repeating: "x", count: g.int(0...300)))
                    let signed = Fixtures.tx(key, nonce, payload)
                    tx = g.chance(5) ? Fixtures.forged(signed, by: key) : signed
                }
                let wasHeld = held[tx.id] != nil
                let before = (pool.count, pool.bytes, pool.pendingCount(of: tx.signer))
                let outcome = pool.admit(tx, view: view, now: now)
                switch outcome {
                case let .admitted(id, displaced):
                    counts["admitted", default: 0] += 1
                    #expect(!wasHeld && id == tx.id && tx.hasValidSignature())
                    #expect(view.permission(for: tx) == nil && tx.nonce > view.committedNonce(of: tx.signer))
                    held[id] = tx
                    for d in displaced {
                        counts["displaced", default: 0] += 1
                        #expect(d.reason == .displaced && d.transaction.signer != tx.signer)
                        #expect(held.removeValue(forKey: d.id) != nil, "step \(step): displaced a transaction not held")
                        #expect(pool.pendingCount(of: d.transaction.signer) >= before.2 + 1,
                                "step \(step): fair admission left the displaced signer with fewer than the newcomer's")
                    }
                case let .alreadyKnown(id):
                    counts["known", default: 0] += 1
                    #expect(wasHeld && id == tx.id && pool.count == before.0 && pool.bytes == before.1)
                case let .rejected(reason):
                    counts["\(reason)", default: 0] += 1
                    #expect(!wasHeld && pool.count == before.0 && pool.bytes == before.1, "step \(step): a refusal changed the pool")
                    if reason == .badSignature { #expect(!tx.hasValidSignature()) }
                }
            case 65..<88:
                // The leader cuts a block; sometimes another node's transaction for one signer gets in
                // instead of that signer's pending ones.
                var block = pool.batch(maxCount: g.int(1...8), maxBytes: g.int(200...3_000), view: view)
                let ready = Self.keys.filter { !Self.readyRun(pool, $0.publicKey, view).isEmpty }
                if g.chance(40), !ready.isEmpty {
                    let key = ready[g.int(0...ready.count - 1)]
                    block.removeAll { $0.signer == key.publicKey }
                    block.append(Fixtures.tx(key, view.committedNonce(of: key.publicKey) + 1, Fixtures.request("from elsewhere \(step)")))
                }
                view.apply(block)
                let dropped = pool.committed(block, view: view)
                for tx in block { held[tx.id] = nil }
                for d in dropped {
                    counts["nonceUsed", default: 0] += 1
                    #expect(d.reason == .nonceUsed && held.removeValue(forKey: d.id) != nil)
                }
            case 88..<95:
                now += .milliseconds(g.int(0...6_000))
                for e in pool.evictStale(now: now) {
                    counts["stale", default: 0] += 1
                    #expect(e.reason == .stale && held.removeValue(forKey: e.id) != nil)
                }
            default:
                // A registration update moves the party-branch role between two keys.
                let roles = view.roles[Self.keys[0].publicKey]
                view.roles[Self.keys[0].publicKey] = view.roles[Self.keys[1].publicKey]
                view.roles[Self.keys[1].publicKey] = roles
                for e in pool.revalidate(view: view) {
                    counts["revalidated", default: 0] += 1
                    #expect(held.removeValue(forKey: e.id) != nil)
                }
            }
            Self.checkInvariants(pool, held: held, view: view, step: step)
        }
        // The workload reached every path it is meant to exercise.
        for path in ["admitted", "displaced", "known", "nonceUsed", "stale", "mempool full", "signer at its", "bad signature",
                     "nonce already", "nonce too far", "a different", "not permitted", "too large"] {
            #expect(counts.contains { $0.key.hasPrefix(path) }, "seed \(seed): the workload never reached '\(path)' (\(counts))")
        }
    }

    static func checkInvariants(_ pool: Mempool, held: [Hash: Transaction], view: StubView, step: Int) {
        let s = pool.settings
        #expect(pool.consistencyViolations() == [], "step \(step)")
        #expect(pool.count <= s.maxTransactions && pool.bytes <= s.maxBytes, "step \(step): a bound broke")
        #expect(pool.count == held.count && held.keys.allSatisfy(pool.contains), "step \(step): pool and outputs disagree")
        var nonces: Set<String> = []
        for signer in pool.signers {
            let pending = pool.pending(of: signer)
            #expect(pending.count <= s.maxPerSigner, "step \(step): per-signer bound broke")
            let committed = view.committedNonce(of: signer)
            for tx in pending {
                #expect(nonces.insert("\(signer) \(tx.nonce)").inserted, "step \(step): two pending with one (signer, nonce)")
                #expect(tx.nonce > committed && tx.nonce - committed <= s.maxNonceGap, "step \(step): nonce outside the window")
            }
        }
        for (maxCount, maxBytes) in [(1_000, 1 << 20), (5, 700)] {
            let batch = pool.batch(maxCount: maxCount, maxBytes: maxBytes, view: view)
            #expect(batch.count <= maxCount && batch.map(\.encodedSize).reduce(0, +) <= maxBytes)
            #expect(Set(batch.map(\.id)).count == batch.count && batch.allSatisfy { pool.contains($0.id) })
            var next: [PublicKey: UInt64] = [:]
            for tx in batch {
                let expected = next[tx.signer] ?? view.committedNonce(of: tx.signer) + 1
                #expect(tx.nonce == expected, "step \(step): batch not nonce-contiguous for a signer")
                next[tx.signer] = tx.nonce + 1
            }
            // Round-robin: a signer never has two more in the batch than one that could still contribute.
            if maxCount == 1_000 {
                for signer in pool.signers where next[signer] != nil {
                    let mine = batch.filter { $0.signer == signer }.count
                    #expect(mine == Self.readyRun(pool, signer, view).count, "step \(step): an unbounded batch takes every ready run whole")
                }
            }
        }
    }

    /// `signer`'s pending transactions contiguous from its committed nonce + 1.
    static func readyRun(_ pool: Mempool, _ signer: PublicKey, _ view: StubView) -> [Transaction] {
        var run: [Transaction] = []
        var next = view.committedNonce(of: signer) + 1
        for tx in pool.pending(of: signer) where tx.nonce == next {
            run.append(tx)
            next += 1
        }
        return run
    }
}
