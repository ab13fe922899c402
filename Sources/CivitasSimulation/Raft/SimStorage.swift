import CivitasRaft
import CivitasStorage

/// A replica's storage in the simulator: the node's real `RaftWAL` running on a
/// `SimFileSystem`, plus the application's durable state (applied index and
/// chain hash, standing in for the state database's applied height) in a
/// file of its own. A crash is the simulated disk's power loss; a restart
/// is the WAL's real recovery.
struct SimStorage {
    static let walDirectory = "/node/wal"
    static let appliedPath = "/node/applied"

    let fs: SimFileSystem
    let walOptions: WALOptions
    private(set) var wal: RaftWAL? = nil
    private var appliedFile: (any StorageFile)? = nil

    init(seed: UInt64, walOptions: WALOptions) {
        fs = SimFileSystem(seed: seed)
        self.walOptions = walOptions
    }

    /// What a restarted replica finds.
    struct Recovered {
        var raft: RaftDurableState
        var appliedIndex: UInt64
        var appliedChain: UInt64
        var report: WALRecoveryReport
    }

    /// Opens the WAL and the applied-state file (first start or restart).
    mutating func open() throws(StorageError) -> Recovered {
        try fs.createDirectory("/node")
        let wal = try RaftWAL(directory: Self.walDirectory, fileSystem: fs, options: walOptions)
        let file = try fs.open(Self.appliedPath, create: true)
        try fs.syncDirectory("/node")
        let bytes = try file.read(at: 0, count: 20)
        var index: UInt64 = 0, chain: UInt64 = 0
        if bytes.count == 20 && bytes.allSatisfy({ $0 == 0 }) {
            // The first write extended the file but its sector never landed: nothing applied yet.
        } else if bytes.count == 20 {
            guard CRC32C.checksum(bytes[0..<16]) == le32(bytes, 16) else {
                throw .corrupt(path: Self.appliedPath, offset: 0, reason: "applied-state checksum mismatch")
            }
            index = le64(bytes, 0)
            chain = le64(bytes, 8)
        } else if !bytes.isEmpty {
            throw .corrupt(path: Self.appliedPath, offset: 0, reason: "applied-state file of \(bytes.count) bytes")
        }
        self.wal = wal
        appliedFile = file
        return Recovered(raft: wal.recovered, appliedIndex: index, appliedChain: chain, report: wal.log.report)
    }

    func append(snapshot: Snapshot? = nil, entries: [Entry] = [], hardState: HardState? = nil) throws(StorageError) {
        try wal!.append(snapshot: snapshot, entries: entries, hardState: hardState)
    }

    /// Records the applied state in place: 20 bytes inside one sector, so a
    /// crash leaves the old value or the new one. Durable at the next sync.
    func writeApplied(index: UInt64, chain: UInt64) throws(StorageError) {
        var bytes = [UInt8](repeating: 0, count: 20)
        put64(&bytes, 0, index)
        put64(&bytes, 8, chain)
        let crc = CRC32C.checksum(bytes[0..<16])
        for k in 0..<4 { bytes[16 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        try appliedFile!.write(bytes, at: 0)
    }

    /// Issues the WAL's write for what was appended (the fsync follows later,
    /// in `sync`): a crash in between may lose or tear it.
    func flush() throws(StorageError) { try wal!.log.flush() }

    /// Makes the applied state durable on its own (before a snapshot is recorded).
    func syncApplied() throws(StorageError) { try appliedFile!.sync() }

    /// The shell's fsync: the WAL's group commit and the applied state.
    func sync() throws(StorageError) {
        try wal!.sync()
        try appliedFile!.sync()
    }

    /// Power loss.
    mutating func crash() {
        fs.crash()
        wal = nil
        appliedFile = nil
    }

    private func put64(_ b: inout [UInt8], _ o: Int, _ v: UInt64) {
        for k in 0..<8 { b[o + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
    }

    private func le64(_ b: [UInt8], _ o: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) }
    }

    private func le32(_ b: [UInt8], _ o: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) }
    }
}
