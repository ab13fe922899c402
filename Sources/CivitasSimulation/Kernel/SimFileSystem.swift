public import CivitasStorage

/// A disk in the simulator, honest about durability and hostile on demand,
/// behind the same `FileSystem` seam the real disk uses:
///
/// - a write reaches the platter only at the file's `sync()`; a created,
///   renamed or removed name only at `syncDirectory` of its parent;
/// - `crash()` keeps a random prefix of each file's unsynced writes, may tear
///   the next one (a random subset of its 512-byte sectors lands, the rest
///   stays as it was or reads as zeros past the old end), and forgets every
///   unsynced directory change;
/// - reads fail with EIO at `readErrorRate`, drawn from the disk's own seed.
///
/// Handles opened before a crash are dead afterwards, as a process's file
/// descriptors are. Single-threaded, like the rest of the simulator.
public final class SimFileSystem: FileSystem {
    /// A file: its bytes as they are now (pieces of chunks shared through the
    /// disk's pool), and the operations not yet synced, each with the pieces
    /// it replaced. What is durable is the content with the pending
    /// operations undone, newest first: computed only at a crash, so a file
    /// is held once (not once as written and once as synced), and a write
    /// after a sync costs its own bytes, not a copy of the whole file.
    struct Inode {
        var content = SimFileContent()
        var pending: [Pending] = []

        /// Applies `op`, keeping what it replaced until the next sync.
        mutating func record(_ op: Op, pool: SimChunkPool) {
            let sizeBefore = content.count
            var removed: [SimFileContent.Piece] = []
            switch op {
            case let .write(offset, piece):
                content.resize(to: max(content.count, offset), zeros: pool.zeros)
                removed = content.replace(offset..<min(content.count, offset + piece.count), with: [piece])
            case let .truncate(size):
                if size < content.count { removed = content.replace(size..<content.count, with: []) }
                content.resize(to: size, zeros: pool.zeros)
            }
            pending.append(Pending(op: op, sizeBefore: sizeBefore, removed: removed))
        }

        /// The content as of the last sync.
        func durable(pool: SimChunkPool) -> SimFileContent {
            var content = self.content
            for p in pending.reversed() {
                switch p.op {
                case let .write(offset, piece):
                    content.replace(offset..<(offset + piece.count), with: p.removed)
                case let .truncate(size):
                    if size < p.sizeBefore { content.replace(size..<size, with: p.removed) }
                }
                content.resize(to: p.sizeBefore, zeros: pool.zeros)
            }
            return content
        }
    }

    enum Op {
        case write(offset: Int, piece: SimFileContent.Piece)
        case truncate(Int)
    }

    /// An unsynced operation, the file's size before it, and the pieces it
    /// replaced (from its offset, or cut off from the new end).
    struct Pending {
        var op: Op
        var sizeBefore: Int
        var removed: [SimFileContent.Piece]
    }

    public struct Counters: Sendable, Hashable {
        public var writes = 0, syncs = 0, directorySyncs = 0, crashes = 0, tornWrites = 0, lostWrites = 0, readErrors = 0
    }

    var inodes: [Int: Inode] = [:]
    var names: [String: Int] = [:]
    var durableNames: [String: Int] = [:]
    var directories: Set<String> = ["/", "."]
    var durableDirectories: Set<String> = ["/", "."]
    var nextInode = 1
    var random: SimRandom
    /// Bumped by every crash; handles from an earlier generation refuse all calls.
    var generation = 0
    public var readErrorRate: Double = 0
    /// Power fails at the n-th mutating operation from now (write, truncate,
    /// fsync, create, rename, remove): that operation and every later one fail
    /// with EIO until `crash()`, so a crash can land inside a multi-step
    /// operation such as a `pwrite` followed by its `fsync`.
    public var powerFailsAfter: Int? = nil
    public var poweredOff: Bool { powerFailsAfter == 0 }
    public private(set) var counters = Counters()

    /// Where written bytes are kept: one pool for the disks of a run, so
    /// files holding the same writes share them.
    let pool: SimChunkPool

    public convenience init(seed: UInt64) { self.init(seed: seed, pool: SimChunkPool()) }

    init(seed: UInt64, pool: SimChunkPool) {
        random = SimRandom(seed: seed)
        self.pool = pool
    }

    // MARK: FileSystem

    public func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        if let inode = names[path] { return SimFile(fs: self, inode: inode, path: path) }
        guard create else { throw .io(path: path, operation: "open", errno: 2) }
        guard directories.contains(parentDirectory(path)) else { throw .io(path: path, operation: "open", errno: 2) }
        try mutation(path, "create")
        let inode = nextInode
        nextInode += 1
        inodes[inode] = Inode()
        names[path] = inode
        return SimFile(fs: self, inode: inode, path: path)
    }

    public func list(_ directory: String) throws(StorageError) -> [String] {
        guard directories.contains(directory) else { throw .io(path: directory, operation: "opendir", errno: 2) }
        if random.chance(readErrorRate) {
            counters.readErrors += 1
            throw .io(path: directory, operation: "readdir", errno: 5)
        }
        return names.keys.filter { parentDirectory($0) == directory }.map { String($0.dropFirst(directory.count + 1)) }.sorted()
    }

    public func exists(_ path: String) -> Bool { names[path] != nil || directories.contains(path) }

    public func createDirectory(_ path: String) throws(StorageError) {
        var p = path
        var created: [String] = []
        while !directories.contains(p) {
            created.append(p)
            p = parentDirectory(p)
        }
        for d in created { directories.insert(d) }
        // mkdir then fsync of each parent, as POSIXFileSystem does.
        for d in created { durableDirectories.insert(d) }
    }

    public func remove(_ path: String) throws(StorageError) {
        try mutation(path, "unlink")
        guard names.removeValue(forKey: path) != nil else { throw .io(path: path, operation: "unlink", errno: 2) }
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        try mutation(from, "rename")
        guard let inode = names.removeValue(forKey: from) else { throw .io(path: from, operation: "rename", errno: 2) }
        names[to] = inode
    }

    public func syncDirectory(_ directory: String) throws(StorageError) {
        try mutation(directory, "fsync directory")
        counters.directorySyncs += 1
        for (path, _) in durableNames where parentDirectory(path) == directory && names[path] == nil {
            durableNames[path] = nil
        }
        for (path, inode) in names where parentDirectory(path) == directory {
            durableNames[path] = inode
        }
    }

    // MARK: Faults

    /// Power loss: keeps what was synced, a random part of what was not.
    public func crash() {
        counters.crashes += 1
        powerFailsAfter = nil
        generation += 1
        // In inode order, not the dictionary's: its order follows the hash seed,
        // which differs per process, and a seed must replay in any process.
        for id in inodes.keys.sorted() {
            guard let inode = inodes[id] else { continue }
            var durable = inode.durable(pool: pool).bytes
            let keep = Int(random.below(UInt64(inode.pending.count + 1)))
            for p in inode.pending.prefix(keep) { Self.apply(p.op, to: &durable) }
            if keep < inode.pending.count {
                counters.lostWrites += inode.pending.count - keep
                if random.chance(0.75) { tear(inode.pending[keep].op, into: &durable) }
            }
            inodes[id] = Inode(content: SimFileContent(durable, pool: pool))
        }
        names = durableNames
        directories = durableDirectories
        let live = Set(names.values)
        for id in inodes.keys where !live.contains(id) { inodes[id] = nil }
    }

    /// Lands a random subset of a write's sectors.
    func tear(_ op: Op, into data: inout [UInt8]) {
        guard case let .write(offset, piece) = op, piece.count > 0 else { return }
        let bytes = piece.bytes
        counters.tornWrites += 1
        let sector = 512
        var start = offset - offset % sector
        var highest = data.count
        while start < offset + bytes.count {
            let end = min(offset + bytes.count, start - start % sector + sector)
            if random.chance(0.5) {
                let from = max(start, offset)
                if data.count < end { data.append(contentsOf: repeatElement(0, count: end - data.count)) }
                data.replaceSubrange(from..<end, with: bytes[(from - offset)..<(end - offset)])
                highest = max(highest, end)
            }
            start = end
        }
        // The size may or may not have reached the write's end (the rest reads as zeros).
        if random.chance(0.5), data.count < offset + bytes.count {
            data.append(contentsOf: repeatElement(0, count: offset + bytes.count - data.count))
        }
    }

    static func apply(_ op: Op, to data: inout [UInt8]) {
        switch op {
        case let .write(offset, piece):
            let bytes = piece.bytes
            if data.count < offset + bytes.count { data.append(contentsOf: repeatElement(0, count: offset + bytes.count - data.count)) }
            data.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        case let .truncate(size):
            if size < data.count { data.removeLast(data.count - size) } else { data.append(contentsOf: repeatElement(0, count: size - data.count)) }
        }
    }

    /// The bytes of a file as they are now (for tests and checkers).
    public func contents(_ path: String) -> [UInt8]? { names[path].flatMap { inodes[$0]?.content.bytes } }

    /// Overwrites one byte in place, durably (a test's bit rot).
    public func corrupt(_ path: String, at offset: Int, xor mask: UInt8) {
        guard let id = names[path], var inode = inodes[id], offset < inode.content.count else { return }
        inode.content.flip(at: offset, mask: mask, pool: pool)
        for i in inode.pending.indices {
            // What the operation replaced, from where it starts, holds an earlier version of the byte.
            let start = switch inode.pending[i].op {
            case let .write(at, _): at
            case let .truncate(size): size
            }
            var replaced = SimFileContent(inode.pending[i].removed)
            if offset >= start, offset - start < replaced.count { replaced.flip(at: offset - start, mask: mask, pool: pool) }
            inode.pending[i].removed = replaced.pieces
        }
        inodes[id] = inode
    }

    // MARK: Handles

    /// Open handles survive unlink and rename (as on POSIX), but not a crash.
    /// Counts a mutating operation toward `powerFailsAfter`.
    func mutation(_ path: String, _ operation: String) throws(StorageError) {
        guard let left = powerFailsAfter else { return }
        if left > 0 { powerFailsAfter = left - 1 }
        if powerFailsAfter == 0 { throw .io(path: path, operation: "\(operation) (power failed)", errno: 5) }
    }

    func check(_ file: SimFile) throws(StorageError) -> Int {
        guard file.generation == generation, inodes[file.inode] != nil else {
            throw .io(path: file.path, operation: "use of a handle from before a crash", errno: 9)
        }
        return file.inode
    }

    func read(_ file: SimFile, at offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        let id = try check(file)
        if random.chance(readErrorRate) {
            counters.readErrors += 1
            throw .io(path: file.path, operation: "pread at \(offset)", errno: 5)
        }
        return inodes[id]!.content.read(at: offset, count: count)
    }

    func write(_ file: SimFile, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) {
        let id = try check(file)
        guard !poweredOff else { throw .io(path: file.path, operation: "pwrite (power failed)", errno: 5) }
        counters.writes += 1
        // The write that meets the power failure still reaches the cache: the
        // caller sees an error, and a crash may keep it, tear it or lose it.
        record(.write(offset: offset, piece: SimFileContent.Piece(chunk: pool.chunk(bytes), start: 0, count: bytes.count)), in: id)
        try mutation(file.path, "pwrite")
    }

    func truncate(_ file: SimFile, to size: Int) throws(StorageError) {
        let id = try check(file)
        try mutation(file.path, "ftruncate")
        record(.truncate(size), in: id)
    }

    /// Applies `op` to the file in place, keeping what it replaced until the next sync.
    private func record(_ op: Op, in id: Int) {
        inodes[id]!.record(op, pool: pool)
    }

    func sync(_ file: SimFile) throws(StorageError) {
        let id = try check(file)
        try mutation(file.path, "fsync")
        counters.syncs += 1
        inodes[id]!.pending = []
    }

    func size(_ file: SimFile) throws(StorageError) -> Int {
        inodes[try check(file)]!.content.count
    }
}

final class SimFile: StorageFile {
    let fs: SimFileSystem
    let inode: Int
    let path: String
    let generation: Int

    init(fs: SimFileSystem, inode: Int, path: String) {
        self.fs = fs
        self.inode = inode
        self.path = path
        generation = fs.generation
    }

    func size() throws(StorageError) -> Int { try fs.size(self) }
    func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8] { try fs.read(self, at: offset, count: count) }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) { try fs.write(self, bytes, at: offset) }
    func sync() throws(StorageError) { try fs.sync(self) }
    func truncate(to size: Int) throws(StorageError) { try fs.truncate(self, to: size) }
    func close() {}
}
