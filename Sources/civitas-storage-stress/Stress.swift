import CivitasCodec
import CivitasLedger
import CivitasStorage
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The child process of the crash tests (`Tests/CivitasStorageTests/CrashRecoveryTests.swift`):
/// it opens a data directory — recovering whatever the last child left when
/// it was killed — and writes under load until it is killed with SIGKILL:
///
/// - the WAL, through `GroupCommitLog`, from several concurrent proposers
///   (async tasks), each appending `StressRecord`s with sequences 1, 2, 3, …;
/// - the block store: sealed, really signed blocks, 1–3 per `sync()`;
/// - the state database: each block applied once the block store has synced it.
///
/// Each acknowledgement is written to stdout with one `write(2)` of one line
/// (atomic on a pipe, and not buffered in the process, so SIGKILL loses none),
/// only after the durability call returned:
///
///     ready wal=<records recovered> blocks=<height> applied=<height> caughtup=<blocks applied at start>
///     wal <index> <proposer> <sequence>      a WAL record is fsynced, at that index in the log
///     block <height> <header hash hex>       the block store synced the block
///     applied <height>                       the state database committed the block
///
/// Usage: civitas-storage-stress DIR [--proposers N] [--wal-dir NAME] [--in-flight N] [--no-wal] [--no-chain]
///        [--no-state] [--seconds S]
/// It stops by itself after `--seconds` (default 60), closing everything cleanly.
@main
struct StorageStress {
    static func main() async {
        do {
            try await run(Arguments(CommandLine.arguments.dropFirst()))
        } catch {
            fail("\(error)")
        }
    }

    struct Arguments {
        var directory = ""
        var proposers = 8
        var walDirectory = "wal"
        /// `GroupCommitOptions.batchesInFlight`.
        var batchesInFlight = GroupCommitOptions().batchesInFlight
        var wal = true
        var chain = true
        var state = true
        var seconds = 60.0

        init(_ args: ArraySlice<String>) throws {
            var rest = args
            while let arg = rest.popFirst() {
                switch arg {
                case "--proposers": proposers = try Self.number(rest.popFirst(), arg)
                case "--wal-dir": walDirectory = try Self.value(rest.popFirst(), arg)
                case "--in-flight": batchesInFlight = try Self.number(rest.popFirst(), arg)
                case "--no-wal": wal = false
                case "--no-chain": chain = false
                case "--no-state": state = false
                case "--seconds": seconds = Double(try Self.number(rest.popFirst(), arg))
                default:
                    guard directory.isEmpty, !arg.hasPrefix("-") else { throw UsageError(message: "unknown argument \(arg)") }
                    directory = arg
                }
            }
            guard !directory.isEmpty else { throw UsageError(message: "usage: civitas-storage-stress DIR [--proposers N] [--wal-dir NAME] [--in-flight N] [--no-wal] [--no-chain] [--no-state] [--seconds S]") }
        }

        static func value(_ v: String?, _ name: String) throws -> String {
            guard let v else { throw UsageError(message: "\(name) needs a value") }
            return v
        }

        static func number(_ v: String?, _ name: String) throws -> Int {
            guard let n = Int(try value(v, name)), n >= 0 else { throw UsageError(message: "\(name) needs a whole number") }
            return n
        }
    }

    struct UsageError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func run(_ args: Arguments) async throws {
        let fs = POSIXFileSystem()
        try fs.createDirectory(args.directory)

        // The WAL: replay, checking every record by content and every proposer's sequences for gaps.
        var log: GroupCommitLog?
        var nextSequence: [UInt32: UInt64] = [:]
        if args.wal {
            let walPath = joinPath(args.directory, args.walDirectory)
            var recovered: UInt64 = 0
            log = try GroupCommitLog(directory: walPath, fileSystem: fs, options: GroupCommitOptions(wal: WALOptions(segmentSize: 128 << 10, preallocate: true),
                                                                                                   batchesInFlight: args.batchesInFlight)) { (record) throws(StorageError) in
                guard record.type == StressRecord.type, let (p, s) = StressRecord.header(record.payload) else {
                    throw .corrupt(path: walPath, offset: -1, reason: "record \(recovered) is not a stress record")
                }
                guard s == nextSequence[p, default: 1] else {
                    throw .inconsistent(path: walPath, reason: "record \(recovered): proposer \(p) jumps to sequence \(s), expected \(nextSequence[p, default: 1])")
                }
                nextSequence[p] = s + 1
                recovered += 1
            }
        }

        // The chain: block store, then the state database caught up with it.
        var chain: ChainWriter?
        if args.chain {
            chain = try ChainWriter(directory: args.directory, fileSystem: fs, withState: args.state)
        }
        emit("ready wal=\(log?.recoveredRecords ?? 0) blocks=\(chain?.store.height ?? 0) applied=\(chain?.appliedHeight ?? 0) caughtup=\(chain?.caughtUp ?? 0)")

        if let chain {
            let thread = Thread { chain.run() }
            thread.name = "stress-chain"
            thread.start()
        }
        if let log {
            let start = nextSequence
            for p in 0..<UInt32(args.proposers) {
                Task.detached {
                    var sequence = start[p, default: 1]
                    while true {
                        let index: UInt64
                        do throws(StorageError) {
                            index = try await log.append(type: StressRecord.type, payload: StressRecord.make(proposer: p, sequence: sequence))
                        } catch {
                            if case .failed = error, log.failure == nil { return } // closed at the end of the run
                            fail("proposer \(p), sequence \(sequence): \(error)")
                        }
                        emit("wal \(index) \(p) \(sequence)")
                        sequence += 1
                    }
                }
            }
        }
        try await Task.sleep(for: .seconds(args.seconds))
        chain?.stop()
        log?.close()
        emit("done")
    }
}

/// Appends blocks to the block store and applies them to the state database, on its own thread.
final class ChainWriter: @unchecked Sendable {
    // Touched by the init and then only by `run()` on the chain thread.
    let store: BlockStore
    let state: StateDatabase?
    let community = StressCommunity()
    let appliedHeight: UInt64
    let caughtUp: Int
    private let stopRequested = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(directory: String, fileSystem: POSIXFileSystem, withState: Bool) throws {
        let genesisPath = joinPath(directory, "genesis.civ")
        let genesis = community.genesis.encoded()
        if fileSystem.exists(genesisPath) {
            let file = try fileSystem.open(genesisPath, create: false)
            let found = try file.readAll()
            file.close()
            guard found == genesis else { throw StorageError.inconsistent(path: genesisPath, reason: "not the stress community's genesis") }
        } else {
            try fileSystem.writeAtomically(genesis, to: genesisPath)
        }
        store = try BlockStore(directory: joinPath(directory, "blocks"), fileSystem: fileSystem, options: Self.storeOptions(community.genesis.hash))
        if withState {
            let db = try StateDatabase.open(path: joinPath(directory, "state.sqlite"), genesis: community.genesis)
            let before = try db.appliedHeight
            guard before <= store.height else {
                throw StorageError.inconsistent(path: db.path, reason: "applied height \(before) is above the block store's height \(store.height)")
            }
            let store = self.store
            caughtUp = try db.catchUp { (h) throws(StorageError) in try store.block(at: h) }
            appliedHeight = try db.appliedHeight
            state = db
        } else {
            state = nil
            appliedHeight = 0
            caughtUp = 0
        }
    }

    /// Small segments and a frequent index, so kills land in segment creation and index rewrites too.
    static func storeOptions(_ genesis: Hash) -> BlockStoreOptions {
        BlockStoreOptions(segmentSize: 64 << 10, indexInterval: 16, genesisHash: genesis)
    }

    func run() {
        var rng = SystemRandomNumberGenerator()
        while !stopRequested.withLock({ $0 }) {
            do {
                var written: [SealedBlock] = []
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let block = community.block(height: store.height + 1, previous: store.headHash ?? community.genesis.hash)
                    try store.append(block)
                    written.append(block)
                }
                try store.sync()
                for block in written { emit("block \(block.height) \(block.header.hash.hex)") }
                if let state {
                    for block in written {
                        try state.apply(block)
                        emit("applied \(block.height)")
                    }
                }
                // A pause, so the chain grows by tens of blocks per run, not hundreds: the
                // crash test re-verifies every signature of it at the end.
                usleep(UInt32.random(in: 8_000...20_000, using: &rng))
            } catch {
                fail("chain at height \(store.height): \(error)")
            }
        }
        do {
            try store.close()
            try state?.close()
        } catch {
            fail("closing the chain: \(error)")
        }
        finished.signal()
    }

    func stop() {
        stopRequested.withLock { $0 = true }
        finished.wait()
    }
}

/// Writes one line to stdout with one `write(2)`.
func emit(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(1, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                exit(3) // the parent is gone
            }
            done += n
        }
    }
}

func fail(_ message: String) -> Never {
    let bytes = Array("civitas-storage-stress: error: \(message)\n".utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
    exit(1)
}
