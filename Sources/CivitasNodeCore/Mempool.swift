public import CivitasCodec
import CivitasGovernance
public import CivitasLedger
public import CivitasTime

/// The transactions a node holds between their arrival and their inclusion in
/// a committed block: a value type with no clock, no randomness and no I/O.
///
/// Contract with the node: pass every submitted or gossiped transaction to
/// `admit` with a view of the committed state and the current time; it checks,
/// cheapest first, the community, the size, duplicates (a resubmission is
/// `alreadyKnown`, not an error), the nonce against the view (replays and
/// nonces too far ahead are refused, one transaction per signer and nonce),
/// the per-signer and global bounds (a full pool displaces the highest-nonce
/// transaction of the signer holding the most, only if the newcomer's signer
/// would still hold fewer than that one did, and only once the newcomer has
/// passed every check), the
/// governance rules (`MempoolView.permission`) and last the signature. Gossip
/// only what it admitted. The block producer takes `batch` (per signer in
/// nonce order from the committed nonce on, round-robin across signers); a
/// batch stays in the pool until the node reports the applied block's
/// transactions to `committed`, which also drops every pending transaction
/// whose nonce the block used. Call `evictStale` now and then, and
/// `revalidate` after a block changed the rules (roles, registrations).
/// Deterministic: the same calls give the same outputs in the same order (no
/// hash-table order leaks out), so a simulation replays exactly.
public struct Mempool: Sendable {
    /// The bounds this pool enforces.
    public let settings: MempoolSettings
    /// Where admission checks signatures.
    public let signatures: SignatureVerifier

    /// One held transaction.
    struct Entry: Sendable {
        let transaction: Transaction
        let id: Hash
        /// Encoded size (`Transaction.encoded().count`).
        let bytes: Int
        /// This node's time when it was admitted.
        let arrival: MonotonicTime
        /// Admission order: unique, increasing.
        let sequence: UInt64
    }

    /// One signer's pending transactions, sorted by nonce (at most one per nonce).
    struct SignerQueue: Sendable {
        var nonces: [UInt64] = []
        var ids: [Hash] = []

        var count: Int { nonces.count }

        /// The first index whose nonce is not below `nonce`.
        func lowerBound(_ nonce: UInt64) -> Int {
            var low = 0, high = nonces.count
            while low < high {
                let mid = (low + high) / 2
                if nonces[mid] < nonce { low = mid + 1 } else { high = mid }
            }
            return low
        }

        /// The ID pending with `nonce`, if any.
        func id(nonce: UInt64) -> Hash? {
            let i = lowerBound(nonce)
            return i < nonces.count && nonces[i] == nonce ? ids[i] : nil
        }

        mutating func insert(nonce: UInt64, id: Hash) {
            let i = lowerBound(nonce)
            nonces.insert(nonce, at: i)
            ids.insert(id, at: i)
        }

        mutating func remove(nonce: UInt64) {
            let i = lowerBound(nonce)
            guard i < nonces.count, nonces[i] == nonce else { return }
            nonces.remove(at: i)
            ids.remove(at: i)
        }
    }

    private var entries: [Hash: Entry] = [:]
    private var queues: [PublicKey: SignerQueue] = [:]
    /// Signers by the number of transactions they hold (no empty sets, no zero key).
    private var holders: [Int: Set<PublicKey>] = [:]
    /// The largest number of transactions one signer holds (0 when empty).
    private var largestHolding = 0
    /// Encoded bytes held.
    public private(set) var bytes = 0
    private var nextSequence: UInt64 = 0

    /// An empty pool with `settings`.
    public init(settings: MempoolSettings = MempoolSettings(), signatures: SignatureVerifier = .direct) {
        self.settings = settings
        self.signatures = signatures
    }

    // MARK: - Queries

    /// Transactions held.
    public var count: Int { entries.count }
    /// Signers with at least one transaction held.
    public var signerCount: Int { queues.count }
    /// True if the transaction with `id` is held.
    public func contains(_ id: Hash) -> Bool { entries[id] != nil }
    /// The held transaction with `id`.
    public func transaction(_ id: Hash) -> Transaction? { entries[id]?.transaction }
    /// When the transaction with `id` was admitted (this node's time).
    public func arrival(of id: Hash) -> MonotonicTime? { entries[id]?.arrival }
    /// How many transactions `signer` holds.
    public func pendingCount(of signer: PublicKey) -> Int { queues[signer]?.count ?? 0 }
    /// `signer`'s held transactions in nonce order.
    public func pending(of signer: PublicKey) -> [Transaction] {
        (queues[signer]?.ids ?? []).map { entries[$0]!.transaction }
    }
    /// Removes and returns `signer`'s held transactions, in nonce order.
    public mutating func withdraw(of signer: PublicKey) -> [Transaction] {
        let ids = Array(queues[signer]?.ids ?? [])
        return ids.map { remove($0).transaction }
    }
    /// The signers holding transactions, in key-byte order.
    public var signers: [PublicKey] { queues.keys.sorted() }


    // MARK: - Admission

    /// Checks `transaction` against the settings and `view` and holds it if
    /// it passes; see the type's contract for the order of the checks.
    public mutating func admit(_ transaction: Transaction, view: some MempoolView, now: MonotonicTime) -> Admission {
        let signer = transaction.signer, nonce = transaction.nonce
        guard transaction.community == view.community else {
            return .rejected(.wrongCommunity(transaction: transaction.community, node: view.community))
        }
        let size = transaction.encodedSize
        guard size <= settings.maxTransactionBytes else {
            return .rejected(.tooLarge(bytes: size, limit: settings.maxTransactionBytes))
        }
        // The ID excludes the signature: a copy with another signature is the same
        // transaction, and the held one's signature was already verified.
        let id = transaction.id
        if entries[id] != nil { return .alreadyKnown(id: id) }

        let committed = view.committedNonce(of: signer)
        guard !NonceRule.isUsed(nonce, latest: committed) else {
            return .rejected(.nonceUsed(nonce: nonce, committed: committed))
        }
        guard nonce - committed <= settings.maxNonceGap else {
            return .rejected(.nonceTooFarAhead(nonce: nonce, committed: committed, maxGap: settings.maxNonceGap))
        }
        let queue = queues[signer]
        if let other = queue?.id(nonce: nonce) { return .rejected(.nonceTaken(nonce: nonce, pending: other)) }
        let held = queue?.count ?? 0
        guard held < settings.maxPerSigner else { return .rejected(.signerAtLimit(pending: held)) }
        // Plan room before the expensive checks, but displace nobody until the
        // newcomer has passed them all.
        guard let victims = roomPlan(signerHolding: held, size: size) else {
            return .rejected(.full(transactions: entries.count, bytes: bytes))
        }
        if let reason = view.permission(for: transaction) { return .rejected(.notPermitted(reason)) }
        guard transaction.hasValidSignature(using: signatures) else {
            return .rejected(.badSignature)
        }

        let displaced = victims.map { EvictedTransaction(id: $0, transaction: remove($0).transaction, reason: .displaced) }
        insert(Entry(transaction: transaction, id: id, bytes: size, arrival: now, sequence: nextSequence))
        nextSequence += 1
        return .admitted(id: id, displaced: displaced)
    }

    /// The transactions to displace so that one of `size` bytes fits, from a
    /// signer now holding `held`; nil if fair admission allows no room.
    ///
    /// Each step takes the highest nonce of the signer holding the most (ties:
    /// the lowest key), counting the steps already planned, and only while the
    /// newcomer's signer, with the newcomer, still holds fewer than that holder
    /// did: afterwards it holds no more than the holder, so the holder cannot
    /// displace it straight back (no ping-pong between two near-equal signers).
    private func roomPlan(signerHolding held: Int, size: Int) -> [Hash]? {
        var count = entries.count, total = bytes
        func fits() -> Bool { count < settings.maxTransactions && total + size <= settings.maxBytes }
        if fits() { return [] }
        // The common refusal under a flood costs O(1): nobody holds enough to displace.
        guard held + 1 < largestHolding else { return nil }
        var taken: [PublicKey: Int] = [:]
        var victims: [Hash] = []
        while !fits() {
            guard let (holder, holding) = largestHolder(excluding: taken), held + 1 < holding else { return nil }
            let victim = queues[holder]!.ids[holding - 1]
            victims.append(victim)
            taken[holder, default: 0] += 1
            count -= 1
            total -= entries[victim]!.bytes
        }
        return victims
    }

    /// The signer holding the most once `taken[s]` of each signer's transactions
    /// are set aside, with what it then holds; ties go to the lowest key, so
    /// the answer does not depend on set iteration order.
    private func largestHolder(excluding taken: [PublicKey: Int]) -> (PublicKey, Int)? {
        var best: (signer: PublicKey, holding: Int)?
        var level = largestHolding
        while level > 0 {
            if let b = best, level < b.holding { break }
            for signer in holders[level] ?? [] {
                let holding = level - taken[signer, default: 0]
                if let b = best, holding < b.holding || (holding == b.holding && !(signer < b.signer)) { continue }
                best = (signer, holding)
            }
            level -= 1
        }
        guard let best, best.holding > 0 else { return nil }
        return (best.signer, best.holding)
    }

    // MARK: - Block production

    /// A signer's transactions ready for a block: nonces contiguous from its committed nonce.
    private struct Run {
        var signer: PublicKey
        /// Admission order of the first one.
        var first: UInt64
        var ids: ArraySlice<Hash>
    }

    /// Up to `maxCount` transactions and `maxBytes` encoded bytes for the next
    /// block, without removing them.
    ///
    /// Each signer contributes only its run of nonces contiguous from
    /// `view.committedNonce + 1` (a gap stops it), in nonce order. Signers take
    /// turns, one transaction each per round, so a busy signer cannot fill a
    /// block; the turn order is the arrival order of each signer's next
    /// transaction (the longest-waiting first), ties by key bytes. A signer
    /// whose next transaction does not fit the bytes left stops; others go on.
    public func batch(maxCount: Int, maxBytes: Int, view: some MempoolView) -> [Transaction] {
        guard maxCount > 0, maxBytes > 0 else { return [] }
        var runs: [Run] = []
        for (signer, queue) in queues {
            guard let next = NonceRule.next(after: view.committedNonce(of: signer)) else { continue }
            let start = queue.lowerBound(next)
            guard start < queue.count, queue.nonces[start] == next else { continue }
            var end = start + 1
            while end < queue.count, queue.nonces[end] == queue.nonces[end - 1] + 1 { end += 1 }
            let ids = queue.ids[start..<end]
            runs.append(Run(signer: signer, first: entries[ids.first!]!.sequence, ids: ids))
        }
        runs.sort { ($0.first, $0.signer) < ($1.first, $1.signer) }

        var out: [Transaction] = []
        var used = 0
        var active = runs
        while !active.isEmpty && out.count < maxCount {
            var next: [Run] = []
            for var run in active {
                guard out.count < maxCount else { break }
                let entry = entries[run.ids.first!]!
                guard used + entry.bytes <= maxBytes else { continue }
                out.append(entry.transaction)
                used += entry.bytes
                run.ids = run.ids.dropFirst()
                if !run.ids.isEmpty { next.append(run) }
            }
            active = next
        }
        return out
    }

    // MARK: - Removal

    /// After a block is applied: drops its `transactions` that are held, then
    /// every held transaction of their signers whose nonce `view` now shows
    /// used (another transaction took it). Only a block's own signers' nonces
    /// move, so pass every applied block's transactions. Returns the ones
    /// dropped without being in `transactions`, by signer key, then nonce.
    @discardableResult
    public mutating func committed(_ transactions: [Transaction], view: some MempoolView) -> [EvictedTransaction] {
        var signers: Set<PublicKey> = []
        for tx in transactions {
            signers.insert(tx.signer)
            let id = tx.id
            if entries[id] != nil { remove(id) }
        }
        var dropped: [EvictedTransaction] = []
        for signer in signers.sorted() {
            guard let queue = queues[signer] else { continue }
            let used = NonceRule.next(after: view.committedNonce(of: signer)).map(queue.lowerBound) ?? queue.count
            for id in queue.ids[..<used] {
                dropped.append(EvictedTransaction(id: id, transaction: remove(id).transaction, reason: .nonceUsed))
            }
        }
        return dropped
    }

    /// Removes and returns every transaction that has waited longer than
    /// `settings.staleAfter` since it arrived, in arrival order. A time before
    /// a transaction's arrival (a clock stepped back) never makes it stale.
    /// It looks at every held transaction (a few milliseconds for 50,000), so
    /// call it about once a second, not per admission.
    public mutating func evictStale(now: MonotonicTime) -> [EvictedTransaction] {
        let stale = entries.values.filter { now > $0.arrival && now - $0.arrival > settings.staleAfter }
            .sorted { $0.sequence < $1.sequence }
        return stale.map { EvictedTransaction(id: $0.id, transaction: remove($0.id).transaction, reason: .stale) }
    }

    /// Checks every held transaction again against `view` (nonce and rules),
    /// for use after a block changed the rules' inputs (roles, registrations);
    /// removes and returns the ones that fail, in arrival order. One
    /// `permission` call per held transaction.
    public mutating func revalidate(view: some MempoolView) -> [EvictedTransaction] {
        var dropped: [EvictedTransaction] = []
        for entry in entries.values.sorted(by: { $0.sequence < $1.sequence }) {
            let reason: EvictedTransaction.Reason
            if NonceRule.isUsed(entry.transaction.nonce, latest: view.committedNonce(of: entry.transaction.signer)) {
                reason = .nonceUsed
            } else if let refusal = view.permission(for: entry.transaction) {
                reason = .notPermitted(refusal)
            } else {
                continue
            }
            dropped.append(EvictedTransaction(id: entry.id, transaction: remove(entry.id).transaction, reason: reason))
        }
        return dropped
    }

    // MARK: - Bookkeeping

    private mutating func insert(_ entry: Entry) {
        let signer = entry.transaction.signer
        entries[entry.id] = entry
        bytes += entry.bytes
        let before = queues[signer]?.count ?? 0
        queues[signer, default: SignerQueue()].insert(nonce: entry.transaction.nonce, id: entry.id)
        moveHolder(signer, from: before, to: before + 1)
    }

    @discardableResult
    private mutating func remove(_ id: Hash) -> Entry {
        let entry = entries.removeValue(forKey: id)!
        let signer = entry.transaction.signer
        bytes -= entry.bytes
        let before = queues[signer]!.count
        if before == 1 {
            queues[signer] = nil
        } else {
            queues[signer]!.remove(nonce: entry.transaction.nonce)
        }
        moveHolder(signer, from: before, to: before - 1)
        return entry
    }

    private mutating func moveHolder(_ signer: PublicKey, from old: Int, to new: Int) {
        if old > 0 {
            holders[old]!.remove(signer)
            if holders[old]!.isEmpty { holders[old] = nil }
        }
        if new > 0 { holders[new, default: []].insert(signer) }
        largestHolding = max(largestHolding, new)
        while largestHolding > 0 && holders[largestHolding] == nil { largestHolding -= 1 }
    }

    /// Internal consistency (for tests): the indexes agree with the entries and the bounds hold.
    func consistencyViolations() -> [String] {
        var problems: [String] = []
        if entries.count > settings.maxTransactions { problems.append("count \(entries.count) over \(settings.maxTransactions)") }
        if bytes > settings.maxBytes { problems.append("bytes \(bytes) over \(settings.maxBytes)") }
        if bytes != entries.values.reduce(0, { $0 + $1.bytes }) { problems.append("byte total disagrees with entries") }
        if queues.values.reduce(0, { $0 + $1.count }) != entries.count { problems.append("queues disagree with entries") }
        for (signer, queue) in queues {
            if queue.count == 0 || queue.count > settings.maxPerSigner { problems.append("\(signer) holds \(queue.count)") }
            if !zip(queue.nonces, queue.nonces.dropFirst()).allSatisfy({ $0 < $1 }) { problems.append("\(signer): nonces not strictly increasing") }
            for (nonce, id) in zip(queue.nonces, queue.ids) where entries[id]?.transaction.nonce != nonce || entries[id]?.transaction.signer != signer {
                problems.append("\(signer): nonce \(nonce) indexes the wrong entry")
            }
            if holders[queue.count]?.contains(signer) != true { problems.append("\(signer) missing from holders[\(queue.count)]") }
        }
        if holders.values.reduce(0, { $0 + $1.count }) != queues.count { problems.append("holders disagree with queues") }
        if largestHolding != (queues.values.map(\.count).max() ?? 0) { problems.append("largestHolding \(largestHolding) is stale") }
        return problems
    }
}
