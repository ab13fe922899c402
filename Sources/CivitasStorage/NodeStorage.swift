public import CivitasLedger
public import CivitasRaft

/// A node's durable chain state on one file system: Raft's write-ahead log
/// (validators and learners only) and the block store. Both node
/// environments — the real disk and the simulator's — keep their Raft state
/// and blocks through it, so what a crash loses is decided in one place.
public final class NodeStorage {
    public let wal: RaftWAL?
    public let blocks: BlockStore

    /// Opens (recovering) the WAL under `walDirectory` when `runsRaft`, and the block store under `blocksDirectory`.
    public init(walDirectory: String, blocksDirectory: String, runsRaft: Bool, fileSystem: any FileSystem,
                walOptions: WALOptions = WALOptions()) throws(StorageError) {
        wal = runsRaft ? try RaftWAL(directory: walDirectory, fileSystem: fileSystem, options: walOptions) : nil
        blocks = try BlockStore(directory: blocksDirectory, fileSystem: fileSystem)
    }

    /// What the Raft log held at start; nil for a node without Raft or a new log.
    public var recoveredRaft: RaftDurableState? {
        guard let r = wal?.recovered, r.hardState.term > 0 || !r.entries.isEmpty || r.snapshot != nil else { return nil }
        return r
    }

    /// Makes Raft's snapshot, entries and hard state durable — synced if the
    /// Ready asks for it or holds a snapshot.
    public func persist(_ ready: Ready) throws(StorageError) {
        guard let wal else { return }
        try wal.append(snapshot: ready.snapshot, entries: ready.entries, hardState: ready.hardState)
        if ready.mustSync || ready.snapshot != nil { try wal.sync() }
    }

    /// Records a compaction of the Raft log (durable).
    public func persistCompaction(_ snapshot: Snapshot) throws(StorageError) {
        guard let wal else { return }
        try wal.append(snapshot: snapshot)
        try wal.sync()
    }

    /// Appends `sealed` in order and makes them durable.
    public func storeBlocks(_ sealed: [SealedBlock]) throws(StorageError) {
        for block in sealed { try blocks.append(block) }
        try blocks.sync()
    }

    public func readBlocks(from: UInt64, through: UInt64, maxBytes: Int) throws(StorageError) -> [SealedBlock] {
        try blocks.blocks(from: from, through: through, maxBytes: maxBytes)
    }

    /// The stored chain's last block, if any.
    public func head() throws(StorageError) -> SealedBlock? {
        blocks.height > 0 ? try blocks.block(at: blocks.height) : nil
    }

    /// Syncs and closes both.
    public func close() {
        try? blocks.sync()
        try? blocks.close()
        wal?.close()
    }
}
