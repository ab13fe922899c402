// A scripted Raft cluster for scenario tests, in the spirit of etcd-io/raft's
// `testdata/*.txt` interaction tests (written from scratch).
//
// `ScriptCluster` holds one `RaftCore` per replica and carries out every
// `Ready` fully and at once: persist into a per-replica durable record
// {hardState, snapshot, entries}, apply committed entries to a small state
// machine, queue the messages in a network that the script controls. Nothing
// is delivered and no time passes unless the script says so.
//
// Script grammar (one command per line; `#` starts a comment). `N` is a
// replica id, `ids` a list of ids (or `all` = every live replica, `leader` =
// the only live leader of the highest term), `L` a link pattern `1->2`,
// `1->*`, `*->2` or `*`, `T` a message type name (`append`, `voteResponse`…):
//
//   settings pre-vote on|off check-quorum on|off election E jitter J heartbeat H
//            max-entries M max-inflight I seed S        (before bootstrap)
//   bootstrap ids · join N · crash N · restart N · compact N index
//   tick ids [xK] · tick-all [xK] · campaign N (tick N until it campaigns)
//   run [xK] [ids]        K rounds of: tick ids (default all), deliver until quiet
//   stabilize [xK]        deliver until quiet, then tick-all + deliver rounds
//                         until nothing changes for 3 election timeouts (≤ K rounds)
//   deliver               deliver everything, oldest first, until quiet
//   deliver L… [xK]       deliver what is queued now on those links (at most K each)
//   deliver-type T… [L…]  deliver messages of those types, until none is left
//   drop L… [xK] · drop-type T… [L…] · dup L… [xK] · reorder L…
//   partition ids | ids [| ids…] · isolate N · cut N->M · cut N<->M · heal
//   propose N data… · propose-conf N add-voter|add-learner|remove M · transfer N -> M
//   expect leader N [term T] · expect one-leader [ids] [term T] · expect no-leader [ids]
//   expect role ids R… · expect term|commit|applied|last|first|dropped|dropped-proposals|snapshots ids OP V
//   expect log ids == i/t i..j/t … · expect data ids == d… · expect match N M OP V
//   expect config ids voters ids [learners ids] · expect transfer N == M|none
//   expect ok · expect appended · expect forwarded [M] · expect error NAME
//   expect applied-equal [ids] · expect pending [L…] OP V
//
// Every step is checked for Raft's safety properties (election safety, leader
// append-only, log matching, leader completeness, state machine safety) and
// for the Ready contract (contiguous durable log, in-order application).
import CivitasRaft
import Testing

// MARK: - Application

/// The state machine every replica applies committed entries to: a running
/// hash over every applied entry (so any divergence shows) and the data
/// payloads in order (for readable assertions).
struct AppState: Equatable {
    private(set) var index: UInt64 = 0
    private(set) var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    private(set) var data: [String] = []
    /// Hash and data count after each applied index, so a snapshot can be cut at any of them.
    private var marks: [UInt64: Mark] = [:]

    private struct Mark: Equatable {
        var hash: UInt64
        var dataCount: Int
    }

    init() {}

    /// Same applied index, same state (the snapshot-cutting marks do not count).
    static func == (a: AppState, b: AppState) -> Bool {
        a.index == b.index && a.hash == b.hash && a.data == b.data
    }

    mutating func apply(_ e: Entry) {
        for byte in "\(e.index)/\(e.term)/\(e.payload);".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        index = e.index
        if case let .data(d) = e.payload { data.append(String(decoding: d, as: UTF8.self)) }
        marks[index] = Mark(hash: hash, dataCount: data.count)
    }

    /// Application state as of `at` (at most the applied index), as snapshot data.
    func snapshotData(at index: UInt64) -> [UInt8]? {
        guard let m = marks[index] else { return nil }
        return Array("\(index)|\(m.hash)|\(data.prefix(m.dataCount).joined(separator: "\u{1}"))".utf8)
    }

    init?(snapshotData bytes: [UInt8]) {
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let i = UInt64(parts[0]), let h = UInt64(parts[1]) else { return nil }
        index = i
        hash = h
        data = parts[2].split(separator: "\u{1}").map(String.init)
        marks = [i: Mark(hash: h, dataCount: data.count)]
    }
}

// MARK: - Replicas and the network

/// What a replica has made durable.
struct DurableRecord {
    var hardState = HardState()
    var snapshot: Snapshot? = nil
    var entries: [Entry] = []

    var firstIndex: UInt64 { (snapshot?.index ?? 0) + 1 }
    var lastIndex: UInt64 { entries.last?.index ?? snapshot?.index ?? 0 }
    var lastTerm: UInt64 { entries.last?.term ?? snapshot?.term ?? 0 }

    func term(at i: UInt64) -> UInt64? {
        if let s = snapshot, i == s.index { return s.term }
        guard i >= firstIndex, i <= lastIndex else { return nil }
        return entries[Int(i - firstIndex)].term
    }

    func entry(at i: UInt64) -> Entry? {
        guard i >= firstIndex, i <= lastIndex else { return nil }
        return entries[Int(i - firstIndex)]
    }

    /// Ready.entries overwrite everything from their first index on.
    mutating func write(_ new: [Entry]) {
        guard let first = new.first else { return }
        entries.removeAll { $0.index >= first.index }
        entries += new
    }

    var isContiguous: Bool {
        entries.enumerated().allSatisfy { i, e in e.index == firstIndex + UInt64(i) }
    }
}

struct ScriptNode {
    let id: ReplicaID
    /// Nil while crashed.
    var core: RaftCore?
    var disk = DurableRecord()
    var app = AppState()
    var snapshotsInstalled = 0
    var restarts = 0
    /// Highest commit index already compared with the cluster's record of committed entries.
    var observedCommit: UInt64 = 0
}

/// A directed link.
struct Link: Hashable, Comparable, CustomStringConvertible {
    var from: ReplicaID
    var to: ReplicaID
    init(_ from: ReplicaID, _ to: ReplicaID) {
        self.from = from
        self.to = to
    }
    static func < (a: Link, b: Link) -> Bool { (a.from, a.to) < (b.from, b.to) }
    var description: String { "\(from)->\(to)" }
}

/// `1->2`, `1->*`, `*->2` or `*`.
struct LinkPattern: CustomStringConvertible {
    var from: ReplicaID?
    var to: ReplicaID?
    func matches(_ l: Link) -> Bool { (from == nil || from == l.from) && (to == nil || to == l.to) }
    var description: String { "\(from.map(String.init) ?? "*")->\(to.map(String.init) ?? "*")" }
}

/// The Raft safety properties (Raft paper, Figure 3) the cluster checks after every step.
enum SafetyProperty: String, CaseIterable, Sendable {
    case electionSafety = "election safety"
    case leaderAppendOnly = "leader append-only"
    case logMatching = "log matching"
    case leaderCompleteness = "leader completeness"
    case stateMachineSafety = "state machine safety"
}

struct ScriptError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

// MARK: - The cluster

struct ScriptCluster {
    var settings = RaftSettings()
    var seed: UInt64 = 1
    /// Properties checked after every step (all by default).
    var properties = Set(SafetyProperty.allCases)
    private(set) var nodes: [ReplicaID: ScriptNode] = [:]

    private struct Pending {
        var seq: UInt64
        var message: Message
    }
    private var queues: [Link: [Pending]] = [:]
    private var nextSeq: UInt64 = 0
    private(set) var cuts: Set<Link> = []

    /// Outcome of the last propose, propose-conf or transfer.
    private(set) var lastOutcome: Result<ProposalOutcome?, ProposalError>? = nil

    /// The leader of each term ever seen.
    private(set) var leaders: [UInt64: ReplicaID] = [:]
    /// Every entry ever seen committed, by index.
    private(set) var committed: [UInt64: Entry] = [:]
    /// The application hash after each index, as first applied anywhere.
    private var appliedHashes: [UInt64: UInt64] = [:]
    /// Broken properties and contract violations, in order; the runner fails on the first.
    private(set) var violations: [String] = []

    init() {}

    var ids: [ReplicaID] { nodes.keys.sorted() }
    var liveIDs: [ReplicaID] { ids.filter { nodes[$0]!.core != nil } }
    func core(_ id: ReplicaID) -> RaftCore? { nodes[id]?.core }
    func app(_ id: ReplicaID) -> AppState? { nodes[id]?.app }
    var pendingCount: Int { queues.values.reduce(0) { $0 + $1.count } }
    var nonEmptyLinks: [Link] { queues.keys.filter { !queues[$0]!.isEmpty }.sorted() }
    func queued(on link: Link) -> [Message] { queues[link]?.map(\.message) ?? [] }

    /// The only live leader of the highest term any live leader has, if there is exactly one.
    var currentLeader: ReplicaID? {
        let ls = liveIDs.filter { nodes[$0]!.core!.role == .leader }
        guard let top = ls.map({ nodes[$0]!.core!.term }).max() else { return nil }
        let atTop = ls.filter { nodes[$0]!.core!.term == top }
        return atTop.count == 1 ? atTop[0] : nil
    }

    // MARK: Membership of the simulation

    mutating func bootstrap(_ voters: [ReplicaID]) {
        for id in voters {
            nodes[id] = ScriptNode(id: id, core: RaftCore.bootstrap(id: id, voters: voters, settings: settings, seed: seed))
            drain(id)
        }
    }

    mutating func join(_ id: ReplicaID) {
        nodes[id] = ScriptNode(id: id, core: RaftCore.joining(id: id, settings: settings, seed: seed))
        drain(id)
    }

    mutating func crash(_ id: ReplicaID) {
        nodes[id]?.core = nil
    }

    /// Restarts from exactly what was durable; the application restarts from the snapshot.
    mutating func restart(_ id: ReplicaID) {
        guard var n = nodes[id], n.core == nil else { return }
        n.restarts += 1
        n.core = RaftCore(restoring: id, hardState: n.disk.hardState, snapshot: n.disk.snapshot, entries: n.disk.entries,
                          settings: settings, seed: seed &+ UInt64(n.restarts) &* 7919)
        n.app = n.disk.snapshot.flatMap { AppState(snapshotData: $0.data) } ?? AppState()
        n.observedCommit = 0
        nodes[id] = n
        drain(id)
    }

    // MARK: Inputs

    /// Ticks `id` once; returns the messages it sent.
    @discardableResult
    mutating func tick(_ id: ReplicaID) -> [Message] {
        guard nodes[id]?.core != nil else { return [] }
        nodes[id]!.core!.tick()
        return drain(id)
    }

    mutating func tickAll() {
        for id in liveIDs { tick(id) }
    }

    mutating func propose(_ id: ReplicaID, _ data: [String]) {
        guard nodes[id]?.core != nil else { return }
        do {
            lastOutcome = .success(try nodes[id]!.core!.propose(data.map { Array($0.utf8) }))
        } catch {
            lastOutcome = .failure(error)
        }
        drain(id)
    }

    mutating func propose(_ id: ReplicaID, configuration change: ConfigChange) {
        guard nodes[id]?.core != nil else { return }
        do {
            lastOutcome = .success(try nodes[id]!.core!.propose(configuration: change))
        } catch {
            lastOutcome = .failure(error)
        }
        drain(id)
    }

    mutating func transfer(_ id: ReplicaID, to target: ReplicaID) {
        guard nodes[id]?.core != nil else { return }
        do {
            try nodes[id]!.core!.transferLeadership(to: target)
            lastOutcome = .success(nil)
        } catch {
            lastOutcome = .failure(error)
        }
        drain(id)
    }

    /// Compacts `id`'s log up to `index` with the application's state there as snapshot data.
    @discardableResult
    mutating func compact(_ id: ReplicaID, to index: UInt64) -> Bool {
        guard let n = nodes[id], n.core != nil, let data = n.app.snapshotData(at: index),
              let s = nodes[id]!.core!.compact(to: index, data: data) else { return false }
        nodes[id]!.disk.snapshot = s
        nodes[id]!.disk.entries.removeAll { $0.index <= s.index }
        drain(id)
        return true
    }

    /// Hands `m` to its destination (dropped if the link is cut or the destination is down).
    mutating func deliver(_ m: Message) {
        guard !cuts.contains(Link(m.from, m.to)), nodes[m.to]?.core != nil else { return }
        nodes[m.to]!.core!.step(m)
        drain(m.to)
    }

    // MARK: Readiness

    /// Carries out every Ready of `id`: persist, apply, send, advance. Returns the messages sent.
    @discardableResult
    mutating func drain(_ id: ReplicaID) -> [Message] {
        var sent: [Message] = []
        while nodes[id]?.core?.hasReady == true {
            let rd = nodes[id]!.core!.ready()
            persist(id, rd)
            apply(id, rd.committedEntries)
            for m in rd.messages { send(m) }
            sent += rd.messages
            nodes[id]!.core!.advance()
        }
        observe(id)
        return sent
    }

    private mutating func persist(_ id: ReplicaID, _ rd: Ready) {
        let role = nodes[id]!.core!.role, term = nodes[id]!.core!.term
        if properties.contains(.leaderAppendOnly), role == .leader {
            if rd.snapshot != nil { violate(.leaderAppendOnly, "leader \(id) (term \(term)) installed a snapshot") }
            if let first = rd.entries.first, first.index <= nodes[id]!.disk.lastIndex {
                violate(.leaderAppendOnly, "leader \(id) (term \(term)) overwrote its log from index \(first.index) (durable last index \(nodes[id]!.disk.lastIndex))")
            }
        }
        if let s = rd.snapshot {
            nodes[id]!.disk.snapshot = s
            nodes[id]!.disk.entries = []
            nodes[id]!.snapshotsInstalled += 1
            guard let state = AppState(snapshotData: s.data), state.index == s.index else {
                violations.append("replica \(id) got snapshot \(s.index)/\(s.term) with foreign data")
                return
            }
            nodes[id]!.app = state
            checkAppliedHash(id, state.index, state.hash)
        }
        nodes[id]!.disk.write(rd.entries)
        if let hs = rd.hardState { nodes[id]!.disk.hardState = hs }
        if !nodes[id]!.disk.isContiguous {
            violations.append("Ready contract: replica \(id)'s durable log has a gap after persisting \(rd.entries.map(\.index))")
        }
    }

    private mutating func apply(_ id: ReplicaID, _ entries: [Entry]) {
        for e in entries {
            let at = nodes[id]!.app.index
            guard e.index == at + 1 else {
                violations.append("Ready contract: replica \(id) was handed index \(e.index) to apply after \(at)")
                return
            }
            nodes[id]!.app.apply(e)
            recordCommitted(id, e, how: "applied")
            checkAppliedHash(id, e.index, nodes[id]!.app.hash)
        }
    }

    private mutating func checkAppliedHash(_ id: ReplicaID, _ index: UInt64, _ hash: UInt64) {
        if let h = appliedHashes[index] {
            if h != hash, properties.contains(.stateMachineSafety) {
                violate(.stateMachineSafety, "replica \(id)'s application state after index \(index) differs from another replica's")
            }
        } else {
            appliedHashes[index] = hash
        }
    }

    private mutating func recordCommitted(_ id: ReplicaID, _ e: Entry, how: String) {
        if let c = committed[e.index] {
            if c != e, properties.contains(.stateMachineSafety) {
                violate(.stateMachineSafety, "replica \(id) \(how) \(describe(e)) at index \(e.index), but \(describe(c)) was committed there")
            }
        } else {
            committed[e.index] = e
        }
    }

    /// Election safety, leader completeness and commit agreement, after each input.
    private mutating func observe(_ id: ReplicaID) {
        guard let core = nodes[id]?.core else { return }
        if core.role == .leader {
            if let other = leaders[core.term] {
                if other != id, properties.contains(.electionSafety) {
                    violate(.electionSafety, "replicas \(other) and \(id) are both leaders of term \(core.term)")
                }
            } else {
                leaders[core.term] = id
                if properties.contains(.leaderCompleteness) {
                    for i in committed.keys.sorted() where i >= core.firstIndex {
                        if core.entry(at: i) != committed[i] {
                            violate(.leaderCompleteness, "new leader \(id) of term \(core.term) lacks committed \(describe(committed[i]!)) at index \(i) (has \(core.entry(at: i).map(describe) ?? "nothing"))")
                            break
                        }
                    }
                }
            }
        }
        var i = max(nodes[id]!.observedCommit, core.firstIndex - 1)
        while i < core.commitIndex {
            i += 1
            if let e = core.entry(at: i) { recordCommitted(id, e, how: "committed") }
        }
        nodes[id]!.observedCommit = core.commitIndex
    }

    /// Log matching over the durable logs of every pair of replicas (crashed ones included):
    /// if two logs hold an entry with the same index and term, they are identical up to it.
    mutating func checkLogMatching() {
        guard properties.contains(.logMatching) else { return }
        let all = ids
        for (k, a) in all.enumerated() {
            for b in all[(k + 1)...] {
                let x = nodes[a]!.disk, y = nodes[b]!.disk
                let lo = max(x.firstIndex, y.firstIndex), hi = min(x.lastIndex, y.lastIndex)
                guard lo <= hi else { continue }
                var top = hi
                while top >= lo, x.term(at: top) != y.term(at: top) { top -= 1 }
                guard top >= lo else { continue }
                for i in lo...top where x.entry(at: i) != y.entry(at: i) {
                    violate(.logMatching, "replicas \(a) and \(b) agree on index \(top) (term \(x.term(at: top)!)) but differ at index \(i): \(describe(x.entry(at: i)!)) vs \(describe(y.entry(at: i)!))")
                    return
                }
            }
        }
    }

    private mutating func violate(_ p: SafetyProperty, _ what: String) {
        violations.append("\(p.rawValue) violated: \(what)")
    }

    // MARK: Network

    private mutating func send(_ m: Message) {
        let link = Link(m.from, m.to)
        guard !cuts.contains(link) else { return }
        queues[link, default: []].append(Pending(seq: nextSeq, message: m))
        nextSeq += 1
    }

    func links(_ patterns: [LinkPattern]) -> [Link] {
        nonEmptyLinks.filter { l in patterns.isEmpty || patterns.contains { $0.matches(l) } }
    }

    /// Removes and delivers the first message on `link` that `filter` accepts.
    @discardableResult
    mutating func deliverFirst(on link: Link, where filter: (Message) -> Bool = { _ in true }) -> Bool {
        guard let k = queues[link]?.firstIndex(where: { filter($0.message) }) else { return false }
        let p = queues[link]!.remove(at: k)
        if queues[link]!.isEmpty { queues[link] = nil }
        deliver(p.message)
        return true
    }

    /// Delivers the oldest message that `filter` accepts until there is none.
    mutating func deliverAll(where filter: (Message) -> Bool = { _ in true }, limit: Int = 200_000) throws(ScriptError) {
        for _ in 0..<limit {
            var best: (link: Link, seq: UInt64)? = nil
            for (link, q) in queues {
                if let p = q.first(where: { filter($0.message) }), best == nil || p.seq < best!.seq { best = (link, p.seq) }
            }
            guard let b = best else { return }
            let k = queues[b.link]!.firstIndex { $0.seq == b.seq }!
            let p = queues[b.link]!.remove(at: k)
            if queues[b.link]!.isEmpty { queues[b.link] = nil }
            deliver(p.message)
        }
        throw ScriptError("the network did not quiesce after \(limit) deliveries")
    }

    /// Drops the first `count` (all if nil) messages on `link` that `filter` accepts.
    mutating func drop(on link: Link, count: Int? = nil, where filter: (Message) -> Bool = { _ in true }) {
        guard var q = queues[link] else { return }
        var dropped = 0
        q.removeAll { p in
            guard filter(p.message), count.map({ dropped < $0 }) ?? true else { return false }
            dropped += 1
            return true
        }
        queues[link] = q.isEmpty ? nil : q
    }

    /// Duplicates the first `count` (all if nil) messages on `link`; the copies go to the back.
    mutating func duplicate(on link: Link, count: Int? = nil) {
        guard let q = queues[link] else { return }
        for p in q.prefix(count ?? q.count) {
            queues[link]!.append(Pending(seq: nextSeq, message: p.message))
            nextSeq += 1
        }
    }

    mutating func reorder(_ link: Link) {
        queues[link]?.reverse()
    }

    mutating func partition(_ groups: [[ReplicaID]]) {
        cuts = []
        for (i, g) in groups.enumerated() {
            for (j, h) in groups.enumerated() where i != j {
                for a in g { for b in h { cuts.insert(Link(a, b)) } }
            }
        }
    }

    mutating func isolate(_ id: ReplicaID) {
        for other in ids where other != id {
            cuts.insert(Link(id, other))
            cuts.insert(Link(other, id))
        }
    }

    mutating func cut(_ link: Link) { cuts.insert(link) }
    mutating func heal() { cuts = [] }

    // MARK: Describing

    func describe(_ e: Entry) -> String {
        switch e.payload {
        case .noop: return "\(e.index)/\(e.term) noop"
        case let .data(d): return "\(e.index)/\(e.term) \"\(String(decoding: d, as: UTF8.self))\""
        case let .config(c): return "\(e.index)/\(e.term) \(c)"
        }
    }

    static func describe(_ m: Message) -> String {
        var s = "\(m.from)->\(m.to) \(m.type) t\(m.term)"
        switch m.type {
        case .append:
            s += " prev \(m.index)/\(m.logTerm) [\(m.entries.map { "\($0.index)/\($0.term)" }.joined(separator: " "))] c\(m.commit)"
        case .appendResponse:
            s += m.reject ? " reject \(m.index) hint \(m.rejectHint)/\(m.logTerm)" : " ok \(m.index)"
        case .vote, .preVote:
            s += " last \(m.index)/\(m.logTerm)" + (m.transfer ? " transfer" : "")
        case .voteResponse, .preVoteResponse:
            s += m.reject ? " reject" : " grant"
        case .heartbeat:
            s += " c\(m.commit)"
        case .snapshot:
            if let snap = m.snapshot { s += " \(snap.index)/\(snap.term)" }
        case .propose:
            s += " \(m.entries.count) entries"
        case .heartbeatResponse, .timeoutNow:
            break
        }
        return s
    }

    /// `1..5/1 6/2 7..9/4`: runs of one term.
    static func compress(_ terms: [(index: UInt64, term: UInt64)]) -> String {
        var out: [String] = []
        var k = 0
        while k < terms.count {
            var j = k
            while j + 1 < terms.count, terms[j + 1].term == terms[k].term { j += 1 }
            out.append(j == k ? "\(terms[k].index)/\(terms[k].term)" : "\(terms[k].index)..\(terms[j].index)/\(terms[k].term)")
            k = j + 1
        }
        return out.joined(separator: " ")
    }

    func logTerms(_ id: ReplicaID) -> [(index: UInt64, term: UInt64)] {
        if let c = nodes[id]?.core {
            return c.firstIndex <= c.lastIndex ? (c.firstIndex...c.lastIndex).map { ($0, c.term(at: $0)!) } : []
        }
        return nodes[id]?.disk.entries.map { ($0.index, $0.term) } ?? []
    }

    var dump: String {
        var lines = ["cluster (seed \(seed), \(pendingCount) messages in flight\(cuts.isEmpty ? "" : ", cut: " + cuts.sorted().map(\.description).joined(separator: " ")))"]
        for id in ids {
            let n = nodes[id]!
            let snap = n.disk.snapshot.map { "snapshot \($0.index)/\($0.term), " } ?? ""
            if let c = n.core {
                var s = "  \(id): \(c.role.rawValue) term \(c.term) vote \(c.vote.map(String.init) ?? "-") leader \(c.leader.map(String.init) ?? "-")"
                s += " commit \(c.commitIndex) applied \(n.app.index) \(snap)log [\(Self.compress(logTerms(id)))]"
                s += " voters \(c.configuration.voters)" + (c.configuration.learners.isEmpty ? "" : " learners \(c.configuration.learners)")
                if c.role == .leader { s += " match \(c.matchIndexes.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " "))" }
                if let t = c.transferTarget { s += " transfer→\(t)" }
                s += " data \(n.app.data)"
                lines.append(s)
            } else {
                let hs = n.disk.hardState
                lines.append("  \(id): crashed; durable term \(hs.term) vote \(hs.vote.map(String.init) ?? "-") commit \(hs.commit) \(snap)log [\(Self.compress(logTerms(id)))]")
            }
        }
        var flight: [(UInt64, String)] = []
        for q in queues.values { for p in q { flight.append((p.seq, Self.describe(p.message))) } }
        let shown = flight.sorted { $0.0 < $1.0 }.prefix(40).map(\.1)
        if !shown.isEmpty { lines.append("  in flight: " + shown.joined(separator: "; ") + (flight.count > 40 ? "; …" : "")) }
        return lines.joined(separator: "\n")
    }
}

// MARK: - The interpreter

extension ScriptCluster {
    /// Runs `script` on a new cluster. The first failing line is recorded as an
    /// issue naming the script line, the reason and the cluster's state.
    @discardableResult
    static func run(_ script: String, checking properties: Set<SafetyProperty> = Set(SafetyProperty.allCases),
                    sourceLocation: SourceLocation = #_sourceLocation) -> ScriptCluster {
        var c = ScriptCluster()
        c.properties = properties
        c.run(script, sourceLocation: sourceLocation)
        return c
    }

    /// Runs more script lines on this cluster; false if one failed (and was recorded).
    @discardableResult
    mutating func run(_ script: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        for (n, raw) in script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = String(raw.prefix { $0 != "#" })
            let tokens = text.split(whereSeparator: \.isWhitespace).map(String.init)
            guard !tokens.isEmpty else { continue }
            if let failure = execute(line: tokens) {
                Issue.record(Comment(rawValue: "script line \(n + 1): `\(tokens.joined(separator: " "))`: \(failure)\n\(dump)"),
                             sourceLocation: sourceLocation)
                return false
            }
        }
        return true
    }

    /// Executes one command and checks the safety properties; returns why it failed, if it did.
    mutating func execute(line tokens: [String]) -> String? {
        do throws(ScriptError) {
            try execute(tokens)
        } catch {
            return error.message
        }
        if violations.isEmpty { checkLogMatching() }
        return violations.first
    }

    private mutating func execute(_ t: [String]) throws(ScriptError) {
        let args = Array(t.dropFirst())
        switch t[0] {
        case "settings":
            guard nodes.isEmpty else { throw ScriptError("settings must come before bootstrap") }
            try configure(args)
        case "bootstrap":
            guard !args.isEmpty else { throw ScriptError("bootstrap needs replica ids") }
            bootstrap(try idList(args))
        case "join":
            for id in try idList(args) {
                guard nodes[id] == nil else { throw ScriptError("replica \(id) exists") }
                join(id)
            }
        case "crash":
            for id in try idList(args) { crash(try live(id)) }
        case "restart":
            for id in try idList(args) {
                guard let n = nodes[id], n.core == nil else { throw ScriptError("replica \(id) is not crashed") }
                restart(id)
            }
        case "compact":
            guard args.count == 2, let index = UInt64(args[1]) else { throw ScriptError("usage: compact N index") }
            let id = try live(try self.id(args[0]))
            guard compact(id, to: index) else { throw ScriptError("replica \(id) refused to compact to \(index)") }
        case "tick":
            let (rest, times) = try repetitions(args)
            let who = try idList(rest)
            for _ in 0..<(times ?? 1) { for id in who { tick(try live(id)) } }
        case "tick-all":
            let (rest, times) = try repetitions(args)
            guard rest.isEmpty else { throw ScriptError("usage: tick-all [xK]") }
            for _ in 0..<(times ?? 1) { tickAll() }
        case "campaign":
            guard args.count == 1 else { throw ScriptError("usage: campaign N") }
            try campaign(try live(try id(args[0])))
        case "run":
            let (rest, times) = try repetitions(args)
            let who = rest.isEmpty ? nil : try idList(rest)
            for _ in 0..<(times ?? 1) {
                for id in who ?? liveIDs { tick(id) }
                try deliverAll()
            }
        case "stabilize":
            let (rest, times) = try repetitions(args)
            guard rest.isEmpty else { throw ScriptError("usage: stabilize [xK]") }
            try stabilize(maxRounds: times ?? 300)
        case "deliver":
            let (rest, times) = try repetitions(args)
            if rest.isEmpty && times == nil {
                try deliverAll()
            } else {
                var delivered = 0
                for link in links(try linkPatterns(rest)) {
                    for _ in 0..<(times ?? queued(on: link).count) where deliverFirst(on: link) { delivered += 1 }
                }
                guard delivered > 0 else { throw ScriptError("nothing queued on \(rest.joined(separator: " "))") }
            }
        case "deliver-type", "drop-type":
            let types = try messageTypes(args)
            let patterns = try linkPatterns(Array(args.dropFirst(types.count)))
            let filter: (Message) -> Bool = { m in
                types.contains(m.type) && (patterns.isEmpty || patterns.contains { $0.matches(Link(m.from, m.to)) })
            }
            if t[0] == "deliver-type" {
                try deliverAll(where: filter)
            } else {
                for link in nonEmptyLinks { drop(on: link, where: filter) }
            }
        case "drop", "dup", "reorder":
            let (rest, times) = try repetitions(args)
            let targets = links(try linkPatterns(rest))
            guard !targets.isEmpty else { throw ScriptError("nothing queued on \(rest.joined(separator: " "))") }
            for link in targets {
                switch t[0] {
                case "drop": drop(on: link, count: times)
                case "dup": duplicate(on: link, count: times)
                default: reorder(link)
                }
            }
        case "partition":
            let groups = try args.split(separator: "|").map { g throws(ScriptError) in try idList(Array(g)) }
            guard groups.count >= 2 else { throw ScriptError("usage: partition ids | ids [| ids…]") }
            partition(groups)
        case "isolate":
            for id in try idList(args) { isolate(id) }
        case "cut":
            for a in args {
                if let p = LinkPattern(parsing: a), let from = p.from, let to = p.to {
                    cut(Link(from, to))
                } else if a.contains("<->") {
                    let ends = try idList(a.split(separator: "<->").map(String.init))
                    guard ends.count == 2 else { throw ScriptError("bad link \(a)") }
                    cut(Link(ends[0], ends[1]))
                    cut(Link(ends[1], ends[0]))
                } else {
                    throw ScriptError("bad link \(a)")
                }
            }
        case "heal":
            heal()
        case "propose":
            guard args.count >= 2 else { throw ScriptError("usage: propose N data…") }
            propose(try live(try id(args[0])), Array(args.dropFirst()))
        case "propose-conf":
            guard args.count == 3 else { throw ScriptError("usage: propose-conf N add-voter|add-learner|remove M") }
            let target = try number(args[2])
            let change: ConfigChange
            switch args[1] {
            case "add-voter": change = .addVoter(target)
            case "add-learner": change = .addLearner(target)
            case "remove": change = .remove(target)
            default: throw ScriptError("unknown change \(args[1])")
            }
            propose(try live(try id(args[0])), configuration: change)
        case "transfer":
            let ends = args.filter { $0 != "->" }
            guard ends.count == 2 else { throw ScriptError("usage: transfer N -> M") }
            transfer(try live(try id(ends[0])), to: try number(ends[1]))
        case "expect":
            try expect(args)
        default:
            throw ScriptError("unknown command \(t[0])")
        }
    }

    private mutating func configure(_ args: [String]) throws(ScriptError) {
        guard args.count % 2 == 0 else { throw ScriptError("settings take key value pairs") }
        for k in stride(from: 0, to: args.count, by: 2) {
            let key = args[k], value = args[k + 1]
            func flag() throws(ScriptError) -> Bool {
                guard value == "on" || value == "off" else { throw ScriptError("\(key) is on or off") }
                return value == "on"
            }
            func int() throws(ScriptError) -> Int {
                guard let v = Int(value), v >= 0 else { throw ScriptError("\(key) needs a number") }
                return v
            }
            switch key {
            case "pre-vote": settings.preVote = try flag()
            case "check-quorum": settings.checkQuorum = try flag()
            case "election": settings.electionTicks = try int()
            case "jitter": settings.electionJitterTicks = try int()
            case "heartbeat": settings.heartbeatTicks = try int()
            case "max-entries": settings.maxEntriesPerMessage = try int()
            case "max-inflight": settings.maxInflight = try int()
            case "seed": seed = UInt64(try int())
            default: throw ScriptError("unknown setting \(key)")
            }
        }
    }

    /// Ticks `id` until it starts a campaign (sends pre-vote or vote requests, or wins alone).
    mutating func campaign(_ id: ReplicaID) throws(ScriptError) {
        guard nodes[id]!.core!.isPromotable, nodes[id]!.core!.role != .leader else {
            throw ScriptError("replica \(id) cannot campaign (\(nodes[id]!.core!.role.rawValue), voter: \(nodes[id]!.core!.isPromotable))")
        }
        let bound = 4 * (settings.electionTicks + (settings.electionJitterTicks ?? settings.electionTicks))
        for _ in 0..<bound {
            let sent = tick(id)
            if sent.contains(where: { $0.type == .vote || $0.type == .preVote }) || nodes[id]!.core!.role == .leader { return }
        }
        throw ScriptError("replica \(id) did not campaign within \(bound) ticks")
    }

    /// Delivers until quiet, then runs tick-all + deliver rounds until no replica's
    /// role, term, leader, commit or log changed for three election timeouts.
    mutating func stabilize(maxRounds: Int) throws(ScriptError) {
        try deliverAll()
        func signature(_ c: ScriptCluster) -> [String] {
            c.liveIDs.map { id in
                let r = c.core(id)!
                return "\(id) \(r.role) \(r.term) \(r.leader ?? 0) \(r.commitIndex) \(r.lastIndex) \(r.lastTerm)"
            }
        }
        var last = signature(self), quiet = 0
        for _ in 0..<maxRounds {
            tickAll()
            try deliverAll()
            let now = signature(self)
            if now == last {
                quiet += 1
                if quiet >= 3 * settings.electionTicks { return }
            } else {
                quiet = 0
                last = now
            }
        }
    }

    // MARK: Assertions

    private func expect(_ a: [String]) throws(ScriptError) {
        guard let what = a.first else { throw ScriptError("expect what?") }
        let rest = Array(a.dropFirst())
        switch what {
        case "leader":
            guard rest.count == 1 || (rest.count == 3 && rest[1] == "term") else { throw ScriptError("usage: expect leader N [term T]") }
            let id = try number(rest[0])
            let c = try liveCore(id)
            guard c.role == .leader else { throw ScriptError("replica \(id) is \(c.role.rawValue), not leader") }
            if rest.count == 3, c.term != (try number(rest[2])) { throw ScriptError("replica \(id) leads term \(c.term), not \(rest[2])") }
        case "one-leader", "no-leader":
            var scope = rest, term: UInt64? = nil
            if let k = rest.firstIndex(of: "term"), k + 1 < rest.count {
                term = try number(rest[k + 1])
                scope = Array(rest[..<k])
            }
            let who = scope.isEmpty ? liveIDs : try idList(scope)
            var ls: [ReplicaID] = []
            for id in who where try liveCore(id).role == .leader { ls.append(id) }
            if what == "no-leader" {
                guard ls.isEmpty else { throw ScriptError("leaders: \(ls)") }
            } else {
                guard ls.count == 1 else { throw ScriptError("expected one leader among \(who), found \(ls)") }
                if let term, core(ls[0])!.term != term { throw ScriptError("leader \(ls[0]) is in term \(core(ls[0])!.term), not \(term)") }
            }
        case "role":
            // `expect role ids R…`: each replica plays one of the roles R.
            let roles = rest.reversed().prefix { RaftRole(rawValue: $0) != nil }.compactMap(RaftRole.init(rawValue:))
            guard !roles.isEmpty else { throw ScriptError("usage: expect role ids follower|preCandidate|candidate|leader…") }
            for id in try idList(Array(rest.dropLast(roles.count))) {
                let c = try liveCore(id)
                guard roles.contains(c.role) else { throw ScriptError("replica \(id) is \(c.role.rawValue), not \(roles.map(\.rawValue).reversed().joined(separator: " or "))") }
            }
        case "term", "commit", "applied", "last", "first", "dropped", "dropped-proposals", "snapshots":
            guard let k = rest.firstIndex(where: { Self.operators.contains($0) }), k + 2 == rest.count else {
                throw ScriptError("usage: expect \(what) ids OP value")
            }
            let want = try number(rest[k + 1])
            for id in try idList(Array(rest[..<k])) {
                let c = try liveCore(id), n = nodes[id]!
                let got: UInt64
                switch what {
                case "term": got = c.term
                case "commit": got = c.commitIndex
                case "applied": got = n.app.index
                case "last": got = c.lastIndex
                case "first": got = c.firstIndex
                case "dropped": got = UInt64(c.droppedMessages)
                case "dropped-proposals": got = UInt64(c.droppedProposals)
                default: got = UInt64(n.snapshotsInstalled)
                }
                guard Self.compare(got, rest[k], want) else { throw ScriptError("\(what) of replica \(id) is \(got), expected \(rest[k]) \(want)") }
            }
        case "log", "data":
            guard let k = rest.firstIndex(of: "==") else { throw ScriptError("usage: expect \(what) ids == …") }
            let expected = Array(rest[(k + 1)...])
            for id in try idList(Array(rest[..<k])) {
                _ = try liveCore(id)
                if what == "log" {
                    let got = Self.compress(logTerms(id)), want = Self.compress(try Self.parseLog(expected))
                    guard got == want else { throw ScriptError("log of replica \(id) is [\(got)], expected [\(want)]") }
                } else {
                    guard nodes[id]!.app.data == expected else { throw ScriptError("replica \(id) applied data \(nodes[id]!.app.data), expected \(expected)") }
                }
            }
        case "match":
            guard rest.count == 4, Self.operators.contains(rest[2]) else { throw ScriptError("usage: expect match LEADER FOLLOWER OP value") }
            let c = try liveCore(try number(rest[0])), follower = try number(rest[1])
            guard c.role == .leader else { throw ScriptError("replica \(rest[0]) is not leader") }
            guard let got = c.matchIndexes[follower] else { throw ScriptError("leader \(rest[0]) has no progress for \(follower)") }
            guard Self.compare(got, rest[2], try number(rest[3])) else {
                throw ScriptError("leader \(rest[0]) has match \(got) for \(follower), expected \(rest[2]) \(rest[3])")
            }
        case "config":
            guard let v = rest.firstIndex(of: "voters") else { throw ScriptError("usage: expect config ids voters ids [learners ids]") }
            let l = rest.firstIndex(of: "learners")
            let voters = try idList(Array(rest[(v + 1)..<(l ?? rest.count)]))
            let learners = try l.map { k throws(ScriptError) in try idList(Array(rest[(k + 1)...])) } ?? []
            let want = Configuration(voters: voters, learners: learners)
            for id in try idList(Array(rest[..<v])) {
                let got = try liveCore(id).configuration
                guard got == want else { throw ScriptError("replica \(id) has voters \(got.voters) learners \(got.learners)") }
            }
        case "transfer":
            guard rest.count == 3, rest[1] == "==" else { throw ScriptError("usage: expect transfer N == M|none") }
            let got = try liveCore(try number(rest[0])).transferTarget
            let want = rest[2] == "none" ? nil : try number(rest[2])
            guard got == want else { throw ScriptError("transfer target of \(rest[0]) is \(got.map(String.init) ?? "none")") }
        case "ok", "appended", "forwarded", "error":
            guard let outcome = lastOutcome else { throw ScriptError("nothing was proposed") }
            switch (what, outcome) {
            case ("ok", .success), ("appended", .success(.appended?)):
                break
            case let ("forwarded", .success(.forwarded(to)?)):
                if let want = rest.first, to != (try number(want)) { throw ScriptError("forwarded to \(to), not \(want)") }
            case let ("error", .failure(e)):
                guard rest.count == 1, Self.name(e) == rest[0] else { throw ScriptError("failed with \(Self.name(e)) (\(e)), expected \(rest.first ?? "?")") }
            default:
                throw ScriptError("last outcome was \(outcome)")
            }
        case "applied-equal":
            let who = rest.isEmpty ? liveIDs : try idList(rest)
            guard let first = who.first else { return }
            for id in who where nodes[id]!.app != nodes[first]!.app {
                throw ScriptError("replica \(id) applied through \(nodes[id]!.app.index) \(nodes[id]!.app.data); replica \(first) through \(nodes[first]!.app.index) \(nodes[first]!.app.data)")
            }
        case "pending":
            guard let k = rest.firstIndex(where: { Self.operators.contains($0) }), k + 2 == rest.count else {
                throw ScriptError("usage: expect pending [links] OP value")
            }
            let patterns = try linkPatterns(Array(rest[..<k]))
            let got = UInt64(links(patterns).reduce(0) { $0 + queued(on: $1).count })
            guard Self.compare(got, rest[k], try number(rest[k + 1])) else { throw ScriptError("\(got) messages pending") }
        default:
            throw ScriptError("unknown expectation \(what)")
        }
    }

    // MARK: Parsing helpers

    static let operators: Set<String> = ["==", "!=", ">=", "<=", ">", "<"]

    static func compare(_ a: UInt64, _ op: String, _ b: UInt64) -> Bool {
        switch op {
        case "==": return a == b
        case "!=": return a != b
        case ">=": return a >= b
        case "<=": return a <= b
        case ">": return a > b
        default: return a < b
        }
    }

    static func name(_ e: ProposalError) -> String {
        switch e {
        case .noLeader: return "noLeader"
        case .leadershipTransferInProgress: return "leadershipTransferInProgress"
        case .notLeader: return "notLeader"
        case .configurationChangePending: return "configurationChangePending"
        case .invalidConfigurationChange: return "invalidConfigurationChange"
        }
    }

    /// `6/2` or `1..5/1` → (index, term) pairs.
    static func parseLog(_ tokens: [String]) throws(ScriptError) -> [(index: UInt64, term: UInt64)] {
        var out: [(index: UInt64, term: UInt64)] = []
        for tok in tokens {
            let parts = tok.split(separator: "/")
            guard parts.count == 2, let term = UInt64(parts[1]) else { throw ScriptError("bad log entry \(tok)") }
            let range = parts[0].split(separator: ".", omittingEmptySubsequences: true)
            guard let lo = range.first.flatMap({ UInt64($0) }), let hi = range.last.flatMap({ UInt64($0) }), lo <= hi else {
                throw ScriptError("bad log entry \(tok)")
            }
            out += (lo...hi).map { ($0, term) }
        }
        return out
    }

    private func number(_ s: String) throws(ScriptError) -> UInt64 {
        guard let v = UInt64(s) else { throw ScriptError("expected a number, got \(s)") }
        return v
    }

    /// A replica id, or `leader` for the only live leader of the highest term.
    private func id(_ s: String) throws(ScriptError) -> ReplicaID {
        if s == "leader" {
            guard let l = currentLeader else { throw ScriptError("there is no single leader") }
            return l
        }
        return try number(s)
    }

    private func idList(_ tokens: [String]) throws(ScriptError) -> [ReplicaID] {
        var out: [ReplicaID] = []
        for t in tokens { out += t == "all" ? liveIDs : [try id(t)] }
        return out
    }

    private func live(_ id: ReplicaID) throws(ScriptError) -> ReplicaID {
        guard nodes[id]?.core != nil else { throw ScriptError("replica \(id) is \(nodes[id] == nil ? "unknown" : "crashed")") }
        return id
    }

    private func liveCore(_ id: ReplicaID) throws(ScriptError) -> RaftCore {
        nodes[try live(id)]!.core!
    }

    /// Splits an `xK` argument off.
    private func repetitions(_ args: [String]) throws(ScriptError) -> ([String], Int?) {
        guard let k = args.firstIndex(where: { $0.first == "x" && $0.count > 1 }) else { return (args, nil) }
        guard let times = Int(args[k].dropFirst()), times >= 0 else { throw ScriptError("bad repetition \(args[k])") }
        var rest = args
        rest.remove(at: k)
        return (rest, times)
    }

    private func linkPatterns(_ tokens: [String]) throws(ScriptError) -> [LinkPattern] {
        var out: [LinkPattern] = []
        for t in tokens {
            guard let p = LinkPattern(parsing: t) else { throw ScriptError("bad link \(t)") }
            out.append(p)
        }
        return out
    }

    /// Leading message type names.
    private func messageTypes(_ tokens: [String]) throws(ScriptError) -> [MessageType] {
        let types = tokens.prefix { t in MessageType.allCases.contains { "\($0)" == t } }
            .map { t in MessageType.allCases.first { "\($0)" == t }! }
        guard !types.isEmpty else { throw ScriptError("expected message types, e.g. append voteResponse") }
        return types
    }
}

extension LinkPattern {
    init?(parsing s: String) {
        if s == "*" {
            self.init(from: nil, to: nil)
            return
        }
        let ends = s.split(separator: "->", omittingEmptySubsequences: false)
        guard ends.count == 2, !ends[0].hasSuffix("<") else { return nil }
        func end(_ e: Substring) -> ReplicaID?? { e == "*" ? .some(nil) : UInt64(e).map { .some($0) } }
        guard let from = end(ends[0]), let to = end(ends[1]) else { return nil }
        self.init(from: from, to: to)
    }
}
