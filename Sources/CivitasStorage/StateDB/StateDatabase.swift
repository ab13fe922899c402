public import CivitasLedger
public import CivitasCodec
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The state database: what the committed blocks say, as SQLite tables an
/// operator can query (docs/storage.md, "State database").
///
/// Durability contract:
/// - A block's state changes, its `blocks` and `transactions` rows and the new
///   `meta.applied_height`/`applied_hash` are written in one SQLite
///   transaction, so the applied height never runs ahead of or behind the
///   state it describes, and a block is applied exactly once across crashes.
/// - The database runs in WAL mode with `synchronous = FULL` by default:
///   when `apply` returns, the block's effects are on disk (the WAL is
///   fsynced at commit). Opened with `durability: .afterBlockStore` it runs
///   with `synchronous = NORMAL`: a commit survives a crash of the process
///   but may be lost with the machine's power, which is safe only where the
///   blocks were synced to a block store first and `catchUp` replays them
///   at the next start (the node's runtime does both).
/// - Anything lost can be rebuilt from the block store: `rebuild` replays
///   blocks from genesis, `catchUp` replays those above the applied height,
///   and both give the same `stateDigest()` as applying blocks one by one.
///
/// Thread-safety: the class is `Sendable`. Writes are serialized by SQLite's
/// single writer connection; reads run on a pool of reader connections and
/// see the state as of a whole block, never half of one.
public final class StateDatabase: Sendable {
    /// When an applied block is on disk.
    public enum Durability: Sendable {
        /// Every commit is fsynced before `apply` returns.
        case full
        /// Commits are fsynced at WAL checkpoints only: the caller synced the
        /// block to a block store before applying it and replays the store
        /// with `catchUp` at start, so a commit lost with the power is redone.
        case afterBlockStore
    }

    /// The database file.
    public let path: String
    /// The genesis the database was built from.
    public let genesis: GenesisDocument
    let pool: DatabasePool

    /// Blocks applied per SQLite transaction by `catchUp` and `rebuild`.
    static let replayBatchBlocks = 256
    /// … or at least this many transactions, whichever comes first.
    static let replayBatchTransactions = 20_000

    private init(path: String, genesis: GenesisDocument, pool: DatabasePool) {
        self.path = path
        self.genesis = genesis
        self.pool = pool
    }

    // MARK: - Opening

    /// Opens the state database at `path`, creating it (schema and genesis
    /// subjects, in one transaction) if the file is absent or empty.
    ///
    /// - Parameter verifyIntegrity: run `PRAGMA quick_check` first (a full
    ///   read of the file; linear in its size). Structural damage — a garbage
    ///   file, a damaged page header or b-tree — is reported as
    ///   `StorageError.corrupt`; a database built for another genesis as
    ///   `StorageError.inconsistent`.
    public static func open(path: String, genesis: GenesisDocument, verifyIntegrity: Bool = true,
                            durability: Durability = .full) throws(StorageError) -> StateDatabase {
        var config = Configuration()
        config.label = "civitas.state"
        config.foreignKeysEnabled = false
        config.maximumReaderCount = 4
        config.busyMode = .timeout(10)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw storageError(error, path: path, operation: "open")
        }
        do {
            try pool.writeWithoutTransaction { db in
                switch durability {
                case .full:
                    // GRDB sets NORMAL for WAL databases; a commit must be durable
                    // when `apply` returns, so the node may act on the applied height.
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                case .afterBlockStore:
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                }
                if verifyIntegrity {
                    let problems = try String.fetchAll(db, sql: "PRAGMA quick_check(20)")
                    if problems != ["ok"] {
                        throw StorageError.corrupt(path: path, offset: 0,
                                                   reason: "SQLite quick_check: " + problems.joined(separator: "; "))
                    }
                }
            }
            let migrator = StateSchema.migrator(genesis: genesis)
            try pool.read { db in
                if try migrator.hasBeenSuperseded(db) {
                    throw StorageError.inconsistent(path: path, reason: "the state database was written by a newer version of civitas (unknown schema migrations)")
                }
            }
            try migrator.migrate(pool)
            try pool.read { db in
                guard let row = try db.row("SELECT community, genesis_hash FROM meta WHERE id = 1") else {
                    throw StorageError.inconsistent(path: path, reason: "the meta row is missing")
                }
                let recorded = try row.hash("genesis_hash")
                guard recorded == genesis.hash else {
                    throw StorageError.inconsistent(path: path, reason: "built for genesis \(recorded.hex) of community '\(try row.text("community"))', not \(genesis.hash.hex) of '\(genesis.community)'")
                }
            }
        } catch {
            throw storageError(error, path: path, operation: "open")
        }
        return StateDatabase(path: path, genesis: genesis, pool: pool)
    }

    /// Deletes the database at `path` (and its `-wal`/`-shm` files), creates
    /// it afresh and applies `blocks` in order, which must start at height 1
    /// and have no gaps. Nothing else may have the database open.
    public static func rebuild(path: String, genesis: GenesisDocument, blocks: some Sequence<SealedBlock>) throws(StorageError) -> StateDatabase {
        try removeDatabaseFiles(path)
        let db = try open(path: path, genesis: genesis, verifyIntegrity: false)
        var batch: [SealedBlock] = []
        var batchTransactions = 0
        for block in blocks {
            batch.append(block)
            batchTransactions += block.block.transactions.count
            if batch.count >= replayBatchBlocks || batchTransactions >= replayBatchTransactions {
                _ = try db.applyBatch(batch)
                batch.removeAll(keepingCapacity: true)
                batchTransactions = 0
            }
        }
        if !batch.isEmpty { _ = try db.applyBatch(batch) }
        return db
    }

    /// Deletes and rebuilds the database from a block source such as the
    /// block store: `block(h)` for h = 1, 2, … until it returns nil.
    public static func rebuild(path: String, genesis: GenesisDocument,
                               block: (UInt64) throws(StorageError) -> SealedBlock?) throws(StorageError) -> StateDatabase {
        try removeDatabaseFiles(path)
        let db = try open(path: path, genesis: genesis, verifyIntegrity: false)
        _ = try db.catchUp(block: block)
        return db
    }

    static func removeDatabaseFiles(_ path: String) throws(StorageError) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = path + suffix
            if unlink(file) != 0 && errno != ENOENT {
                throw StorageError.io(path: file, operation: "unlink", errno: errno)
            }
        }
    }

    // MARK: - Applying

    /// The last applied block: height, hash and time.
    public func head() throws(StorageError) -> AppliedHead {
        do {
            return try pool.read { db in try Self.readHead(db) }
        } catch {
            throw storageError(error, path: path, operation: "read applied height")
        }
    }

    /// The height of the last applied block (0 before the first).
    public var appliedHeight: UInt64 {
        get throws(StorageError) { try head().height }
    }

    /// Applies `block` if it is the next one, all or nothing.
    ///
    /// - Returns: `.applied` with the block's rejections and closed
    ///   proposals; `.alreadyApplied` if a block at this height was applied
    ///   before and it is this block (same header hash).
    /// - Throws: `StorageError.invalidArgument` for a gap (height above
    ///   applied + 1), another community's block, or a header whose count
    ///   disagrees with its body; `StorageError.inconsistent` for a block that
    ///   does not extend the applied head (wrong `previous`) or differs from
    ///   the block applied at its height. Nothing changes when it throws.
    ///
    /// Certificates and signatures are not checked here: the caller (block
    /// store, node) verifies a block before applying it.
    @discardableResult
    public func apply(_ block: SealedBlock) throws(StorageError) -> ApplyOutcome {
        try apply(block, afterTransaction: nil)
    }

    /// `apply` with a hook called after each transaction inside the SQLite
    /// transaction; if the hook throws, the whole block rolls back (tests
    /// use it to stop an apply half-way, as a crash would).
    func apply(_ block: SealedBlock, afterTransaction hook: ((Int) throws -> Void)?) throws(StorageError) -> ApplyOutcome {
        do {
            return try pool.write { db in
                var head = try Self.readHead(db)
                if let already = try checkNext(block, head: head, db: db) { return already }
                return .applied(try applyBlock(block, head: &head, db: db, hook: hook))
            }
        } catch {
            throw storageError(error, path: path, operation: "apply block \(block.height)")
        }
    }

    /// Applies blocks above the applied height from `block(h)`, for
    /// h = applied + 1, … until it returns nil, in batches of up to
    /// 256 blocks per SQLite transaction (each batch all or nothing, the
    /// applied height committed with it). Returns the number applied.
    @discardableResult
    public func catchUp(block: (UInt64) throws(StorageError) -> SealedBlock?) throws(StorageError) -> Int {
        var next = try appliedHeight + 1
        var total = 0
        var exhausted = false
        while !exhausted {
            var batch: [SealedBlock] = []
            var transactions = 0
            while batch.count < Self.replayBatchBlocks && transactions < Self.replayBatchTransactions {
                guard let b = try block(next) else { exhausted = true; break }
                guard b.height == next else {
                    throw StorageError.invalidArgument("block source returned height \(b.height) when asked for \(next)")
                }
                batch.append(b)
                transactions += b.block.transactions.count
                next += 1
            }
            if batch.isEmpty { break }
            total += try applyBatch(batch)
        }
        return total
    }

    /// Applies consecutive blocks in one SQLite transaction. Blocks at or
    /// below the applied height are skipped (if they match what was applied).
    /// If a block fails its checks, the blocks before it are committed and the
    /// error is thrown. Returns the number applied.
    func applyBatch(_ blocks: [SealedBlock]) throws(StorageError) -> Int {
        var failure: StorageError?
        var applied = 0
        do {
            try pool.write { db in
                var head = try Self.readHead(db)
                for block in blocks {
                    do {
                        if try checkNext(block, head: head, db: db) != nil { continue }
                    } catch let error as StorageError {
                        failure = error
                        break
                    }
                    _ = try applyBlock(block, head: &head, db: db, hook: nil)
                    applied += 1
                }
            }
        } catch {
            throw storageError(error, path: path, operation: "apply blocks \(blocks.first?.height ?? 0)…\(blocks.last?.height ?? 0)")
        }
        if let failure { throw failure }
        return applied
    }

    static func readHead(_ db: Database) throws -> AppliedHead {
        guard let row = try db.row("SELECT applied_height, applied_hash, applied_time FROM meta WHERE id = 1") else {
            throw UnexpectedValue(column: "meta", detail: "the meta row is missing")
        }
        return AppliedHead(height: try row.uint("applied_height"), hash: try row.hash("applied_hash"), time: try row.uint("applied_time"))
    }

    /// nil if `block` is the next block; `.alreadyApplied` if it was applied; throws otherwise.
    func checkNext(_ block: SealedBlock, head: AppliedHead, db: Database) throws -> ApplyOutcome? {
        let header = block.header
        guard header.community == genesis.community else {
            throw StorageError.invalidArgument("block \(header.height) belongs to community '\(header.community)', not '\(genesis.community)'")
        }
        guard header.height >= 1 else {
            throw StorageError.invalidArgument("height 0 is the genesis document, not a block")
        }
        if header.height <= head.height {
            let recorded = try db.row("SELECT hash FROM blocks WHERE height = ?", [sqlInt(header.height)]).map { try $0.hash("hash") }
            let hash = header.hash
            guard recorded == hash else {
                throw StorageError.inconsistent(path: path, reason: "block \(header.height) has hash \(hash.hex), but \(recorded?.hex ?? "nothing") was applied at that height")
            }
            return .alreadyApplied(height: header.height)
        }
        guard header.height == head.height + 1 else {
            throw StorageError.invalidArgument("block \(header.height) leaves a gap: the applied height is \(head.height), so the next block is \(head.height + 1)")
        }
        guard header.previous == head.hash else {
            throw StorageError.inconsistent(path: path, reason: "block \(header.height) follows \(header.previous.hex), but the applied head is \(head.hash.hex)")
        }
        guard Int(header.transactionCount) == block.block.transactions.count else {
            throw StorageError.invalidArgument("block \(header.height) header says \(header.transactionCount) transactions, body has \(block.block.transactions.count)")
        }
        return nil
    }

    // MARK: - Digest

    /// A SHA-256 over every table's rows in primary-key order: two databases
    /// built from the same blocks give the same digest, whatever order the
    /// rows were written in and however the blocks were batched.
    ///
    /// The byte stream hashed: for each table (in `StateSchema.digestOrder`),
    /// 0xFF, the table name, then per row 0xFE, the column count and each value
    /// (0 = NULL; 1 = INTEGER, 8 bytes big-endian; 2 = REAL, IEEE bits
    /// big-endian; 3 = TEXT, 4 = BLOB, each a varint length then the bytes).
    /// The stream is hashed in chunks: s₀ = 32 zero bytes, sᵢ₊₁ = SHA-256(sᵢ ‖ chunk),
    /// a chunk ending at the first row boundary at or past 64 KiB; the digest
    /// is SHA-256(sₙ ‖ total length as 8 bytes big-endian).
    public func stateDigest() throws(StorageError) -> Hash {
        do {
            return try pool.read { db in try StateDigest.compute(db) }
        } catch {
            throw storageError(error, path: path, operation: "state digest")
        }
    }

    /// The digest without the tables in `excluded` (tests compare the
    /// governance tables across blocks whose transactions were all rejected).
    func stateDigest(excluding excluded: Set<String>) throws(StorageError) -> Hash {
        do {
            return try pool.read { db in try StateDigest.compute(db, excluding: excluded) }
        } catch {
            throw storageError(error, path: path, operation: "state digest")
        }
    }

    /// The value of `PRAGMA name` on the writer connection (tests check the durability settings).
    func writerPragma(_ name: String) throws(StorageError) -> String? {
        do {
            return try pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
        } catch {
            throw storageError(error, path: path, operation: "PRAGMA \(name)")
        }
    }

    /// The tables (not views) in the database file, by name.
    func tableNames() throws(StorageError) -> [String] {
        try read("list tables") { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
        }
    }

    /// Runs SQLite's `PRAGMA integrity_check`; returns its complaints (empty if none).
    public func integrityCheck() throws(StorageError) -> [String] {
        do {
            let result = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check(100)") }
            return result == ["ok"] ? [] : result
        } catch {
            throw storageError(error, path: path, operation: "integrity check")
        }
    }

    /// Copies the WAL into the database file and empties it, then closes the
    /// connections, leaving a self-contained `state.sqlite` (GRDB closes the
    /// writer before the readers, so SQLite would otherwise keep the WAL).
    /// Using the database afterwards throws.
    public func close() throws(StorageError) {
        do {
            try pool.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try pool.close()
        } catch {
            throw storageError(error, path: path, operation: "close")
        }
    }
}
