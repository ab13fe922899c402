import Synchronization
public import CivitasCodec

/// The one place where the ledger's Ed25519 signatures are checked: every
/// transaction, block vote, commit certificate, peer record and proposal
/// endorsement a node verifies goes through the `SignatureVerifier` it was
/// given. A real node uses `.direct` (the default everywhere): each check
/// runs Ed25519. A simulation of many nodes gives all of them one
/// `.shared(cache)`: every node still asks, and the answer is still Ed25519's,
/// but a signature the simulated city already checked is not checked again
/// (issue #17: every simulated node checks the same signatures).
public struct SignatureVerifier: Sendable {
    private let cache: SignatureCache?

    /// Runs Ed25519 for every check (a real node).
    public static let direct = SignatureVerifier(cache: nil)

    /// Checks each (key, digest, signature) once through `cache`, shared by the nodes of one simulation.
    public static func shared(_ cache: SignatureCache) -> SignatureVerifier { SignatureVerifier(cache: cache) }

    /// True if `signature` is `key`'s Ed25519 signature over `digest`.
    public func isValid(_ signature: Signature, by key: PublicKey, digest: Hash) -> Bool {
        guard let cache else { return key.isValidSignature(signature, digest: digest) }
        return cache.isValid(signature, by: key, digest: digest)
    }

    /// True if `signature` is `key`'s signature over `message` in `domain`.
    public func isValid(_ signature: Signature, by key: PublicKey, for message: [UInt8], domain: SigningDomain) -> Bool {
        isValid(signature, by: key, digest: domain.digest(message))
    }
}

/// Ed25519 answers already computed, keyed by the whole question (public key,
/// signed digest, signature), so an answer is only ever reused for exactly the
/// check that produced it. Bounded: two generations of `capacity` answers
/// each; when the current one fills, the older is dropped (a signature is
/// checked by the simulated nodes within seconds of each other, so little is
/// checked twice). Thread-safe: campaigns run simulations in parallel.
public final class SignatureCache: Sendable {
    struct Question: Hashable {
        let key: PublicKey
        let digest: Hash
        let signature: Signature
    }

    struct Answers {
        var current: [Question: Bool] = [:]
        var previous: [Question: Bool] = [:]
        var computed = 0
        var reused = 0
    }

    /// Answers kept per generation.
    public let capacity: Int
    private let answers = Mutex(Answers())

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(1, capacity)
    }

    /// Checks computed with Ed25519, and answered from the cache.
    public var counts: (computed: Int, reused: Int) { answers.withLock { ($0.computed, $0.reused) } }

    func isValid(_ signature: Signature, by key: PublicKey, digest: Hash) -> Bool {
        let question = Question(key: key, digest: digest, signature: signature)
        let known: Bool? = answers.withLock { a in
            if let answer = a.current[question] {
                a.reused += 1
                return answer
            }
            guard let answer = a.previous[question] else { return nil }
            a.reused += 1
            remember(question, answer, in: &a)
            return answer
        }
        if let known { return known }
        // Outside the lock: another thread's checks need not wait for this one.
        let answer = key.isValidSignature(signature, digest: digest)
        answers.withLock { a in
            a.computed += 1
            remember(question, answer, in: &a)
        }
        return answer
    }

    private func remember(_ question: Question, _ answer: Bool, in a: inout Answers) {
        if a.current.count >= capacity {
            a.previous = a.current
            a.current = Dictionary(minimumCapacity: capacity)
        }
        a.current[question] = answer
    }
}
