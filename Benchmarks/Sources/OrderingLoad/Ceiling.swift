// The machine's Ed25519 verification ceiling on the benchmark's own signed
// transactions: one core's verifications/s times the cores, and one verifying
// thread per core at once (the honest ceiling: cores share caches, memory and
// turbo headroom).
import CivitasCodec
import CivitasLedger
import Foundation
import Synchronization

struct Ceiling {
    /// False if any signature failed to verify.
    static func run(seconds: Double, factory: TransactionFactory, signers: Int) -> Bool {
        let keys = (0..<signers).map { i -> SigningKey in
            var seed = [UInt8](repeating: 0, count: 32)
            seed[0] = UInt8(i & 0xff); seed[1] = UInt8(i >> 8); seed[2] = 0xce
            return SigningKey(seed: Bytes32(seed)!)
        }
        let count = 4096
        let txs: [Transaction] = parallelMap(count) { i in factory.transaction(signer: keys[i % keys.count], nonce: UInt64(i / keys.count + 1)) }
        // What the raw check needs, prepared outside the timed loop.
        let prepared: [(PublicKey, Signature, Hash)] = txs.map { tx in
            (tx.signer, tx.signature, SigningDomain.transaction.digest(tx.body.signingMessage))
        }
        let sizes = txs.map { $0.encoded().count }
        print("transactions: \(factory.kind.rawValue), \(sizes.min()!)-\(sizes.max()!) bytes encoded, signed by \(signers) keys")

        let cores = ProcessInfo.processInfo.activeProcessorCount
        // Single core: the signature check alone (PublicKey.isValidSignature on the
        // transaction's domain digest), then the whole per-transaction check a node
        // does (Transaction.hasValidSignature: encode the signed message, hash, verify).
        let single = timed(seconds: seconds) { i in
            let p = prepared[i % count]
            return p.0.isValidSignature(p.1, digest: p.2)
        }
        let full = timed(seconds: seconds / 2) { i in txs[i % count].hasValidSignature() }
        let perCore = single.rate
        print("single core: \(fmt(perCore, 0)) verifications/s (PublicKey.isValidSignature), \(fmt(full.rate, 0))/s with encoding and hashing (Transaction.hasValidSignature); \(single.failures + full.failures) failures")

        // One thread per core, all at once.
        let counts = Mutex<[(rate: Double, failures: Int)]>([])
        DispatchQueue.concurrentPerform(iterations: cores) { c in
            let r = timed(seconds: seconds) { i in
                let p = prepared[(i &* 7 &+ c * 977) % count]
                return p.0.isValidSignature(p.1, digest: p.2)
            }
            counts.withLock { $0.append(r) }
        }
        let parallel = counts.withLock { $0.reduce(0) { $0 + $1.rate } }
        let product = perCore * Double(cores)
        print("ceiling: \(cores) cores x \(fmt(perCore, 0))/s = \(fmt(product, 0)) verifications/s; \(cores) threads at once: \(fmt(parallel, 0))/s (\(fmt(100 * parallel / product, 0))% of the product)")
        let failures = single.failures + full.failures + counts.withLock { $0.reduce(0) { $0 + $1.failures } }
        print("result: phase=ceiling single_core=\(fmt(perCore, 1)) full_check=\(fmt(full.rate, 1)) cores=\(cores) product=\(fmt(product, 1)) parallel=\(fmt(parallel, 1)) failures=\(failures)")
        return failures == 0
    }

    /// Calls `body` with 0, 1, 2, ... for about `seconds`; checks the clock every 64 calls.
    static func timed(seconds: Double, _ body: (Int) -> Bool) -> (rate: Double, failures: Int) {
        let start = nowNanos()
        let end = start + Int64(seconds * 1e9)
        var i = 0, failures = 0
        var now = start
        while now < end {
            for _ in 0..<64 {
                if !body(i) { failures += 1 }
                i += 1
            }
            now = nowNanos()
        }
        return (Double(i) / (Double(now - start) / 1e9), failures)
    }
}
