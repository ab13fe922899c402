/// The leader's view of one follower's log.
struct Progress {
    /// How the leader is sending to this follower.
    enum State: Equatable {
        /// Unknown match: one append at a time until a response shows where the logs agree.
        case probe
        /// Known match: stream appends, up to the in-flight window.
        case replicate
        /// The follower needs the snapshot at `pendingSnapshot`; no appends until it reports.
        case snapshot
    }

    /// Highest index known replicated on the follower.
    var match: UInt64 = 0
    /// Next index to send.
    var next: UInt64
    var state: State = .probe
    /// In probe state: an append is outstanding, so wait.
    var probeSent = false
    var pendingSnapshot: UInt64 = 0
    /// Heard from since the last check-quorum round.
    var recentActive = false
    var isLearner: Bool
    /// Last indexes of appends in flight (replicate state), oldest first.
    private(set) var inflight: [UInt64] = []
    let maxInflight: Int

    init(next: UInt64, isLearner: Bool, maxInflight: Int) {
        self.next = next
        self.isLearner = isLearner
        self.maxInflight = maxInflight
    }

    mutating func becomeProbe() {
        if state == .snapshot {
            let pending = pendingSnapshot
            state = .probe
            next = max(match + 1, pending + 1)
        } else {
            state = .probe
            next = match + 1
        }
        probeSent = false
        pendingSnapshot = 0
        inflight.removeAll(keepingCapacity: true)
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        probeSent = false
        inflight.removeAll(keepingCapacity: true)
    }

    mutating func becomeSnapshot(_ index: UInt64) {
        state = .snapshot
        pendingSnapshot = index
        probeSent = false
        inflight.removeAll(keepingCapacity: true)
    }

    /// A successful response for `index`. Returns false if it was stale (a
    /// reordered or duplicated response never moves progress backwards).
    mutating func maybeUpdate(_ index: UInt64) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            probeSent = false
        }
        next = max(next, index + 1)
        return updated
    }

    /// A rejection of the append at `rejected`; `hint` is where the follower
    /// suggests probing. Returns false if the rejection is stale.
    mutating func maybeDecrease(rejected: UInt64, hint: UInt64) -> Bool {
        if state == .replicate {
            // Anything at or below match was accepted before: this response is old.
            guard rejected > match else { return false }
            next = match + 1
            return true
        }
        // In probe state only the response to the latest probe counts.
        guard next - 1 == rejected else { return false }
        next = max(min(rejected, hint + 1), match + 1)
        probeSent = false
        return true
    }

    /// Records an append whose last entry is `last`.
    mutating func sentEntries(last: UInt64, count: Int) {
        switch state {
        case .replicate:
            if count > 0 {
                next = last + 1
                inflight.append(last)
            }
        case .probe:
            probeSent = true
        case .snapshot:
            preconditionFailure("no appends in snapshot state")
        }
    }

    /// Frees in-flight slots acknowledged up to `index`.
    mutating func freeInflight(upTo index: UInt64) {
        var k = 0
        while k < inflight.count, inflight[k] <= index { k += 1 }
        if k > 0 { inflight.removeFirst(k) }
    }

    var isPaused: Bool {
        switch state {
        case .probe: return probeSent
        case .replicate: return inflight.count >= maxInflight
        case .snapshot: return true
        }
    }
}
