import CivitasCodec
import CivitasLedger
@testable import CivitasStorage
import CivitasTestSupport
import Foundation
import Testing

/// Crashes, rebuilds, catch-up and damaged files.
@Suite struct StateDatabaseRecoveryTests {
    let c = StateTestCommunity()

    /// The digest after applying `blocks` one by one to a fresh database.
    func referenceDigest(_ blocks: ArraySlice<SealedBlock>, genesis: GenesisDocument, dir: String, name: String) throws -> Hash {
        let db = try StateDatabase.open(path: dir + "/\(name).sqlite", genesis: genesis)
        for block in blocks { try db.applyExpectingNew(block) }
        return try db.stateDigest()
    }

    @Test func anApplyStoppedHalfWayChangesNothing() throws {
        let chain = GovernanceChain(c)
        try withScratch("interrupted") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            for block in chain.blocks.prefix(1) { try db.applyExpectingNew(block) }
            let after1 = try db.stateDigest()
            struct Crash: Error {}
            let block2 = chain.blocks[1]
            for stop in 0..<block2.block.transactions.count {
                #expect(throws: StorageError.self) {
                    try db.apply(block2, afterTransaction: { i in if i == stop { throw Crash() } })
                }
                #expect(try db.appliedHeight == 1)
                #expect(try db.stateDigest() == after1)
                #expect(try db.transactions(height: 2) == [])
                #expect(try db.notice(chain.notices[1]) == nil)
                #expect(try db.notice(chain.notices[0])?.supersededBy == nil)
            }
            // Then the block applies normally, exactly as on an uninterrupted database.
            for block in chain.blocks.dropFirst() { try db.applyExpectingNew(block) }
            #expect(try db.stateDigest() == referenceDigest(chain.blocks[...], genesis: c.genesis, dir: dir, name: "reference"))
        }
    }

    /// A real crash: a child process applies blocks and dies (`_exit`, no
    /// cleanup, no rollback) in the middle of a block's SQLite transaction,
    /// with a tiny page cache so uncommitted pages have spilled into the WAL.
    @Test func aProcessKilledMidApplyLeavesTheLastWholeBlock() async throws {
        let scratch = try scratchDirectory("state-killed")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.path + "/state.sqlite"
        await #expect(processExitsWith: .exitCode(42)) { [path = path as String] in
            let c = StateTestCommunity(extraResidents: 40)
            let blocks = randomChain(c, blocks: 12, transactionsPerBlock: 150, seed: 7)
            let db = try StateDatabase.open(path: path, genesis: c.genesis)
            _ = try db.writerPragma("cache_size = 4")
            for block in blocks.prefix(10) { _ = try db.apply(block) }
            _ = try db.apply(blocks[10], afterTransaction: { i in if i == 120 { _exit(42) } })
        }
        let c = StateTestCommunity(extraResidents: 40)
        let blocks = randomChain(c, blocks: 12, transactionsPerBlock: 150, seed: 7)
        let db = try StateDatabase.open(path: path, genesis: c.genesis)
        #expect(try db.appliedHeight == 10)
        #expect(try db.integrityCheck() == [])
        #expect(try db.stateDigest() == referenceDigest(blocks.prefix(10), genesis: c.genesis, dir: scratch.path, name: "reference"))
        // Catch-up finishes the job.
        #expect(try db.catchUp { h in h <= 12 ? blocks[Int(h) - 1] : nil } == 2)
        #expect(try db.stateDigest() == referenceDigest(blocks[...], genesis: c.genesis, dir: scratch.path, name: "reference-all"))
    }

    @Test func deletingTheDatabaseRebuildsItFromBlocks() throws {
        let c = StateTestCommunity(extraResidents: 30)
        let blocks = randomChain(c, blocks: 60, transactionsPerBlock: 40, seed: 42)
        try withScratch("rebuild") { dir in
            let path = dir + "/state.sqlite"
            let db = try StateDatabase.open(path: path, genesis: c.genesis)
            var rejected = 0
            var closed = 0
            for block in blocks {
                let a = try db.applyExpectingNew(block)
                rejected += a.rejections.count
                closed += a.closedProposals.count
            }
            // The workload exercises rejections and tallies, not only the happy path.
            print("random chain: \(rejected) of \(blocks.count * 40) rejected")
            #expect(rejected > 100 && rejected < blocks.count * 40 / 2)
            #expect(closed > 5)
            let digest = try db.stateDigest()
            try db.close()

            // Delete and rebuild from a sequence (batched: one SQLite transaction per 256 blocks).
            let rebuilt = try StateDatabase.rebuild(path: path, genesis: c.genesis, blocks: blocks)
            #expect(try rebuilt.appliedHeight == UInt64(blocks.count))
            #expect(try rebuilt.stateDigest() == digest)
            try rebuilt.close()

            // … and from a block source by height, as the block store serves them.
            let fetched = try StateDatabase.rebuild(path: path, genesis: c.genesis) { h in
                h <= UInt64(blocks.count) ? blocks[Int(h) - 1] : nil
            }
            #expect(try fetched.stateDigest() == digest)
            try fetched.close()

            // A database that fell behind catches up on reopening.
            let behind = try StateDatabase.rebuild(path: dir + "/behind.sqlite", genesis: c.genesis, blocks: blocks.prefix(17))
            #expect(try behind.appliedHeight == 17)
            try behind.close()
            let reopened = try StateDatabase.open(path: dir + "/behind.sqlite", genesis: c.genesis)
            let source: (UInt64) throws(StorageError) -> SealedBlock? = { h in h <= UInt64(blocks.count) ? blocks[Int(h) - 1] : nil }
            #expect(try reopened.catchUp(block: source) == blocks.count - 17)
            #expect(try reopened.stateDigest() == digest)
            #expect(try reopened.catchUp(block: source) == 0)
        }
    }

    @Test func aBlockSourceWithAGapIsRefused() throws {
        let chain = GovernanceChain(c)
        try withScratch("gap") { dir in
            let db = try StateDatabase.open(path: dir + "/state.sqlite", genesis: c.genesis)
            let wrong = storageFailure { _ = try db.catchUp { h in h <= 5 ? chain.blocks[Int(min(h + 1, 5)) - 1] : nil } }
            guard case .invalidArgument = wrong else { Issue.record("wrong heights: \(String(describing: wrong))"); return }
            let gap = storageFailure {
                _ = try StateDatabase.rebuild(path: dir + "/other.sqlite", genesis: c.genesis, blocks: [chain.blocks[0], chain.blocks[2]])
            }
            guard case .invalidArgument = gap else { Issue.record("gap: \(String(describing: gap))"); return }
            // The blocks before the gap were kept.
            let other = try StateDatabase.open(path: dir + "/other.sqlite", genesis: c.genesis)
            #expect(try other.appliedHeight == 1)
        }
    }

    // MARK: Damaged files

    func expectCorrupt(_ path: String, genesis: GenesisDocument, _ comment: Comment? = nil) {
        let failure = storageFailure {
            let db = try StateDatabase.open(path: path, genesis: genesis)
            _ = try db.stateDigest()
        }
        guard case let .corrupt(p, _, reason) = failure else {
            Issue.record("expected .corrupt, got \(String(describing: failure)) \(comment.map { "\($0)" } ?? "")")
            return
        }
        #expect(p == path)
        #expect(!reason.isEmpty)
    }

    @Test func aGarbageFileIsReportedAsCorrupt() throws {
        try withScratch("garbage") { dir in
            var rng = SplitMix64(seed: 3)
            let path = dir + "/state.sqlite"
            try Data(rng.bytes(64 * 1024)).write(to: URL(fileURLWithPath: path))
            expectCorrupt(path, genesis: c.genesis)
            try Data("this is not a database\n".utf8).write(to: URL(fileURLWithPath: path))
            expectCorrupt(path, genesis: c.genesis)
        }
    }

    /// Builds the governance chain's database, closes it (folding the WAL
    /// into the main file) and returns the file's bytes.
    func builtDatabase(_ path: String) throws -> [UInt8] {
        let chain = GovernanceChain(c)
        let db = try StateDatabase.open(path: path, genesis: c.genesis)
        for block in chain.blocks { try db.applyExpectingNew(block) }
        try db.close()
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "close() leaves the WAL empty")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func aFlippedByteInTheStructureIsReportedAsCorrupt() throws {
        try withScratch("flipped") { dir in
            let path = dir + "/state.sqlite"
            let good = try builtDatabase(path)
            let pageSize = Int(good[16]) << 8 | Int(good[17])
            #expect(good.count % pageSize == 0)
            // The header's magic string, then each page's b-tree page-type byte.
            var offsets = [0, 5]
            offsets += (1..<(good.count / pageSize)).map { $0 * pageSize }
            for offset in offsets {
                var bad = good
                bad[offset] ^= 0x40
                try Data(bad).write(to: URL(fileURLWithPath: path))
                expectCorrupt(path, genesis: c.genesis, "byte \(offset)")
            }
            // A truncated file.
            try Data(good.prefix(good.count / 2)).write(to: URL(fileURLWithPath: path))
            expectCorrupt(path, genesis: c.genesis, "truncated")
        }
    }

    /// SQLite has no page checksums, so a flipped bit inside a value may go
    /// unnoticed by `quick_check`; but it never crashes the process: every
    /// outcome is a database that opens, or a `StorageError`.
    @Test func randomFlipsNeverCrash() throws {
        try withScratch("random-flips") { dir in
            let path = dir + "/state.sqlite"
            let good = try builtDatabase(path)
            var rng = SplitMix64(seed: 11)
            var outcomes: [String: Int] = [:]
            for _ in 0..<150 {
                var bad = good
                let offset = rng.int(0...(good.count - 1))
                bad[offset] ^= UInt8(1 << rng.int(0...7))
                try Data(bad).write(to: URL(fileURLWithPath: path))
                let failure = storageFailure {
                    let db = try StateDatabase.open(path: path, genesis: c.genesis)
                    _ = try db.stateDigest()
                    _ = try db.currentNotices()
                    _ = try db.serviceRequests()
                    _ = try db.providerSupervision()
                    try db.close()
                }
                outcomes[failure.map { "\($0)".components(separatedBy: " ").first ?? "?" } ?? "opened", default: 0] += 1
            }
            #expect(outcomes.values.reduce(0, +) == 150)
            print("random single-bit flips in a state database: \(outcomes.sorted { $0.key < $1.key })")
        }
    }

    @Test func aDatabaseOfAnotherGenesisIsRefused() throws {
        try withScratch("other-genesis") { dir in
            let path = dir + "/state.sqlite"
            _ = try StateDatabase.open(path: path, genesis: c.genesis)
            let failure = storageFailure { _ = try StateDatabase.open(path: path, genesis: StateTestCommunity(seed: 9).genesis) }
            guard case let .inconsistent(_, reason) = failure else { Issue.record("\(String(describing: failure))"); return }
            #expect(reason.contains("built for genesis"))
        }
    }

    @Test func aMissingDirectoryIsAnIOError() {
        let failure = storageFailure { _ = try StateDatabase.open(path: "/nonexistent-civitas-dir/state.sqlite", genesis: c.genesis) }
        guard case .io = failure else { Issue.record("\(String(describing: failure))"); return }
    }
}
