import CivitasCodec
import CivitasLedger
import CivitasStorage
import CivitasTestSupport
import Dispatch
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real processes, really killed: a child (`civitas-storage-stress`) writes
/// the WAL through `GroupCommitLog` from several proposers, appends and syncs
/// sealed blocks and applies them to the state database, reporting every
/// acknowledgement on a pipe; the test kills it with SIGKILL at a random
/// moment, opens everything itself and checks that
/// - nothing the child reported acknowledged is missing,
/// - nothing damaged is accepted: every WAL record is rebuilt from its content
///   and compared byte for byte, every acknowledged block has the reported
///   header hash and links to the block before it, and the whole chain passes
///   `ChainVerifier` (signatures and certificates) at the end,
/// - the state database's applied height matches its state exactly (its
///   digest equals a reference database that applied the same blocks once),
/// - and the stores keep working: the next child recovers and goes on.
@Suite(.serialized) struct CrashRecoveryTests {
    static let proposers = 6

    /// The kill count: 200, or `CIVITAS_CRASH_ITERATIONS`.
    static var iterations: Int {
        ProcessInfo.processInfo.environment["CIVITAS_CRASH_ITERATIONS"].flatMap(Int.init) ?? 200
    }

    @Test func sigkillUnderLoadLosesNothingAcknowledgedAndAcceptsNoDamage() throws {
        let binary = try StressBinary.locate()
        let dir = try ScratchDirectory("crash")
        let started = ContinuousClock.now
        var rng = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
        let seedNote = "random seed state \(rng.state)"
        var checker = try CrashChecker(directory: dir.path)
        var stats = CrashStatistics()

        for iteration in 0..<Self.iterations {
            let t0 = ContinuousClock.now
            // Every other child writes the WAL with two batches in flight (GroupCommitOptions.batchesInFlight).
            let child = try StressChild(binary: binary, arguments: [dir.path, "--proposers", "\(Self.proposers)", "--wal-dir", checker.walName,
                                                                    "--in-flight", iteration % 2 == 0 ? "1" : "2"])
            // Mostly kill while it writes; sometimes while it is still starting and recovering.
            let early = rng.chance(15)
            if early {
                stats.earlyKills += 1
            } else {
                guard child.waitUntilReady(seconds: 60) else {
                    child.kill()
                    let outcome = child.finish()
                    Issue.record("iteration \(iteration): the child did not start within 60 s; stderr: \(outcome.stderr)")
                    return
                }
            }
            let t1 = ContinuousClock.now
            usleep(UInt32(rng.int(5...150)) * 1000)
            child.kill()
            let outcome = child.finish()
            let t2 = ContinuousClock.now
            stats.startup += t1 - t0
            stats.running += t2 - t1
            guard outcome.killedBySIGKILL else {
                Issue.record("iteration \(iteration): the child ended on its own (\(outcome.reason) \(outcome.status)) before it was killed; stderr: \(outcome.stderr)")
                return
            }
            do {
                try checker.check(outcome.lines, iteration: iteration, stats: &stats)
                stats.checking += ContinuousClock.now - t2
            } catch {
                let kept = dir.path + "-failed"
                try? FileManager.default.copyItem(atPath: dir.path, toPath: kept)
                Issue.record("iteration \(iteration) (\(seedNote)): \(error)\nthe data directory is kept in \(kept); the child's output:\n\(outcome.lines.suffix(20).joined(separator: "\n"))")
                return
            }
        }

        // After all that, a child that is left alone runs and closes cleanly.
        let last = try StressChild(binary: binary, arguments: [dir.path, "--proposers", "\(Self.proposers)", "--wal-dir", checker.walName, "--seconds", "1"])
        let outcome = last.finish()
        #expect(outcome.reason == .exit && outcome.status == 0, "stderr: \(outcome.stderr)")
        #expect(outcome.lines.contains("done"))
        try checker.check(outcome.lines, iteration: Self.iterations, stats: &stats)

        // The whole chain: checksums, links, Merkle roots, every certificate and every signature.
        let verifyStart = ContinuousClock.now
        let report = ChainVerifier(directory: dir.sub("blocks"), fileSystem: POSIXFileSystem(), genesis: checker.genesis,
                                   options: CrashChecker.storeOptions(checker.genesis.hash)).run()
        #expect(report.isClean, "\(report)")
        #expect(report.verifiedBlocks >= checker.maxBlockHeight)
        stats.verifying = ContinuousClock.now - verifyStart

        let elapsed = ContinuousClock.now - started
        print("crash recovery: \(Self.iterations) SIGKILLs in \(elapsed); \(stats)")
        #expect(stats.walAcks > 0 && stats.blockAcks > 0 && stats.appliedAcks > 0, "\(stats)")
    }
}

/// Found by the crash test: a kill right after a full segment was sealed and
/// its successor created, before the successor got its header, left a store
/// that sealed the same segment a second time on the next append — and then
/// refused to open ("an item follows the seal").
@Suite struct SealedSegmentRegressionTests {
    @Test func aSegmentSealedBeforeACrashIsNotSealedAgain() throws {
        let dir = try ScratchDirectory("double-seal")
        let options = BlockStoreOptions(segmentSize: 4 << 10)
        var chain = FillerChain()
        var blocks: [SealedBlock] = []
        do {
            let store = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
            // Fill segments until an append seals the first and starts a second; stop before syncing it.
            while try FileManager.default.contentsOfDirectory(atPath: dir.path).filter({ $0.hasSuffix(".seg") }).count < 2 {
                let block = chain.next()
                try store.append(block)
                blocks.append(block)
                if try FileManager.default.contentsOfDirectory(atPath: dir.path).filter({ $0.hasSuffix(".seg") }).count < 2 { try store.sync() }
            }
            // The crash: the process dies here (nothing more is written).
        }
        let unsynced = blocks.removeLast()
        let second = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".seg") }.sorted().last)
        // As if the kill came between creating the file and writing its header.
        try Data().write(to: URL(fileURLWithPath: joinPath(dir.path, second)))

        let reopened = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
        #expect(reopened.height == UInt64(blocks.count))
        #expect(reopened.recovery.removedSegment != nil)
        try reopened.append(unsynced)
        try reopened.sync()
        let again = try BlockStore(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
        #expect(again.height == UInt64(blocks.count + 1))
        #expect(try again.block(at: again.height)?.encoded() == unsynced.encoded())
    }
}

struct CrashStatistics: CustomStringConvertible {
    var earlyKills = 0
    var walAcks = 0
    var blockAcks = 0
    var appliedAcks = 0
    var walTornTails = 0
    var walRemovedSegments = 0
    var blockRepairs = 0
    var walGenerations = 1
    var digestChecks = 0
    var maxWalRecords = 0
    var startup = Duration.zero
    var running = Duration.zero
    var checking = Duration.zero
    var verifying = Duration.zero

    var description: String {
        "\(walAcks) WAL records, \(blockAcks) blocks and \(appliedAcks) applies acknowledged; \(earlyKills) kills during start-up; "
            + "recovery cut \(walTornTails) torn WAL tails, removed \(walRemovedSegments) unfinished WAL segments, "
            + "repaired the block store \(blockRepairs) times; "
            + "\(digestChecks) full state digest comparisons; \(walGenerations) WAL directories (up to \(maxWalRecords) records each); "
            + "time starting children \(startup), running them \(running), checking after each kill \(checking), verifying the whole chain \(verifying)"
    }
}

/// What the test knows the children acknowledged, and the checks after each kill.
struct CrashChecker {
    let directory: String
    let genesis: GenesisDocument
    /// The WAL directory in use; a fresh one once a log passes `walLimit` bytes, so replay stays quick.
    private(set) var walName = "wal-0"
    private var walGeneration = 0
    static let walLimit = 256 << 10
    /// index → (proposer, sequence), every acknowledgement ever seen for the current WAL.
    private var walAcked: [UInt64: (UInt32, UInt64)] = [:]
    /// Records of the current WAL already rebuilt and compared.
    private var walVerified = 0
    /// height → header hash, every block acknowledged.
    private var blockAcked: [UInt64: Hash] = [:]
    private(set) var maxBlockHeight: UInt64 = 0
    private var maxApplied: UInt64 = 0
    /// Blocks checked in full (decoded, hash and link) so far.
    private var checkedThrough: UInt64 = 0
    private let reference: StateDatabase
    private var sampler = SplitMix64(seed: 42)

    init(directory: String) throws {
        self.directory = directory
        genesis = StressGenesis.make()
        // The reference applies each block once, in order, in this process.
        reference = try StateDatabase.open(path: joinPath(directory, "reference.sqlite"), genesis: genesis)
    }

    static func storeOptions(_ genesis: Hash) -> BlockStoreOptions {
        BlockStoreOptions(segmentSize: 64 << 10, indexInterval: 16, genesisHash: genesis)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    mutating func check(_ lines: [String], iteration: Int, stats: inout CrashStatistics) throws {
        // 1. What the child said was durable.
        var newBlocks: [UInt64] = []
        for line in lines {
            let f = line.split(separator: " ")
            switch f.first {
            case "wal":
                guard f.count == 4, let i = UInt64(f[1]), let p = UInt32(f[2]), let s = UInt64(f[3]) else { throw Failure("bad line '\(line)'") }
                walAcked[i] = (p, s)
                stats.walAcks += 1
            case "block":
                guard f.count == 3, let h = UInt64(f[1]), let hash = Hash(hex: String(f[2])) else { throw Failure("bad line '\(line)'") }
                if let earlier = blockAcked[h], earlier != hash { throw Failure("block \(h) was acknowledged as \(earlier.hex) and later as \(hash.hex)") }
                blockAcked[h] = hash
                newBlocks.append(h)
                maxBlockHeight = max(maxBlockHeight, h)
                stats.blockAcks += 1
            case "applied":
                guard f.count == 2, let h = UInt64(f[1]) else { throw Failure("bad line '\(line)'") }
                maxApplied = max(maxApplied, h)
                stats.appliedAcks += 1
            case "ready", "done":
                break
            default:
                throw Failure("unexpected line '\(line)'")
            }
        }

        // The child writes the genesis it works from; it must be the one this test expects.
        let genesisPath = joinPath(directory, "genesis.civ")
        if FileManager.default.fileExists(atPath: genesisPath) {
            guard let written = FileManager.default.contents(atPath: genesisPath), Array(written) == genesis.encoded() else {
                throw Failure("\(genesisPath) is not the stress community's genesis")
            }
        }

        // 2. The WAL: opens (a torn tail is cut, anything else throws), every record rebuilt from its content.
        let walPath = joinPath(directory, walName)
        if FileManager.default.fileExists(atPath: walPath) {
            var records: [WALRecord] = []
            let wal = try WriteAheadLog(directory: walPath, fileSystem: POSIXFileSystem()) { records.append($0) }
            if wal.report.truncatedTail != nil { stats.walTornTails += 1 }
            if wal.report.removedUnfinishedSegment != nil { stats.walRemovedSegments += 1 }
            let bytes = wal.report.bytes
            wal.close()
            // Records never shrink back: what one recovery kept, the next keeps too.
            guard records.count >= walVerified else {
                throw Failure("\(walPath): \(walVerified) records survived an earlier recovery, now there are \(records.count)")
            }
            // Every proposer's sequences run 1, 2, 3, … with no gap or repeat; every record new
            // since the last kill, and a sample of the older ones, is rebuilt byte for byte.
            var next: [UInt32: UInt64] = [:]
            for (i, record) in records.enumerated() {
                guard let (p, s) = CrashRecord.header(record), s == next[p, default: 1] else {
                    throw Failure("\(walPath): record \(i) does not continue its proposer's sequence")
                }
                next[p] = s + 1
                if i >= walVerified || sampler.chance(1), CrashRecord.make(proposer: p, sequence: s) != record.payload {
                    throw Failure("\(walPath): record \(i) (proposer \(p), sequence \(s)) is not the bytes that were written")
                }
            }
            walVerified = records.count
            for (index, (p, s)) in walAcked {
                guard index < UInt64(records.count) else {
                    throw Failure("\(walPath): acknowledged record \(index) (proposer \(p), sequence \(s)) is lost; the log holds \(records.count)")
                }
                guard let found = CrashRecord.header(records[Int(index)]), found == (p, s) else {
                    throw Failure("\(walPath): record \(index) should be proposer \(p) sequence \(s)")
                }
            }
            stats.maxWalRecords = max(stats.maxWalRecords, records.count)
            if bytes > Self.walLimit {
                walGeneration += 1
                walName = "wal-\(walGeneration)"
                walAcked = [:]
                walVerified = 0
                stats.walGenerations += 1
            }
        } else if !walAcked.isEmpty {
            throw Failure("\(walPath) is gone")
        }

        // 3. The block store: opens, holds every acknowledged block with its hash, linked.
        let blocksPath = joinPath(directory, "blocks")
        guard FileManager.default.fileExists(atPath: blocksPath) else {
            if blockAcked.isEmpty && maxApplied == 0 { return }
            throw Failure("\(blocksPath) is gone")
        }
        let store = try BlockStore(directory: blocksPath, fileSystem: POSIXFileSystem(), options: Self.storeOptions(genesis.hash))
        if store.recovery.truncated != nil || store.recovery.removedSegment != nil { stats.blockRepairs += 1 }
        guard store.height >= maxBlockHeight else {
            throw Failure("the block store holds \(store.height) blocks, but block \(maxBlockHeight) was acknowledged")
        }
        var toCheck = Set(newBlocks)
        // New acknowledgements, everything not checked before, and a sample of the rest.
        if store.height > checkedThrough {
            for h in (checkedThrough + 1)...store.height { toCheck.insert(h) }
        }
        if store.height > 0 {
            for _ in 0..<10 { toCheck.insert(UInt64(sampler.int(1...Int(store.height)))) }
        }
        for h in toCheck.sorted() {
            guard let block = try store.block(at: h) else { throw Failure("block \(h) is missing below the head \(store.height)") }
            let previous = h == 1 ? genesis.hash : store.hash(at: h - 1)
            guard block.height == h, block.header.previous == previous, block.header.hash == store.hash(at: h) else {
                throw Failure("block \(h) does not link to block \(h - 1)")
            }
            if let acked = blockAcked[h], acked != block.header.hash {
                throw Failure("block \(h) has hash \(block.header.hash.hex), but \(acked.hex) was acknowledged")
            }
        }
        checkedThrough = store.height

        // 4. The state database: applied height within what the store holds, and the state is exactly those blocks, once.
        let statePath = joinPath(directory, "state.sqlite")
        guard FileManager.default.fileExists(atPath: statePath) else {
            if maxApplied == 0 { return }
            throw Failure("\(statePath) is gone")
        }
        let state = try StateDatabase.open(path: statePath, genesis: genesis)
        let applied = try state.appliedHeight
        guard applied >= maxApplied else { throw Failure("applied height \(applied), but block \(maxApplied) was acknowledged applied") }
        guard applied <= store.height else { throw Failure("applied height \(applied) is above the block store's \(store.height)") }
        // Exactly once, cheaply after every kill: each member's latest nonce is the count of its
        // transactions in blocks 1…applied (a block half applied, applied twice, or applied without
        // its height would move it), block `applied` is recorded and the next one is not.
        for (m, member) in StressGenesis.members.enumerated() {
            let total = 2 * applied   // two transactions per block, members taking turns
            let expected = total > UInt64(m) ? (total - UInt64(m) + 3) / 4 : 0
            let nonce = try state.latestNonce(of: member)
            guard nonce == expected else {
                throw Failure("at applied height \(applied), member \(m)'s latest nonce is \(nonce), not \(expected)")
            }
        }
        let last = applied == 0 ? 2 : try state.transactions(height: applied).count
        guard last == 2, try state.transactions(height: applied + 1).isEmpty else {
            throw Failure("the transactions recorded do not end at the applied height \(applied)")
        }
        // And in full now and then: the digest of everything equals a reference that applied each block once.
        if iteration % 20 == 19 || iteration == CrashRecoveryTests.iterations {
            try reference.catchUp { (h) throws(StorageError) in h <= applied ? try store.block(at: h) : nil }
            guard try reference.appliedHeight == applied else { throw Failure("the reference could not reach height \(applied)") }
            let (got, want) = (try state.stateDigest(), try reference.stateDigest())
            guard got == want else {
                throw Failure("the state at applied height \(applied) has digest \(got.hex), but applying blocks 1…\(applied) once gives \(want.hex)")
            }
            stats.digestChecks += 1
        }
        guard try state.head().hash == store.hash(at: applied) ?? genesis.hash else {
            throw Failure("the applied head hash is not block \(applied)'s")
        }
    }
}

/// The child's WAL records, rebuilt independently of the child's code: see
/// `Sources/civitas-storage-stress/StressRecord.swift` for the layout.
enum CrashRecord {
    static func make(proposer: UInt32, sequence: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: UInt64(proposer) << 48 ^ sequence ^ 0xC1F1_7A5E_5EED_0001)
        let fillerLength = Int(rng.next() % 400)
        var bytes = Array("CSTR".utf8)
        withUnsafeBytes(of: proposer.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: sequence.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt16(fillerLength).littleEndian) { bytes += $0 }
        var word: UInt64 = 0
        for i in 0..<fillerLength {
            if i % 8 == 0 { word = rng.next() }
            bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i % 8))))
        }
        bytes += Hashing.sha256(bytes).bytes
        return bytes
    }

    /// The proposer and sequence a record names (from its fixed fields; `make` rebuilds the rest).
    static func header(_ record: WALRecord) -> (UInt32, UInt64)? {
        let b = record.payload
        guard record.type == 0x5A, b.count >= 50, Array(b[0..<4]) == Array("CSTR".utf8) else { return nil }
        let p = b[4..<8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let s = b[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (p, s)
    }
}

/// The stress community's genesis, as the child writes it to `genesis.civ`.
enum StressGenesis {
    static func keys() -> (validators: [SigningKey], members: [SigningKey]) {
        var rng = SplitMix64(seed: 0x5354_5245_5353_0001)
        func key() -> SigningKey { SigningKey(seed: Bytes32((0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) })!) }
        let validators = (0..<3).map { _ in key() }
        return (validators, (0..<4).map { _ in key() })
    }

    /// The members' public keys, in the order they take turns signing.
    static let members = keys().members.map(\.publicKey)

    static func make() -> GenesisDocument {
        let (validators, members) = keys()
        return GenesisDocument(
            community: CommunityID("storage-stress")!, time: 1_767_225_600_000,
            validators: validators.enumerated().map { i, k in ValidatorEntry(name: "validator-\(i)", subject: members[i].publicKey, nodeKey: k.publicKey) },
            registrars: [members[0].publicKey],
            subjects: members.enumerated().map { i, k in
                GenesisSubject(key: k.publicKey, displayName: "Resident \(i)", unit: "Bldg \(i + 1)-101",
                           // Committee members: a general notice needs an organisational role (docs/governance.md).
                           roles: RoleSet([.resident, .residentsCommittee]))
            },
            parameters: GenesisParameters())
    }
}

/// Finds the `civitas-storage-stress` binary of this build.
enum StressBinary {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// `CIVITAS_STRESS_BINARY` if set; else beside the running test bundle
    /// (`swift test` builds every executable of the package into the same
    /// directory, whatever the scratch path); else under `.build/debug`.
    static func locate() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CIVITAS_STRESS_BINARY"] {
            guard isExecutable(path) else { throw Missing(description: "CIVITAS_STRESS_BINARY=\(path) is not an executable") }
            return path
        }
        var candidates: [String] = []
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: selfPath).resolvingSymlinksInPath().deletingLastPathComponent()
        // Inside an .xctest bundle on macOS the binary sits a few levels down.
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("civitas-storage-stress").path)
            dir.deleteLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/civitas-storage-stress").path)
        if let found = candidates.first(where: isExecutable) { return found }
        throw Missing(description: """
            the crash test needs the civitas-storage-stress child process, and it is not built; looked in \(candidates.joined(separator: ", ")). \
            `swift test` builds it; with --skip-build, run `swift build --product civitas-storage-stress` first, \
            or point CIVITAS_STRESS_BINARY at it
            """)
    }
}

/// A running child whose stdout lines are collected as they come.
final class StressChild: Sendable {
    private let process: Process
    private let state = Mutex<(partial: [UInt8], lines: [String], ready: Bool)>(([], [], false))
    private let readySignal = DispatchSemaphore(value: 0)
    private let drained = DispatchSemaphore(value: 0)
    private let errors = Mutex<[UInt8]>([])
    private let errorsDrained = DispatchSemaphore(value: 0)

    struct Outcome {
        var lines: [String]
        var reason: Process.TerminationReason
        var status: Int32
        var stderr: String
        var killedBySIGKILL: Bool { reason == .uncaughtSignal && status == SIGKILL }
    }

    init(binary: String, arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        self.process = process
        try process.run()
        let outHandle = out.fileHandleForReading, errHandle = err.fileHandleForReading
        let reader = Thread { [self] in
            while true {
                let data = outHandle.availableData
                if data.isEmpty { break }
                let sawReady = state.withLock { s -> Bool in
                    s.partial += data
                    var sawReady = false
                    while let newline = s.partial.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: s.partial[..<newline], as: UTF8.self)
                        s.partial.removeSubrange(...newline)
                        if line.hasPrefix("ready ") && !s.ready {
                            s.ready = true
                            sawReady = true
                        }
                        s.lines.append(line)
                    }
                    return sawReady
                }
                if sawReady { readySignal.signal() }
            }
            drained.signal()
        }
        reader.start()
        let errorReader = Thread { [self] in
            let data = errHandle.readDataToEndOfFile()
            errors.withLock { $0 = Array(data) }
            errorsDrained.signal()
        }
        errorReader.start()
    }

    func waitUntilReady(seconds: Double) -> Bool {
        readySignal.wait(timeout: .now() + seconds) == .success
    }

    func kill() {
        sendSIGKILL(process.processIdentifier)
    }

    /// Waits for the child to end and for its output to be read to the end.
    func finish() -> Outcome {
        process.waitUntilExit()
        drained.wait()
        errorsDrained.wait()
        // A torn last line (the kill came mid-write) cannot happen: each line is one write(2) to a pipe.
        let lines = state.withLock { $0.lines }
        return Outcome(lines: lines, reason: process.terminationReason, status: process.terminationStatus,
                       stderr: String(decoding: errors.withLock { $0 }, as: UTF8.self))
    }
}

private func sendSIGKILL(_ pid: Int32) {
    _ = kill(pid, SIGKILL)
}
