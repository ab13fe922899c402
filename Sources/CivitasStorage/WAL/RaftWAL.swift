public import CivitasRaft
import CivitasCodec

/// What a replica's log holds on disk: its hard state, its latest snapshot
/// (the compaction point) and the entries after it.
public struct RaftDurableState: Sendable, Hashable {
    public var hardState = HardState()
    public var snapshot: Snapshot? = nil
    public var entries: [Entry] = []

    public init(hardState: HardState = HardState(), snapshot: Snapshot? = nil, entries: [Entry] = []) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
    }

    public var lastIndex: UInt64 { entries.last?.index ?? snapshot?.index ?? 0 }
}

/// Raft's persistence on top of `WriteAheadLog`, following `Ready`'s contract:
/// entries (a lower index replaces everything from it on), hard states and
/// snapshots are records; `sync()` is the fsync the contract asks for.
///
/// Each new segment starts with the current snapshot and hard state, so a
/// segment whose entries all lie at or before the durable snapshot can be
/// removed (`sync` does it): by the contract, the application's state is
/// durable up to a snapshot before the snapshot is recorded.
public final class RaftWAL {
    enum RecordType: UInt8 {
        case entry = 1
        case hardState = 2
        case snapshot = 3
    }

    /// Records are already bounded by `WALOptions.maxRecordSize`; fields inside may use all of it.
    static let limits = DecodingLimits(maxFieldBytes: 64 << 20, maxElements: 1 << 20, maxBodyBytes: 64 << 20)

    public let log: WriteAheadLog
    /// The state found on disk when the log was opened.
    public let recovered: RaftDurableState
    private var hardState: HardState
    private var snapshot: Snapshot?
    /// Snapshot index made durable by the last sync.
    private var durableSnapshotIndex: UInt64
    private var lastIndex: UInt64
    /// Highest entry index written into each live segment.
    private var segmentMaxIndex: [UInt64: UInt64] = [:]

    public init(directory: String, fileSystem: any FileSystem, options: WALOptions = WALOptions()) throws(StorageError) {
        var replay = Replay()
        var perSegment: [UInt64: UInt64] = [:]
        log = try WriteAheadLog(directory: directory, fileSystem: fileSystem, options: options) { (record) throws(StorageError) in
            try replay.apply(record, directory: directory)
        }
        // Segment boundaries are not visible during replay; recompute them
        // conservatively: every live segment may hold up to the last index.
        for s in log.segments { perSegment[s] = replay.state.lastIndex }
        if let gap = replay.unresolvedGap {
            throw WriteAheadLog.withWayOut(.inconsistent(path: directory, reason: "entries up to \(gap) are missing and no snapshot covers them"))
        }
        recovered = replay.state
        hardState = replay.state.hardState
        snapshot = replay.state.snapshot
        durableSnapshotIndex = replay.state.snapshot?.index ?? 0
        lastIndex = replay.state.lastIndex
        segmentMaxIndex = perSegment
    }

    /// Appends the persistence part of a `Ready` (in the contract's order:
    /// snapshot, entries, hard state). Durable only after `sync()`.
    public func append(snapshot newSnapshot: Snapshot? = nil, entries: [Entry] = [], hardState newHardState: HardState? = nil) throws(StorageError) {
        if let s = newSnapshot, s.index > (snapshot?.index ?? 0) {
            try log.append(type: RecordType.snapshot.rawValue, payload: s.canonicalBytes())
            snapshot = s
            if lastIndex < s.index { lastIndex = s.index }
        }
        for e in entries {
            try log.append(type: RecordType.entry.rawValue, payload: e.canonicalBytes())
            lastIndex = e.index
        }
        if let last = entries.last {
            segmentMaxIndex[log.currentSegment] = max(segmentMaxIndex[log.currentSegment] ?? 0, last.index)
        }
        if let hs = newHardState {
            try log.append(type: RecordType.hardState.rawValue, payload: Self.encode(hs))
            hardState = hs
        }
    }

    /// Makes everything appended durable (one fsync), then rolls to a new
    /// segment if the current one is full and removes segments the durable
    /// snapshot has made unnecessary.
    public func sync() throws(StorageError) {
        try log.sync()
        durableSnapshotIndex = snapshot?.index ?? 0
        if log.needsRoll {
            var head: [WALRecord] = []
            if let s = snapshot { head.append(WALRecord(type: RecordType.snapshot.rawValue, payload: s.canonicalBytes())) }
            head.append(WALRecord(type: RecordType.hardState.rawValue, payload: Self.encode(hardState)))
            try log.roll(head: head)
        }
        var removable: UInt64? = nil
        for s in log.segments.dropLast() {
            guard (segmentMaxIndex[s] ?? 0) <= durableSnapshotIndex else { break }
            removable = s + 1
        }
        if let before = removable {
            try log.removeSegments(before: before)
            for s in segmentMaxIndex.keys where s < before { segmentMaxIndex[s] = nil }
        }
    }

    public func close() { log.close() }

    static func encode(_ hs: HardState) -> [UInt8] {
        let size = 3 * 10 + 1
        var bytes = [UInt8](repeating: 0, count: size)
        let used = bytes.withUnsafeMutableBytes { raw -> Int in
            var w = ByteWriter(writingInto: raw)
            w.writeVarint(hs.term)
            if let v = hs.vote { w.writeByte(1); w.writeVarint(v) } else { w.writeByte(0) }
            w.writeVarint(hs.commit)
            return w.position
        }
        bytes.removeLast(size - used)
        return bytes
    }

    static func decodeHardState(_ bytes: [UInt8]) throws(CodecError) -> HardState {
        var failure: CodecError?
        let hs: HardState? = bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            do throws(CodecError) {
                let term = try r.readVarint()
                let vote: UInt64? = try r.readBool() ? try r.readVarint() : nil
                let commit = try r.readVarint()
                try r.finish()
                return HardState(term: term, vote: vote, commit: commit)
            } catch {
                failure = error
                return nil
            }
        }
        if let hs { return hs }
        throw failure!
    }

    /// Rebuilds the durable state record by record, as etcd's WAL replay does.
    struct Replay {
        var state = RaftDurableState()
        /// Entries up to this index were skipped (their segments were removed);
        /// a later snapshot must cover them.
        var unresolvedGap: UInt64? = nil

        mutating func apply(_ record: WALRecord, directory: String) throws(StorageError) {
            guard let type = RecordType(rawValue: record.type) else {
                throw .inconsistent(path: directory, reason: "unknown WAL record type \(record.type)")
            }
            do throws(CodecError) {
                switch type {
                case .entry:
                    let e = try Entry(canonicalBytes: record.payload, limits: RaftWAL.limits)
                    guard e.index < 1 << 62, e.term < 1 << 62 else { break }
                    appendEntry(e)
                    return
                case .hardState:
                    state.hardState = try RaftWAL.decodeHardState(record.payload)
                    return
                case .snapshot:
                    let s = try Snapshot(canonicalBytes: record.payload, limits: RaftWAL.limits)
                    guard s.index < 1 << 62, s.term < 1 << 62 else { break }
                    installSnapshot(s)
                    return
                }
            } catch {
                throw .inconsistent(path: directory, reason: "undecodable WAL record of type \(record.type): \(error)")
            }
            // Raft refuses indexes and terms this large; the record cannot be ours.
            throw .inconsistent(path: directory, reason: "WAL record of type \(record.type) carries an impossible index or term")
        }

        mutating func appendEntry(_ e: Entry) {
            let snapIndex = state.snapshot?.index ?? 0
            guard e.index > snapIndex else { return }
            let base = (state.entries.first?.index ?? (snapIndex + 1)) - 1
            let last = state.entries.last?.index ?? snapIndex
            if e.index > last + 1 || e.index <= base {
                // Earlier entries live in removed segments; only a later snapshot can vouch for them.
                unresolvedGap = max(unresolvedGap ?? 0, e.index - 1)
                if e.index <= base { unresolvedGap = e.index - 1 }
                state.entries = [e]
                return
            }
            state.entries.removeLast(Int(last + 1 - e.index))
            state.entries.append(e)
        }

        mutating func installSnapshot(_ s: Snapshot) {
            guard s.index > (state.snapshot?.index ?? 0) else { return }
            if let i = state.entries.firstIndex(where: { $0.index == s.index }), state.entries[i].term == s.term {
                state.entries.removeFirst(i + 1)
            } else if let first = state.entries.first, first.index > s.index {
                // Entries already start after the snapshot (a gap the snapshot now covers).
            } else {
                state.entries = []
            }
            state.snapshot = s
            if let gap = unresolvedGap, s.index >= gap { unresolvedGap = nil }
        }
    }
}
