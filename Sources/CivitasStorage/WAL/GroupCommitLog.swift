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
    /// Batches written and being fsynced at once, each by its own writer
    /// thread ("lane"). With 1 (the default) the next batch is written only
    /// once the previous one's fsync returned. With 2, the next batch is
    /// written and its fsync started while the previous one's is still under
    /// way; records are still acknowledged only after their own batch's
    /// fsync, and in log order. Recovery copes with any number
    /// (docs/storage.md, "Recovery").
    ///
    /// Measured on this project's VM disk (ext4 on virtio), 2 is slower:
    /// two concurrent fsyncs of one file complete only about 1.3 times as
    /// many per second as one, while the proposers split into two batches of
    /// half the size (256 proposers: 84–87× the raw fsync rate against 98×
    /// with 1). A disk that flushes requests in parallel may differ; measure
    /// with `StorageBenchmark --in-flight 1,2`.
    public var batchesInFlight: Int

    public init(wal: WALOptions = WALOptions(preallocate: true), maxBatchBytes: Int = 8 << 20, gatherDelay: Duration = .milliseconds(1),
                batchesInFlight: Int = 1) {
        self.wal = wal
        self.maxBatchBytes = maxBatchBytes
        self.gatherDelay = gatherDelay
        self.batchesInFlight = batchesInFlight
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
/// Writer threads ("lanes", `GroupCommitOptions.batchesInFlight`, 1 by
/// default) share the `WriteAheadLog`: a lane takes everything queued,
/// writes it as one batch (one `pwrite`), fsyncs it through its own file
/// handle, and hands the batch's waiters to an acknowledging queue, which
/// resumes them in log order. With two lanes, while one lane's fsync is
/// under way the other writes the next batch and starts its fsync, so two
/// fsyncs overlap. Under load each fsync acknowledges many records. After a batch of k records a lane
/// also waits a fraction of an fsync for k records to queue again
/// (`GroupCommitOptions.gatherDelay`). With preallocation the next segment
/// is zero-filled in the background, so a roll does not stall every proposer.
///
/// Guarantees:
/// - Nothing is acknowledged before the fsync of its own batch — started
///   after the batch was written — has returned, nor before every record
///   ahead of it in the log was acknowledged.
/// - Records land in the log in the order of the indexes `append` returns;
///   the index is the record's position in the whole log (records recovered
///   at open come first, from 0).
/// - A failed write or fsync (a full disk: `StorageError.diskFull`, or
///   `.io`) fails every record not yet acknowledged (the other batch in
///   flight included, even if its own fsync succeeded) with that error,
///   every record queued behind them, and every later `append`, with `StorageError.failed`
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
    /// before this returns), then starts the writer threads.
    ///
    /// The file system is used from the writer threads from then on; it must
    /// be safe to use from other threads, two handles at once (one lane
    /// fsyncs while another writes; `POSIXFileSystem` is).
    public init(
        directory: String,
        fileSystem: any FileSystem & Sendable,
        options: GroupCommitOptions = GroupCommitOptions(),
        replay: (WALRecord) throws(StorageError) -> Void = { _ in }
    ) throws(StorageError) {
        guard options.maxBatchBytes >= 1 else {
            throw .invalidArgument("a group commit batch must be allowed at least one byte, not \(options.maxBatchBytes)")
        }
        guard (1...8).contains(options.batchesInFlight) else {
            throw .invalidArgument("batches in flight must be 1 to 8, not \(options.batchesInFlight)")
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
                        spare: spare, lanes: options.batchesInFlight)
        let writer = self.writer
        for lane in 0..<options.batchesInFlight {
            let thread = Thread { writer.run(lane: lane) }
            thread.name = "civitas-wal-writer-\(lane)"
            thread.start()
        }
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

/// The writer threads ("lanes") and the queue they drain.
///
/// Each lane loops: take the queue, append and write it as one batch (under
/// `lock`, so batches are written one at a time and in index order), fsync
/// it through the lane's own handle (outside the lock, so another lane can
/// write and fsync the next batch meanwhile), then, under the lock again,
/// record it durable and acknowledge every batch at the head of the log
/// whose sync has returned. Acknowledgements therefore go out in log order,
/// each only after its own batch's fsync — which started after that batch
/// was written — and those of all batches before it have returned.
///
/// `@unchecked Sendable` because of `wal` and `flights`, which are not
/// thread-safe: they are touched only by lanes holding `lock` (`wal` was
/// created before the lanes started and is closed by the last lane to stop).
/// The queue and counters live in `state`, behind a mutex.
private final class Writer: @unchecked Sendable {
    struct State {
        var queue: [Queued] = []
        var queuedBytes = 0
        var nextIndex: UInt64
        /// Lanes asleep (or about to sleep) on their `wake` semaphore because
        /// the queue was empty; whoever takes one off this list signals it.
        var sleeping: [Int] = []
        /// Lanes waiting on their `wake` for the queue to hold so many records;
        /// whoever sees the target reached takes the lane off and signals it.
        var gathering: [(lane: Int, target: Int)] = []
        var stopping = false
        var lanesRunning: Int
        var failure: StorageError? = nil
        var statistics = GroupCommitStatistics()
    }

    /// A batch written and not yet acknowledged.
    struct Flight {
        var batch: WALWrittenBatch
        var records: [Queued]
        var durable = false
    }

    let state: Mutex<State>
    /// Guards `wal` and `flights`; lanes wait on it for the flights to drain before a roll.
    private let lock = NSCondition()
    private let wal: WriteAheadLog
    /// Batches written, in log order, not yet acknowledged (guarded by `lock`).
    private var flights: [Flight] = []
    private let directory: String
    private let maxBatchBytes: Int
    private let gatherDelay: Duration
    private let spare: SpareSegment?
    let lanes: Int
    /// Resumes the waiters of each fsynced batch, in log order, so the lane
    /// can start the next batch at once: with many proposers, resuming a
    /// batch's waiters takes about a third as long as its fsync.
    private let acknowledgements = DispatchQueue(label: "civitas-wal-ack", qos: .userInitiated)
    /// One per lane: signalled when the lane is taken off `sleeping` or
    /// `gathering`. A wait that timed out may leave one signal behind; every
    /// wait re-checks the queue, so a stray wake-up costs one loop.
    private let wake: [DispatchSemaphore]
    /// Signalled when the last lane has stopped; a latch (each waiter re-signals).
    private let stopped = DispatchSemaphore(value: 0)

    init(wal: WriteAheadLog, directory: String, firstIndex: UInt64, maxBatchBytes: Int, gatherDelay: Duration, spare: SpareSegment?, lanes: Int) {
        self.wal = wal
        self.directory = directory
        self.maxBatchBytes = maxBatchBytes
        self.gatherDelay = gatherDelay
        self.spare = spare
        self.lanes = lanes
        wake = (0..<lanes).map { _ in DispatchSemaphore(value: 0) }
        state = Mutex(State(nextIndex: firstIndex, lanesRunning: lanes))
    }

    func enqueue(type: UInt8, payload: [UInt8], waiter: Waiter) {
        enum Outcome { case queued(wake: Int?), refused(StorageError) }
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
            if let i = s.gathering.firstIndex(where: { s.queue.count >= $0.target }) {
                return .queued(wake: s.gathering.remove(at: i).lane)
            }
            if let lane = s.sleeping.popLast() { return .queued(wake: lane) }
            return .queued(wake: nil)
        }
        switch outcome {
        case let .queued(wake: lane?): wake[lane].signal()
        case .queued(wake: nil): break
        case let .refused(error): waiter.resume(.failure(error))
        }
    }

    func requestStop() {
        let woken = state.withLock { s -> [Int] in
            s.stopping = true
            let lanes = s.sleeping + s.gathering.map(\.lane)
            s.sleeping = []
            s.gathering = []
            return lanes
        }
        for lane in woken { wake[lane].signal() }
    }

    func waitUntilStopped() {
        stopped.wait()
        stopped.signal()
    }

    // MARK: The lanes

    private enum Step { case work, sleep, exit }

    func run(lane: Int) {
        var handle: (segment: UInt64, file: any StorageFile)? = nil
        var lastSync = Duration.zero
        while true {
            let step = state.withLock { s -> Step in
                if s.queue.isEmpty {
                    if s.stopping { return .exit }
                    // Once only: a stray signal (a timed-out gather's) can end a sleep early.
                    if !s.sleeping.contains(lane) { s.sleeping.append(lane) }
                    return .sleep
                }
                s.sleeping.removeAll { $0 == lane }
                return .work
            }
            switch step {
            case .sleep:
                wake[lane].wait()
            case .exit:
                handle?.file.close()
                let last = state.withLock { s -> Bool in
                    s.lanesRunning -= 1
                    return s.lanesRunning == 0
                }
                if last {
                    lock.lock()
                    wal.close()
                    lock.unlock()
                    acknowledgements.sync {}
                    spare?.finish()
                    stopped.signal()
                }
                return
            case .work:
                if let count = commit(lane: lane, handle: &handle, lastSync: &lastSync) {
                    gather(lane: lane, count: count, limit: min(gatherDelay, lastSync / 2))
                }
            }
        }
    }

    /// Writes, fsyncs and acknowledges one batch; its size, or nil if there
    /// was nothing to take or the batch failed.
    private func commit(lane: Int, handle: inout (segment: UInt64, file: any StorageFile)?, lastSync: inout Duration) -> Int? {
        lock.lock()
        // A full segment rolls once nothing is in flight (the roll cuts, syncs
        // and closes the file the batches in flight are being synced in).
        while wal.needsRoll && !flights.isEmpty { lock.wait() }
        if wal.needsRoll && !wal.hasFailed {
            do throws(StorageError) {
                try wal.roll(head: [], spare: spare?.take())
            } catch {
                failLocked(error)
                lock.unlock()
                return nil
            }
        }
        let batch = state.withLock { take(&$0) }
        guard !batch.isEmpty else {
            lock.unlock()
            return nil
        }
        let written: WALWrittenBatch
        let syncHandle: any StorageFile
        do throws(StorageError) {
            for record in batch { try wal.append(type: record.type, payload: record.payload) }
            guard let w = try wal.writeBatch() else { preconditionFailure("a batch of \(batch.count) records wrote nothing") }
            written = w
            if let handle, handle.segment == w.segment {
                syncHandle = handle.file
            } else {
                handle?.file.close()
                handle = nil
                syncHandle = try wal.openSegmentHandle()
                handle = (w.segment, syncHandle)
            }
        } catch {
            flights.append(Flight(batch: WALWrittenBatch.failedWrite, records: batch))
            failLocked(error)
            lock.unlock()
            return nil
        }
        flights.append(Flight(batch: written, records: batch))
        lock.unlock()

        let start = ContinuousClock.now
        var syncError: StorageError? = nil
        do throws(StorageError) {
            try WriteAheadLog.makeDurable(written, through: syncHandle)
        } catch {
            syncError = error
        }
        lastSync = ContinuousClock.now - start

        lock.lock()
        defer {
            lock.broadcast()
            lock.unlock()
        }
        if let syncError {
            wal.batchSyncFailed(syncError)
            failLocked(syncError)
            return nil
        }
        // Failed meanwhile (another lane's batch): its flights, this one among them, are gone.
        guard let mine = flights.firstIndex(where: { $0.batch == written }) else { return nil }
        wal.batchIsDurable(written)
        flights[mine].durable = true
        var done = 0
        while done < flights.count && flights[done].durable { done += 1 }
        if done > 0 {
            let acknowledged = Array(flights[..<done])
            flights.removeFirst(done)
            state.withLock { s in
                for flight in acknowledged {
                    s.statistics.records += UInt64(flight.records.count)
                    s.statistics.batches += 1
                    s.statistics.largestBatch = max(s.statistics.largestBatch, flight.records.count)
                }
            }
            // Queued while holding the lock, so acknowledgements leave in log order.
            acknowledgements.async {
                for flight in acknowledged {
                    for record in flight.records { record.waiter.resume(.success(record.index)) }
                }
            }
        }
        if let spare, !wal.needsRoll, wal.currentSegmentBytes >= wal.options.segmentSize / 4 {
            spare.prepare()
        }
        return batch.count
    }

    /// After a batch of `count` records, waits (briefly) for as many to be queued.
    private func gather(lane: Int, count: Int, limit: Duration) {
        guard limit > .zero else { return }
        let waiting = state.withLock { s -> Bool in
            guard !s.stopping, s.queue.count < count else { return false }
            s.gathering.append((lane, count))
            return true
        }
        guard waiting else { return }
        let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
        _ = wake[lane].wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
        state.withLock { s in s.gathering.removeAll { $0.lane == lane } }
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

    /// With `lock` held: fails every batch not yet acknowledged with `error`
    /// (after a failed write or fsync, a batch whose own fsync succeeded on
    /// the same file is no longer trusted either), everything queued with
    /// `.failed`, and makes every later append fail the same way.
    private func failLocked(_ error: StorageError) {
        let unacknowledged = flights
        flights = []
        lock.broadcast()
        let behind = state.withLock { s -> [Queued] in
            if s.failure == nil { s.failure = error }
            var rest: [Queued] = []
            swap(&rest, &s.queue)
            s.queuedBytes = 0
            return rest
        }
        let refusal = StorageError.failed(path: directory, cause: error.description)
        acknowledgements.async {
            for flight in unacknowledged {
                for record in flight.records { record.waiter.resume(.failure(error)) }
            }
            for record in behind { record.waiter.resume(.failure(refusal)) }
        }
    }
}

extension WALWrittenBatch {
    /// Stands for a batch whose write failed (it is failed at once, never synced).
    static let failedWrite = WALWrittenBatch(segment: 0, offset: 0, end: 0, records: 0, needsFullSync: false)
}
