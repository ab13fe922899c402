import Dispatch
import Foundation
import Synchronization

/// Settings of a `GroupCommitLog`.
public struct GroupCommitOptions: Sendable, Hashable {
    /// The log underneath (segment size, record limit).
    public var wal: WALOptions
    /// The most payload bytes one batch takes from the queue; a record larger
    /// than this still goes, alone. Also capped at the segment size, so
    /// recovery never meets a batch longer than it believes possible.
    public var maxBatchBytes: Int
    /// The longest the writer waits, after acknowledging a batch of k records,
    /// for k records to be queued again before it writes the next batch (never
    /// longer than half the last fsync took; zero turns it off).
    ///
    /// Without it, batches alternate between large and small under many
    /// proposers: the waiters of a large batch append again while the writer
    /// is already fsyncing the few records that arrived first. Waiting a
    /// fraction of an fsync for them roughly doubles the mean batch, and adds
    /// at most this much latency to records that were queued early.
    public var gatherDelay: Duration

    public init(wal: WALOptions = WALOptions(preallocate: true), maxBatchBytes: Int = 8 << 20, gatherDelay: Duration = .milliseconds(1)) {
        self.wal = wal
        self.maxBatchBytes = maxBatchBytes
        self.gatherDelay = gatherDelay
    }
}

/// Counters since the log was opened.
public struct GroupCommitStatistics: Sendable, Hashable {
    /// Records acknowledged (written and fsynced).
    public var records: UInt64 = 0
    /// Batches written and fsynced: one `pwrite` and one `fsync` each.
    public var batches: UInt64 = 0
    /// The most records one batch held.
    public var largestBatch = 0

    public init() {}

    /// Records per fsync.
    public var meanBatchSize: Double { batches == 0 ? 0 : Double(records) / Double(batches) }
}

/// A write-ahead log shared by concurrent proposers, with group commit.
///
/// Proposers call `append` (async) or `appendBlocking` from any thread or
/// task; each call returns only once its record is written *and fsynced*.
/// One dedicated writer thread owns the `WriteAheadLog`: it takes everything
/// queued, appends it, issues one `sync()` (one `pwrite`, one `fsync`),
/// hands the batch's waiters to an acknowledging queue (which resumes them,
/// in log order, while the writer goes on), and repeats. While a batch is
/// being fsynced the next one gathers, so under load one fsync acknowledges
/// many records; after a batch of k records the writer also waits a fraction
/// of an fsync for k records to queue again (`GroupCommitOptions.gatherDelay`).
/// With preallocation the next segment is zero-filled in the background, so
/// a roll does not stall every proposer.
///
/// Guarantees:
/// - Nothing is acknowledged before the fsync that covers it returned.
/// - Records land in the log in the order of the indexes `append` returns;
///   the index is the record's position in the whole log (records recovered
///   at open come first, from 0).
/// - A failed write or fsync (a full disk: `StorageError.diskFull`, or
///   `.io`) fails every record of that batch with that error, every record
///   queued behind it, and every later `append`, with `StorageError.failed`
///   naming the first error: after a failed fsync the page cache is in an
///   unknown state, and retrying could acknowledge data that is not on disk.
///   Free the space, then open the log again: recovery keeps every
///   acknowledged record and cuts off the unfinished batch.
/// - `close()` writes and acknowledges everything queued before it, then
///   stops the writer. Appends after `close()` fail with `.failed`.
///
/// An `append` cannot be withdrawn once queued: cancelling the calling task
/// does not stop its record being written.
public final class GroupCommitLog: Sendable {
    /// The log's directory.
    public let directory: String
    /// What opening the log found (torn tail cut off, records replayed).
    public let recovery: WALRecoveryReport
    /// Records replayed at open; the first record appended gets this index.
    public let recoveredRecords: UInt64
    public let options: GroupCommitOptions
    private let writer: Writer

    /// Opens (creating if needed) the log in `directory`, replays every
    /// durable record through `replay` (oldest first, on the calling thread,
    /// before this returns), then starts the writer thread.
    ///
    /// The file system is used from the writer thread from then on; it must
    /// be safe to use from another thread (`POSIXFileSystem` is).
    public init(
        directory: String,
        fileSystem: any FileSystem & Sendable,
        options: GroupCommitOptions = GroupCommitOptions(),
        replay: (WALRecord) throws(StorageError) -> Void = { _ in }
    ) throws(StorageError) {
        guard options.maxBatchBytes >= 1 else {
            throw .invalidArgument("a group commit batch must be allowed at least one byte, not \(options.maxBatchBytes)")
        }
        var count: UInt64 = 0
        let wal = try WriteAheadLog(directory: directory, fileSystem: fileSystem, options: options.wal) { (record) throws(StorageError) in
            count += 1
            try replay(record)
        }
        self.directory = directory
        self.options = options
        recovery = wal.report
        recoveredRecords = count
        let cap = min(options.maxBatchBytes, max(options.wal.segmentSize, options.wal.maxRecordSize))
        let spare = options.wal.preallocate
            ? SpareSegment(path: joinPath(directory, "spare.tmp"), fileSystem: fileSystem, options: options.wal)
            : nil
        writer = Writer(wal: wal, directory: directory, firstIndex: count, maxBatchBytes: cap, gatherDelay: max(.zero, options.gatherDelay),
                        spare: spare)
        let writer = self.writer
        let thread = Thread { writer.run() }
        thread.name = "civitas-wal-writer"
        thread.start()
    }

    deinit {
        // Lets the writer drain the queue and stop; nobody waits for it here.
        writer.requestStop()
    }

    /// Appends one record and returns once it is durable, with its index in
    /// the log. Throws `.invalidArgument` for a payload above the record
    /// limit (nothing is written), the write or fsync error of its batch, or
    /// `.failed` once the log has failed or been closed.
    public func append(type: UInt8, payload: [UInt8]) async throws(StorageError) -> UInt64 {
        try check(payload)
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<UInt64, StorageError>, Never>) in
            writer.enqueue(type: type, payload: payload, waiter: .task(continuation))
        }
        return try result.get()
    }

    /// `append` for threads that are not tasks: blocks the calling thread
    /// until the record is durable. Never call it from async code (it would
    /// hold one of the few threads of the cooperative pool).
    public func appendBlocking(type: UInt8, payload: [UInt8]) throws(StorageError) -> UInt64 {
        try check(payload)
        let slot = BlockingSlot()
        writer.enqueue(type: type, payload: payload, waiter: .thread(slot))
        return try slot.wait().get()
    }

    /// Writes and acknowledges everything queued, stops the writer thread and
    /// closes the files. Blocks until then; safe to call more than once.
    public func close() {
        writer.requestStop()
        writer.waitUntilStopped()
    }

    /// Counters since open.
    public var statistics: GroupCommitStatistics { writer.state.withLock { $0.statistics } }

    /// The first write or fsync error, once the log refuses writes.
    public var failure: StorageError? { writer.state.withLock { $0.failure } }

    private func check(_ payload: [UInt8]) throws(StorageError) {
        guard payload.count <= options.wal.maxRecordSize else {
            throw .invalidArgument("WAL record of \(payload.count) bytes exceeds the limit of \(options.wal.maxRecordSize)")
        }
    }
}

/// Where a proposer waits for its acknowledgement. Every queued record is
/// resumed exactly once — acknowledged, failed with its batch, or refused —
/// so the unchecked continuation is safe; it saves an allocation per append
/// (about a fifth of the CPU per record at 256 proposers without a disk).
private enum Waiter: Sendable {
    case task(UnsafeContinuation<Result<UInt64, StorageError>, Never>)
    case thread(BlockingSlot)

    func resume(_ result: Result<UInt64, StorageError>) {
        switch self {
        case let .task(continuation): continuation.resume(returning: result)
        case let .thread(slot): slot.fill(result)
        }
    }
}

/// The segment the writer rolls into next, zero-filled and fsynced in the
/// background (as etcd's file pipeline does), so that a roll costs a header
/// write, a rename and two fsyncs instead of writing a whole segment of
/// zeros while every proposer waits (~0.1 s per 64 MiB here).
///
/// Preparation starts once the current segment is a quarter full. If it
/// fails (a full disk, say), the spare is removed and the writer creates the
/// next segment itself at the roll, which reports the error properly.
private final class SpareSegment: Sendable {
    private enum Phase { case none, preparing, ready, failed }

    let path: String
    private let fileSystem: any FileSystem & Sendable
    private let options: WALOptions
    private let phase = Mutex(Phase.none)
    private let queue = DispatchQueue(label: "civitas-wal-spare", qos: .utility)

    init(path: String, fileSystem: any FileSystem & Sendable, options: WALOptions) {
        self.path = path
        self.fileSystem = fileSystem
        self.options = options
    }

    /// Starts preparing a spare unless one is ready or under way.
    func prepare() {
        let start = phase.withLock { p -> Bool in
            guard p == .none else { return false }
            p = .preparing
            return true
        }
        guard start else { return }
        queue.async { [self] in
            do throws(StorageError) {
                try WriteAheadLog.prepareSpare(at: path, fileSystem: fileSystem, options: options)
                phase.withLock { $0 = .ready }
            } catch {
                try? fileSystem.remove(path)
                phase.withLock { $0 = .failed }
            }
        }
    }

    /// The spare's path if one is ready (it is the caller's from then on); nil otherwise.
    func take() -> String? {
        phase.withLock { p -> String? in
            switch p {
            case .ready:
                p = .none
                return path
            case .failed:
                p = .none // try again for the next roll
                return nil
            case .none, .preparing:
                return nil
            }
        }
    }

    /// Waits for a preparation under way, then removes an unused spare.
    func finish() {
        queue.sync {}
        if take() != nil { try? fileSystem.remove(path) }
    }
}

/// A one-shot result for a blocked thread.
private final class BlockingSlot: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<Result<UInt64, StorageError>?>(nil)

    func fill(_ value: Result<UInt64, StorageError>) {
        result.withLock { $0 = value }
        done.signal()
    }

    func wait() -> Result<UInt64, StorageError> {
        done.wait()
        return result.withLock { $0! }
    }
}

private struct Queued: Sendable {
    var type: UInt8
    var payload: [UInt8]
    var index: UInt64
    var waiter: Waiter
}

/// The writer thread and the queue it drains.
///
/// `@unchecked Sendable` because of `wal`, which is not thread-safe: it is
/// touched only by `run()` on the writer thread (it was created before the
/// thread started and is closed by that thread as it exits). Everything else
/// shared lives in `state`, behind a mutex.
private final class Writer: @unchecked Sendable {
    struct State {
        var queue: [Queued] = []
        var queuedBytes = 0
        var nextIndex: UInt64
        /// The writer is (about to be) asleep on `wake`; whoever clears this signals it.
        var idle = false
        /// While non-zero, the writer waits on `wake` for the queue to hold this
        /// many records; whoever sees it reached clears it and signals.
        var gatherTarget = 0
        var stopping = false
        var failure: StorageError? = nil
        var statistics = GroupCommitStatistics()
    }

    let state: Mutex<State>
    private let wal: WriteAheadLog
    private let directory: String
    private let maxBatchBytes: Int
    private let gatherDelay: Duration
    private let spare: SpareSegment?
    /// Resumes the waiters of each fsynced batch, in log order, so the writer
    /// can start the next batch at once: with many proposers, resuming a
    /// batch's waiters takes about a third as long as its fsync.
    private let acknowledgements = DispatchQueue(label: "civitas-wal-ack", qos: .userInitiated)
    /// How long the last fsync took.
    private var lastSync = Duration.zero
    /// Signalled when `idle` or `gatherTarget` is cleared. A wait that timed out
    /// may leave one signal behind; every wait re-checks the queue, so a stray
    /// wake-up costs one loop.
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled when the thread has stopped; a latch (each waiter re-signals).
    private let stopped = DispatchSemaphore(value: 0)

    init(wal: WriteAheadLog, directory: String, firstIndex: UInt64, maxBatchBytes: Int, gatherDelay: Duration, spare: SpareSegment?) {
        self.wal = wal
        self.directory = directory
        self.maxBatchBytes = maxBatchBytes
        self.gatherDelay = gatherDelay
        self.spare = spare
        state = Mutex(State(nextIndex: firstIndex))
    }

    func enqueue(type: UInt8, payload: [UInt8], waiter: Waiter) {
        enum Outcome { case queued(wake: Bool), refused(StorageError) }
        let outcome = state.withLock { s -> Outcome in
            if let failure = s.failure {
                return .refused(.failed(path: directory, cause: failure.description))
            }
            if s.stopping {
                return .refused(.failed(path: directory, cause: "the log is closed"))
            }
            s.queue.append(Queued(type: type, payload: payload, index: s.nextIndex, waiter: waiter))
            s.nextIndex += 1
            s.queuedBytes += payload.count
            if s.idle {
                s.idle = false
                return .queued(wake: true)
            }
            if s.gatherTarget > 0 && s.queue.count >= s.gatherTarget {
                s.gatherTarget = 0
                return .queued(wake: true)
            }
            return .queued(wake: false)
        }
        switch outcome {
        case .queued(wake: true): wake.signal()
        case .queued(wake: false): break
        case let .refused(error): waiter.resume(.failure(error))
        }
    }

    func requestStop() {
        let signal = state.withLock { s -> Bool in
            s.stopping = true
            guard s.idle || s.gatherTarget > 0 else { return false }
            s.idle = false
            s.gatherTarget = 0
            return true
        }
        if signal { wake.signal() }
    }

    func waitUntilStopped() {
        stopped.wait()
        stopped.signal()
    }

    // MARK: The writer thread

    private enum Step { case write([Queued]), sleep, exit }

    func run() {
        while true {
            let step = state.withLock { s -> Step in
                if s.queue.isEmpty {
                    if s.stopping { return .exit }
                    s.idle = true
                    return .sleep
                }
                return .write(take(&s))
            }
            switch step {
            case .sleep:
                wake.wait()
            case .exit:
                wal.close()
                acknowledgements.sync {}
                spare?.finish()
                stopped.signal()
                return
            case let .write(batch):
                if commit(batch) { gather(batch.count) }
            }
        }
    }

    /// Takes the whole queue, or as much of it as `maxBatchBytes` allows (at least one record).
    private func take(_ s: inout State) -> [Queued] {
        var batch: [Queued] = []
        if s.queuedBytes <= maxBatchBytes {
            swap(&batch, &s.queue)
            s.queuedBytes = 0
            return batch
        }
        var bytes = 0
        var n = 0
        while n < s.queue.count && (n == 0 || bytes + s.queue[n].payload.count <= maxBatchBytes) {
            bytes += s.queue[n].payload.count
            n += 1
        }
        batch = Array(s.queue[..<n])
        s.queue.removeFirst(n)
        s.queuedBytes -= bytes
        return batch
    }

    /// Writes, fsyncs and acknowledges `batch`; false if it failed.
    private func commit(_ batch: [Queued]) -> Bool {
        do throws(StorageError) {
            for record in batch { try wal.append(type: record.type, payload: record.payload) }
            let start = ContinuousClock.now
            try wal.sync()
            lastSync = ContinuousClock.now - start
        } catch {
            fail(batch, error)
            return false
        }
        state.withLock { s in
            s.statistics.records += UInt64(batch.count)
            s.statistics.batches += 1
            s.statistics.largestBatch = max(s.statistics.largestBatch, batch.count)
        }
        acknowledgements.async {
            for record in batch { record.waiter.resume(.success(record.index)) }
        }
        if wal.needsRoll {
            do throws(StorageError) {
                try wal.roll(head: [], spare: spare?.take())
            } catch {
                fail([], error)
                return false
            }
        } else if let spare, wal.currentSegmentBytes >= wal.options.segmentSize / 4 {
            spare.prepare()
        }
        return true
    }

    /// After acknowledging `count` records, waits (briefly) for as many to be queued.
    private func gather(_ count: Int) {
        let limit = min(gatherDelay, lastSync / 2)
        guard limit > .zero else { return }
        let waiting = state.withLock { s -> Bool in
            guard !s.stopping, s.queue.count < count else { return false }
            s.gatherTarget = count
            return true
        }
        guard waiting else { return }
        let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
        _ = wake.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
        state.withLock { $0.gatherTarget = 0 }
    }

    /// Fails `batch` with `error`, everything queued behind it with `.failed`,
    /// and makes every later append fail the same way.
    private func fail(_ batch: [Queued], _ error: StorageError) {
        let behind = state.withLock { s -> [Queued] in
            if s.failure == nil { s.failure = error }
            var rest: [Queued] = []
            swap(&rest, &s.queue)
            s.queuedBytes = 0
            return rest
        }
        let refusal = StorageError.failed(path: directory, cause: error.description)
        acknowledgements.async {
            for record in batch { record.waiter.resume(.failure(error)) }
            for record in behind { record.waiter.resume(.failure(refusal)) }
        }
    }
}
