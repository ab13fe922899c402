/// The replicated log as one replica holds it: a compacted prefix (described
/// by a snapshot), then in-memory entries. Tracks which entries the shell has
/// made durable, which are committed and which have been handed out to apply.
struct RaftLog {
    /// Last index and term covered by the snapshot (0, 0 for none).
    private(set) var snapshotIndex: UInt64
    private(set) var snapshotTerm: UInt64
    /// Entries after the snapshot; `entries[i].index == snapshotIndex + 1 + i`.
    private(set) var entries: [Entry]
    /// Highest index known committed.
    private(set) var committed: UInt64
    /// Highest index handed out (in a Ready) for the application to apply.
    var applying: UInt64
    /// Highest index the application has applied (after `advance`).
    var applied: UInt64
    /// First index not yet handed out for persistence.
    private(set) var unstableFrom: UInt64

    init(snapshot: Snapshot?, entries: [Entry], commit: UInt64) {
        snapshotIndex = snapshot?.index ?? 0
        snapshotTerm = snapshot?.term ?? 0
        self.entries = entries
        precondition(entries.isEmpty || entries[0].index == snapshotIndex + 1, "restored entries must follow the snapshot")
        let last = snapshotIndex + UInt64(entries.count)
        committed = min(max(commit, snapshotIndex), last)
        applied = snapshotIndex
        applying = snapshotIndex
        unstableFrom = last + 1
    }

    var firstIndex: UInt64 { snapshotIndex + 1 }
    var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }
    var lastTerm: UInt64 { entries.last?.term ?? snapshotTerm }

    /// The term of the entry at `index`, or nil if it is compacted away or beyond the end.
    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshotTerm }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)].term
    }

    func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool { self.term(at: index) == term }

    func entry(at index: UInt64) -> Entry {
        entries[Int(index - snapshotIndex - 1)]
    }

    /// Entries in `lo...hi`, capped at `maxCount` entries and about `maxBytes` of data (at least one).
    func slice(from lo: UInt64, to hi: UInt64, maxCount: Int, maxBytes: Int) -> [Entry] {
        guard lo <= hi else { return [] }
        precondition(lo > snapshotIndex && hi <= lastIndex, "slice outside the log")
        let start = Int(lo - snapshotIndex - 1)
        var end = min(Int(hi - snapshotIndex), start + maxCount)
        if maxBytes < Int.max {
            var bytes = 0
            for i in start..<end {
                if case let .data(d) = entries[i].payload { bytes += d.count }
                if bytes > maxBytes && i > start { end = i; break }
            }
        }
        return Array(entries[start..<end])
    }

    /// Raft's up-to-date rule (§5.4.1): a candidate's log is at least as new as ours.
    func isUpToDate(lastIndex candidateIndex: UInt64, lastTerm candidateTerm: UInt64) -> Bool {
        candidateTerm > lastTerm || (candidateTerm == lastTerm && candidateIndex >= lastIndex)
    }

    /// The last index ≤ `index` whose term is ≤ `term` (for fast back-off on a conflict).
    func lastIndex(atOrBefore index: UInt64, withTermAtMost term: UInt64) -> UInt64 {
        var i = min(index, lastIndex)
        while i > snapshotIndex, let t = self.term(at: i), t > term { i -= 1 }
        return i
    }

    /// Appends entries that follow the last one (the leader's own proposals).
    mutating func append(_ new: [Entry]) {
        guard let first = new.first else { return }
        precondition(first.index == lastIndex + 1, "append must continue the log")
        entries.append(contentsOf: new)
    }

    /// Follower side of AppendEntries: if our entry at `index` has `logTerm`,
    /// keep what matches, truncate at the first conflict, append the rest, and
    /// return the last index now known to match the leader. Nil means reject.
    mutating func maybeAppend(index: UInt64, logTerm: UInt64, leaderCommit: UInt64, entries new: [Entry]) -> UInt64? {
        guard matchTerm(index, logTerm) else { return nil }
        let lastNew = index + UInt64(new.count)
        // The first new entry that we lack or that conflicts with ours.
        var k = 0
        while k < new.count, matchTerm(new[k].index, new[k].term) { k += 1 }
        if k < new.count {
            let conflict = new[k].index
            // Log Matching + Leader Completeness mean a leader never contradicts a committed entry.
            precondition(conflict > committed, "leader sent an entry conflicting with committed index \(committed)")
            truncate(after: conflict - 1)
            entries.append(contentsOf: new[k...])
        }
        commit(to: min(leaderCommit, lastNew))
        return lastNew
    }

    /// Drops entries after `index` (never committed ones: the caller checks).
    private mutating func truncate(after index: UInt64) {
        guard index < lastIndex else { return }
        entries.removeLast(Int(lastIndex - index))
        unstableFrom = min(unstableFrom, index + 1)
    }

    /// Raises the commit index (never lowers it).
    mutating func commit(to index: UInt64) {
        if index > committed {
            precondition(index <= lastIndex, "commit \(index) beyond last index \(lastIndex)")
            committed = index
        }
    }

    /// Entries to hand to the shell for persistence, and marks them handed out.
    mutating func takeUnstable() -> [Entry] {
        guard unstableFrom <= lastIndex else { return [] }
        let out = Array(entries[Int(unstableFrom - snapshotIndex - 1)...])
        unstableFrom = lastIndex + 1
        return out
    }

    var hasUnstable: Bool { unstableFrom <= lastIndex }

    /// Committed entries not yet handed out to apply.
    var hasUnapplied: Bool { committed > applying }

    mutating func takeCommitted(maxCount: Int) -> [Entry] {
        guard committed > applying else { return [] }
        let lo = max(applying + 1, firstIndex)
        let hi = min(committed, lo + UInt64(maxCount) - 1)
        let out = Array(entries[Int(lo - snapshotIndex - 1)..<Int(hi - snapshotIndex)])
        applying = hi
        return out
    }

    /// Discards entries up to `index` (applied and stored elsewhere).
    mutating func compact(to index: UInt64) {
        guard index > snapshotIndex else { return }
        precondition(index <= applied, "cannot compact past the applied index")
        let t = term(at: index)!
        entries.removeFirst(Int(index - snapshotIndex))
        snapshotIndex = index
        snapshotTerm = t
    }

    /// Replaces the whole log with a snapshot's point (a follower far behind).
    mutating func restore(_ s: Snapshot) {
        snapshotIndex = s.index
        snapshotTerm = s.term
        entries = []
        committed = s.index
        applied = s.index
        applying = s.index
        unstableFrom = s.index + 1
    }
}
