import CivitasCodec
import CivitasLedger
import CivitasRaft
import CivitasStorage
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The storage benchmark (issue #4), on the real disk, in one run:
///
/// 1. the disk's raw fsync rate: write 250 bytes at the end of a file, fsync, repeat;
/// 2. WAL appends/s of 250-byte records through `GroupCommitLog` with 1, 16 and
///    256 concurrent proposers (async tasks), each append returning only once fsynced;
/// 3. block store write and read MB/s with realistic sealed blocks (100 signed
///    transactions each; generating them is not timed);
/// 4. opening a block store of 100,000 blocks, with its index and without it
///    (rebuilt), from a cold and a warm page cache;
/// 5. opening a Raft WAL of 1,000,000 entries (`RaftWAL`), cold and warm.
///
/// "Cold" drops the page cache of the store's files with posix_fadvise (the
/// files were fsynced, so their pages are clean); nothing else on the machine
/// is touched. The last line is a summary:
/// `storage: group commit <k>x raw fsync, recover 100k blocks <s> s`.
///
/// Usage: StorageBenchmark [--dir DIR] [--quick] [--keep]
@main
struct StorageBenchmark {
    struct Options {
        var directory = FileManager.default.currentDirectoryPath + "/.build/storage-bench"
        var quick = false
        var keep = false
        /// `GroupCommitOptions.gatherDelay` in microseconds; nil for the default.
        var gatherMicroseconds: Int?
        /// Run one section only (for profiling): fsync, blocks, recovery or raft.
        var only: String?
        /// The proposer counts of the group commit runs.
        var proposers = [1, 16, 256]
        /// `GroupCommitOptions.batchesInFlight` of each group commit run; with
        /// more than one value, every round runs each (paired with its own raw
        /// fsync run), so settings are compared under the same disk load.
        var inFlight = [GroupCommitOptions().batchesInFlight]
        /// Rounds of the fsync/group commit section (default 1 quick, 5 full).
        var rounds: Int?
        var seconds: Double { quick ? 1 : 2 }
        var throughputBlocks: Int { quick ? 200 : 1_000 }
        var recoveryBlocks: Int { quick ? 10_000 : 100_000 }
        var raftEntries: Int { quick ? 100_000 : 1_000_000 }

        init(_ args: [String]) {
            var rest = args[...]
            while let arg = rest.popFirst() {
                switch arg {
                case "--dir": directory = rest.popFirst() ?? directory
                case "--quick": quick = true
                case "--keep": keep = true
                case "--gather-us": gatherMicroseconds = rest.popFirst().flatMap(Int.init)
                case "--only": only = rest.popFirst()
                case "--proposers": proposers = (rest.popFirst() ?? "").split(separator: ",").compactMap { Int($0) }
                case "--in-flight": inFlight = (rest.popFirst() ?? "").split(separator: ",").compactMap { Int($0) }
                case "--rounds": rounds = rest.popFirst().flatMap(Int.init)
                default:
                    FileHandle.standardError.write(Data("usage: StorageBenchmark [--dir DIR] [--quick] [--keep] [--gather-us N] [--only fsync|blocks|recovery|raft] [--proposers 1,16,256] [--in-flight 1,2] [--rounds N]\n".utf8))
                    exit(2)
                }
            }
        }
    }

    static func main() async throws {
        let options = Options(Array(CommandLine.arguments.dropFirst()))
        let base = options.directory
        try? FileManager.default.removeItem(atPath: base)
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        for line in Machine.describe(directory: base) { print(line) }
        print("mode: \(options.quick ? "quick (smaller sizes, 1 s windows)" : "full")")
        print()

        // 1 and 2. Raw fsync, then group commit.
        var ratio = 0.0
        if options.only == nil || options.only == "fsync" { ratio = try await fsyncAndGroupCommit(base: base, options: options) }

        // 3. Block store throughput.
        if options.only == nil || options.only == "blocks" { try blockStoreThroughput(base: base, count: options.throughputBlocks) }

        // 4. Opening 100k blocks.
        var recover = 0.0
        if options.only == nil || options.only == "recovery" { recover = try blockStoreRecovery(base: base, count: options.recoveryBlocks) }

        // 5. Raft WAL recovery.
        if options.only == nil || options.only == "raft" { try raftRecovery(base: base, count: options.raftEntries) }

        if !options.keep { try? FileManager.default.removeItem(atPath: base) }
        print("load average at end: \(Machine.loadAverage())")
        if options.only == nil {
            print("storage: group commit \(fmt(ratio, 1))x raw fsync, recover \(options.recoveryBlocks / 1000)k blocks \(fmt(recover, 2)) s")
        }
    }

    // MARK: 1 and 2. Raw fsync and group commit

    /// Returns appends/s at 256 proposers over the raw fsync rate.
    static func fsyncAndGroupCommit(base: String, options: Options) async throws -> Double {
        // The disk is shared and its fsync latency jumps with what else uses it (here
        // between about 0.25 and 4 ms from one second to the next), so every group
        // commit run is paired with a raw fsync run just before it, and ratios are
        // taken per pair; medians over the rounds are reported.
        let rounds = options.rounds ?? (options.quick ? 1 : 5)
        let proposerCounts = options.proposers
        let settings = options.inFlight
        var rawRates: [Double] = []
        struct Key: Hashable { var inFlight: Int, proposers: Int }
        var results: [Key: [(raw: Double, run: GroupCommitResult)]] = [:]
        let gatherDelay = options.gatherMicroseconds.map { Duration.microseconds($0) } ?? GroupCommitOptions().gatherDelay
        let loadBefore = Machine.loadAverage()
        for round in 0..<rounds {
            for proposers in proposerCounts {
                for inFlight in settings {
                    let raw = rawFsync(path: base + "/raw-fsync", seconds: options.seconds / 2).rate
                    rawRates.append(raw)
                    let r = try await groupCommit(directory: base + "/wal-\(proposers)-\(inFlight)-\(round)", proposers: proposers,
                                                  seconds: options.seconds, gatherDelay: gatherDelay, inFlight: inFlight)
                    results[Key(inFlight: inFlight, proposers: proposers), default: []].append((raw, r))
                }
            }
        }
        let raw = median(rawRates)
        print("## Raw fsync (pwrite 250 bytes at the end of the file, then fsync; one thread)")
        print("median \(fmt(raw)) fsyncs/s (\(fmt(1e6 / raw)) µs each); slowest \(fmt(rawRates.min() ?? 0)), fastest \(fmt(rawRates.max() ?? 0)) "
              + "over \(rawRates.count) runs of \(fmt(options.seconds / 2, 1)) s, one before each group commit run")
        print("load average: \(loadBefore) before, \(Machine.loadAverage()) after")
        print()

        print("## WAL group commit (GroupCommitLog, 250-byte records, each append returns once fsynced; gather delay \(gatherDelay))")
        print("Each run (\(fmt(options.seconds)) s) follows its own raw fsync run; medians of \(rounds) rounds; per round: appends/s ÷ the raw fsyncs/s just before.")
        print("| batches in flight | proposers | appends/s | × raw fsync | mean batch (records/fsync) | fsyncs/s | per round |")
        print("|---:|---:|---:|---:|---:|---:|---|")
        var ratio = 0.0
        let reported = settings.contains(GroupCommitOptions().batchesInFlight) ? GroupCommitOptions().batchesInFlight : settings.last!
        for inFlight in settings {
            for proposers in proposerCounts {
                let r = results[Key(inFlight: inFlight, proposers: proposers)]!
                let rate = median(r.map(\.run.rate))
                let ratios = r.map { $0.run.rate / $0.raw }
                let perRound = r.map { "\(fmt($0.run.rate)) ÷ \(fmt($0.raw))" }.joined(separator: ", ")
                print("| \(inFlight) | \(proposers) | \(fmt(rate)) | \(fmt(median(ratios), 1)) | \(fmt(median(r.map(\.run.meanBatch)), 1)) | \(fmt(median(r.map(\.run.batchRate)))) | \(perRound) |")
                if proposers == proposerCounts.max(), inFlight == reported { ratio = median(ratios) }
            }
        }
        print("target: at 256 proposers at least 100x the raw fsync rate: \(fmt(ratio, 1))x with \(reported) batches in flight (median of the per-round ratios), \(ratio >= 100 ? "met" : "NOT met")")
        print()

        // What the CPU allows: the same, where fsync costs nothing (tmpfs).
        let shm = "/dev/shm"
        if Machine.fileSystem(of: shm).hasPrefix("tmpfs"), let most = proposerCounts.max() {
            let dir = shm + "/civitas-storage-bench-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var rates: [Double] = []
            var batches: [Double] = []
            for round in 0..<rounds {
                let r = try await groupCommit(directory: dir + "/\(round)", proposers: most, seconds: options.seconds, gatherDelay: gatherDelay,
                                              inFlight: reported)
                rates.append(r.rate)
                batches.append(r.meanBatch)
            }
            print("CPU ceiling (the same with \(most) proposers on tmpfs, where fsync is free): \(fmt(median(rates))) appends/s, "
                  + "mean batch \(fmt(median(batches), 1)) (rounds: \(rates.map { fmt($0) }.joined(separator: ", ")))")
            print()
        }
        return ratio
    }

    // MARK: 1. Raw fsync

    static func rawFsync(path: String, seconds: Double) -> (ops: Int, seconds: Double, rate: Double) {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "open \(path): errno \(errno)")
        defer { close(fd) }
        let record = [UInt8](repeating: 0x5A, count: 250)
        var offset = 0
        var ops = 0
        // Warm up: the first fsyncs of a new file also commit its creation.
        for _ in 0..<20 {
            _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, 250, off_t(offset)) }
            fsync(fd)
            offset += 250
        }
        let start = now()
        var elapsed = 0.0
        while elapsed < seconds {
            let n = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, 250, off_t(offset)) }
            precondition(n == 250 && fsync(fd) == 0, "write/fsync failed: errno \(errno)")
            offset += 250
            ops += 1
            elapsed = now() - start
        }
        return (ops, elapsed, Double(ops) / elapsed)
    }

    // MARK: 2. Group commit

    final class StopFlag: Sendable {
        private let flag = Atomic<Bool>(false)
        var isSet: Bool { flag.load(ordering: .relaxed) }
        func set() { flag.store(true, ordering: .relaxed) }
    }

    struct GroupCommitResult {
        var rate: Double
        var meanBatch: Double
        var batchRate: Double
        var largestBatch: Int
    }

    static func groupCommit(directory: String, proposers: Int, seconds: Double, gatherDelay: Duration, inFlight: Int) async throws -> GroupCommitResult {
        let log = try GroupCommitLog(directory: directory, fileSystem: POSIXFileSystem(),
                                     options: GroupCommitOptions(gatherDelay: gatherDelay, batchesInFlight: inFlight))
        let payload = [UInt8](repeating: 0xA5, count: 250)
        let stop = StopFlag()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<proposers {
                group.addTask {
                    while !stop.isSet { _ = try await log.append(type: 1, payload: payload) }
                }
            }
            // Warm up, then time a window between two snapshots of the log's counters.
            try await Task.sleep(for: .milliseconds(500))
            let s0 = log.statistics, t0 = now()
            try await Task.sleep(for: .seconds(seconds))
            let s1 = log.statistics, t1 = now()
            stop.set()
            try await group.waitForAll()
            log.close()
            let records = Double(s1.records - s0.records), batches = Double(s1.batches - s0.batches)
            return GroupCommitResult(rate: records / (t1 - t0), meanBatch: records / batches, batchRate: batches / (t1 - t0),
                                     largestBatch: s1.largestBatch)
        }
    }

    // MARK: 3. Block store throughput

    static func blockStoreThroughput(base: String, count: Int) throws {
        var chain = SampleChain()
        let g0 = now()
        let blocks = (0..<count).map { _ in chain.next(transactions: 100) }
        let generation = now() - g0
        let stored = blocks.reduce(0) { $0 + $1.encoded().count }
        let canonical = blocks.reduce(0) { $0 + $1.block.encoded().count }
        let mb = Double(stored) / 1e6
        print("## Block store (\(count) sealed blocks of 100 signed transactions; generated in \(fmt(generation, 1)) s, not timed)")
        print("stored bytes: \(stored) (\(fmt(Double(stored) / Double(count))) per block, zstd bodies; \(fmt(Double(canonical) / Double(count))) canonical)")
        print("| operation | MB/s (stored bytes) | blocks/s | seconds |")
        print("|---|---:|---:|---:|")

        // Write, one sync per block: each block durable before the next (as a node commits them).
        let perBlockDir = base + "/blocks-write"
        do {
            let store = try BlockStore(directory: perBlockDir, fileSystem: POSIXFileSystem())
            let t0 = now()
            for b in blocks {
                try store.append(b)
                try store.sync()
            }
            let t = now() - t0
            try store.close()
            print("| write, append + sync per block | \(fmt(mb / t, 1)) | \(fmt(Double(count) / t)) | \(fmt(t, 2)) |")
        }
        // Write, one sync per 32 blocks (catching up from a peer).
        do {
            let store = try BlockStore(directory: base + "/blocks-write-batched", fileSystem: POSIXFileSystem())
            let t0 = now()
            for (i, b) in blocks.enumerated() {
                try store.append(b)
                if i % 32 == 31 { try store.sync() }
            }
            try store.sync()
            let t = now() - t0
            try store.close()
            print("| write, append + sync per 32 blocks | \(fmt(mb / t, 1)) | \(fmt(Double(count) / t)) | \(fmt(t, 2)) |")
        }

        // Reads of the first store, from a fresh open.
        let store = try BlockStore(directory: perBlockDir, fileSystem: POSIXFileSystem())
        func readAll(decoded: Bool) throws -> Double {
            let t0 = now()
            var h: UInt64 = 1
            var n = 0
            while h <= store.height {
                let got = decoded ? try store.blocks(from: h, through: store.height).count
                                  : try store.encodedBlocks(from: h, through: store.height).count
                h += UInt64(got)
                n += got
            }
            precondition(n == count)
            return now() - t0
        }
        dropCache(perBlockDir)
        let cold = try readAll(decoded: true)
        print("| read + decode, in order, cold cache | \(fmt(mb / cold, 1)) | \(fmt(Double(count) / cold)) | \(fmt(cold, 2)) |")
        let warm = try readAll(decoded: true)
        print("| read + decode, in order, warm cache | \(fmt(mb / warm, 1)) | \(fmt(Double(count) / warm)) | \(fmt(warm, 2)) |")
        let raw = try readAll(decoded: false)
        print("| read stored bytes (checksummed, not decoded; what a peer is sent), warm | \(fmt(mb / raw, 1)) | \(fmt(Double(count) / raw)) | \(fmt(raw, 2)) |")
        var rng = SplitMix64(seed: 3)
        let lookups = 2_000
        let t0 = now()
        for _ in 0..<lookups {
            let h = UInt64(rng.next() % UInt64(count)) + 1
            guard try store.block(at: h)?.height == h else { fatalError("block \(h) unreadable") }
        }
        let random = now() - t0
        print("| random block(at:) + decode, warm | \(fmt(Double(stored) / Double(count) * Double(lookups) / 1e6 / random, 1)) | \(fmt(Double(lookups) / random)) | \(fmt(random, 2)) |")
        print()
    }

    // MARK: 4. Opening 100k blocks

    /// Returns the cold open time with the index (the summary's figure).
    static func blockStoreRecovery(base: String, count: Int) throws -> Double {
        let dir = base + "/blocks-\(count)"
        var chain = SampleChain()
        let pool = chain.transactionPool(512)
        let b0 = now()
        do {
            let store = try BlockStore(directory: dir, fileSystem: POSIXFileSystem())
            for h in 1...count {
                // Six transactions per block from a pool of really signed ones; real certificate votes.
                let txs = (0..<6).map { pool[(h &* 7 &+ $0 &* 61) % pool.count] }
                try store.append(chain.next(with: txs))
                if h % 1_000 == 0 { try store.sync() }
            }
            try store.close()
        }
        let build = now() - b0
        let bytes = diskBytes(dir)
        print("## Opening a block store of \(count) blocks")
        print("store: \(bytes) bytes on disk (\(fmt(Double(bytes) / Double(count))) per block: 6 transactions and a 3-vote certificate), "
              + "segments of 64 MiB, index every 8,192 blocks; built in \(fmt(build, 1)) s")
        print("| open | seconds | blocks/s | what opening did |")
        print("|---|---:|---:|---|")
        func openTimed(_ label: String, cold: Bool, deleteIndex: Bool) throws -> Double {
            if deleteIndex { try FileManager.default.removeItem(atPath: dir + "/index") }
            if cold { dropCache(dir) }
            let t0 = now()
            let store = try BlockStore(directory: dir, fileSystem: POSIXFileSystem())
            let t = now() - t0
            precondition(store.height == UInt64(count), "opened \(store.height) blocks, expected \(count)")
            print("| \(label) | \(fmt(t, 3)) | \(fmt(Double(count) / t)) | \(store.recovery) |")
            return t
        }
        let withIndexCold = try openTimed("with index, cold cache", cold: true, deleteIndex: false)
        _ = try openTimed("with index, warm cache", cold: false, deleteIndex: false)
        let rebuildCold = try openTimed("index deleted (rebuilt), cold cache", cold: true, deleteIndex: true)
        _ = try openTimed("index deleted (rebuilt), warm cache", cold: false, deleteIndex: true)
        print("target: open \(count) blocks in at most 2 s: with index \(fmt(withIndexCold, 2)) s cold (\(withIndexCold <= 2 ? "met" : "NOT met")), "
              + "rebuilding the index \(fmt(rebuildCold, 2)) s cold (\(rebuildCold <= 2 ? "met" : "NOT met"))")
        print()
        return withIndexCold
    }

    // MARK: 5. Raft WAL recovery

    static func raftRecovery(base: String, count: Int) throws {
        let dir = base + "/raft-wal"
        let data = [UInt8](repeating: 0x42, count: 250)
        let b0 = now()
        do {
            let wal = try RaftWAL(directory: dir, fileSystem: POSIXFileSystem())
            let batch = 1_000
            var index: UInt64 = 0
            while index < UInt64(count) {
                let entries = (0..<min(batch, count - Int(index))).map { i in Entry(term: 1, index: index + UInt64(i) + 1, payload: .data(data)) }
                index += UInt64(entries.count)
                try wal.append(entries: entries, hardState: HardState(term: 1, vote: 1, commit: index))
                try wal.sync()
            }
            wal.close()
        }
        let build = now() - b0
        let bytes = diskBytes(dir)
        print("## Opening a Raft WAL of \(count) entries (RaftWAL: replay every record, rebuild the entry list)")
        print("log: \(bytes) bytes on disk in \(fmt(Double(bytes) / Double(64 << 20), 1)) segments' worth (64 MiB segments), 250-byte entries written 1,000 per fsync; built in \(fmt(build, 1)) s")
        print("| open | seconds | entries/s | MB/s |")
        print("|---|---:|---:|---:|")
        for cold in [true, false] {
            if cold { dropCache(dir) }
            let t0 = now()
            let wal = try RaftWAL(directory: dir, fileSystem: POSIXFileSystem())
            let t = now() - t0
            precondition(wal.recovered.entries.count == count && wal.recovered.lastIndex == UInt64(count))
            wal.close()
            print("| \(cold ? "cold cache" : "warm cache") | \(fmt(t, 3)) | \(fmt(Double(count) / t)) | \(fmt(Double(bytes) / 1e6 / t)) |")
        }
        print()
    }
}
