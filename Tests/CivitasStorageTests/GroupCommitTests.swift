import CivitasStorage
import CivitasTestSupport
import Foundation
import Synchronization
import Testing

/// `GroupCommitLog`: many proposers, writer lanes with batches in flight, one fsync per batch.
@Suite struct GroupCommitTests {
    /// A payload that names its author and place, so a record read back can be matched to its append.
    static func payload(_ proposer: Int, _ n: Int) -> [UInt8] {
        var bytes = Array("proposer \(proposer) record \(n) ".utf8)
        bytes += [UInt8](repeating: UInt8(truncatingIfNeeded: proposer &* 31 &+ n), count: (proposer * 7 + n * 13) % 300)
        return bytes
    }

    /// Every record in the log, in order.
    static func read(_ directory: String) throws -> [WALRecord] {
        var records: [WALRecord] = []
        let wal = try WriteAheadLog(directory: directory, fileSystem: POSIXFileSystem()) { records.append($0) }
        wal.close()
        return records
    }

    @Test(arguments: [Duration.zero, .milliseconds(1)], [1, 2])
    func manyConcurrentAppendersEveryAcknowledgedRecordIsThereInOrder(gatherDelay: Duration, batchesInFlight: Int) async throws {
        let dir = try ScratchDirectory("group-commit")
        let log = try GroupCommitLog(directory: dir.path, fileSystem: POSIXFileSystem(),
                                     options: GroupCommitOptions(gatherDelay: gatherDelay, batchesInFlight: batchesInFlight))
        let proposers = 64, perProposer = 40
        let acks = Shared<[(index: UInt64, proposer: Int, n: Int)]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<proposers {
                group.addTask {
                    var last: UInt64? = nil
                    for n in 0..<perProposer {
                        let index = try await log.append(type: 3, payload: Self.payload(p, n))
                        // A proposer's next append starts after its previous one was acknowledged.
                        if let last { #expect(index > last) }
                        last = index
                        acks.withLock { $0.append((index, p, n)) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let stats = log.statistics
        log.close()

        let acknowledged = acks.withLock { $0 }
        #expect(acknowledged.count == proposers * perProposer)
        #expect(Set(acknowledged.map(\.index)).count == acknowledged.count, "indexes are unique")
        #expect(stats.records == UInt64(proposers * perProposer))
        #expect(stats.batches < stats.records, "group commit batched nothing: \(stats.batches) fsyncs for \(stats.records) records")
        #expect(stats.meanBatchSize > 2, "mean batch \(stats.meanBatchSize)")

        let records = try Self.read(dir.path)
        #expect(records.count == acknowledged.count)
        for ack in acknowledged {
            let i = Int(ack.index)
            try #require(i < records.count, "acknowledged index \(i) is past the end of the log (\(records.count) records)")
            #expect(records[i] == WALRecord(type: 3, payload: Self.payload(ack.proposer, ack.n)), "record \(i)")
        }
    }

    @Test func blockingAppendsFromThreadsAndIndexesContinueAfterReopening() throws {
        let dir = try ScratchDirectory("group-commit-threads")
        let threads = 12, perThread = 60
        let acks = Shared<[(index: UInt64, proposer: Int, n: Int)]>([])
        let errors = Shared<[String]>([])

        for round in 0..<2 {
            var replayed: [WALRecord] = []
            let log = try GroupCommitLog(directory: dir.path, fileSystem: POSIXFileSystem()) { replayed.append($0) }
            #expect(log.recoveredRecords == UInt64(round * threads * perThread))
            #expect(replayed.count == round * threads * perThread)
            // Real threads, all blocked at once (concurrentPerform would run only one per core).
            let done = DispatchSemaphore(value: 0)
            for t in 0..<threads {
                Thread {
                    let proposer = round * threads + t
                    for n in 0..<perThread {
                        do {
                            let index = try log.appendBlocking(type: 9, payload: Self.payload(proposer, n))
                            acks.withLock { $0.append((index, proposer, n)) }
                        } catch {
                            errors.withLock { $0.append("\(error)") }
                        }
                    }
                    done.signal()
                }.start()
            }
            for _ in 0..<threads { done.wait() }
            #expect(log.statistics.batches < log.statistics.records, "\(log.statistics)")
            log.close()
        }
        #expect(errors.withLock { $0 } == [])
        let records = try Self.read(dir.path)
        let acknowledged = acks.withLock { $0 }
        #expect(records.count == 2 * threads * perThread)
        #expect(acknowledged.sorted { $0.index < $1.index }.map(\.index) == (0..<UInt64(records.count)).map { $0 })
        for ack in acknowledged {
            #expect(records[Int(ack.index)] == WALRecord(type: 9, payload: Self.payload(ack.proposer, ack.n)))
        }
    }

    @Test func closeWritesWhatIsQueuedThenRefusesAppends() async throws {
        let dir = try ScratchDirectory("group-commit-close")
        let log = try GroupCommitLog(directory: dir.path, fileSystem: POSIXFileSystem())
        let first = try await log.append(type: 1, payload: [1, 2, 3])
        #expect(first == 0)
        log.close()
        log.close()
        await #expect(throws: StorageError.failed(path: dir.path, cause: "the log is closed")) {
            try await log.append(type: 1, payload: [4])
        }
        #expect(throws: StorageError.self) { try log.appendBlocking(type: 1, payload: [4]) }
        #expect(try Self.read(dir.path) == [WALRecord(type: 1, payload: [1, 2, 3])])
    }

    @Test func anOversizedRecordIsRefusedAloneAndTheLogGoesOn() async throws {
        let dir = try ScratchDirectory("group-commit-oversized")
        let log = try GroupCommitLog(directory: dir.path, fileSystem: POSIXFileSystem(),
                                     options: GroupCommitOptions(wal: WALOptions(maxRecordSize: 1000)))
        await #expect(throws: StorageError.self) { try await log.append(type: 1, payload: [UInt8](repeating: 7, count: 1001)) }
        #expect(try await log.append(type: 1, payload: [UInt8](repeating: 7, count: 1000)) == 0)
        #expect(log.failure == nil)
        log.close()
    }

    /// With 1, 2 (the default) and 3 batches in flight: a roll waits for
    /// every batch in flight to be fsynced first.
    @Test(arguments: [1, 2, 3])
    func smallSegmentsRollAndBatchesRespectTheByteCap(batchesInFlight: Int) async throws {
        let dir = try ScratchDirectory("group-commit-roll")
        let options = GroupCommitOptions(wal: WALOptions(segmentSize: 8 << 10), maxBatchBytes: 2 << 10, batchesInFlight: batchesInFlight)
        let log = try GroupCommitLog(directory: dir.path, fileSystem: POSIXFileSystem(), options: options)
        let acks = Shared<[UInt64: [UInt8]]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<16 {
                group.addTask {
                    for n in 0..<25 {
                        let payload = Self.payload(p, n)
                        let index = try await log.append(type: 2, payload: payload)
                        acks.withLock { $0[index] = payload }
                    }
                }
            }
            try await group.waitForAll()
        }
        log.close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".wal") }
        #expect(segments.count > 3, "\(segments)")
        let records = try Self.read(dir.path)
        #expect(records.count == 400)
        for (index, payload) in acks.withLock({ $0 }) { #expect(records[Int(index)].payload == payload) }
    }

    /// An fsync that fails (EIO here, ENOSPC in DiskFullTests) fails its batch
    /// and everything after it; what was acknowledged before is all there.
    @Test func aFailedFsyncFailsItsBatchAndEveryLaterAppend() async throws {
        let dir = try ScratchDirectory("group-commit-eio")
        let fs = FsyncFailingFileSystem(failSyncAfter: 5)
        let log = try GroupCommitLog(directory: dir.path, fileSystem: fs)
        var acknowledged: [[UInt8]] = []
        var firstError: StorageError?
        for n in 0..<20 {
            do {
                _ = try await log.append(type: 4, payload: Self.payload(0, n))
                acknowledged.append(Self.payload(0, n))
            } catch {
                firstError = error
                break
            }
        }
        // The WAL's first segment took one fsync when it was created; four batches got through.
        #expect(acknowledged.count == 4)
        #expect(firstError == .io(path: joinPath(dir.path, "0000000000000001.wal"), operation: "fsync", errno: 5))
        #expect(log.failure == firstError)
        do {
            _ = try await log.append(type: 4, payload: [1])
            Issue.record("an append after a failed fsync was accepted")
        } catch {
            guard case let .failed(path, cause) = error else { Issue.record("\(error)"); return }
            #expect(path == dir.path)
            #expect(cause.contains("input/output error"), "\(cause)")
        }
        log.close()
        let records = try Self.read(dir.path)
        // The failed batch was written before its fsync failed, so it may be there; nothing acknowledged is missing.
        #expect(Array(records.prefix(acknowledged.count)).map(\.payload) == acknowledged)
        #expect(records.count <= acknowledged.count + 1)
    }
}

extension GroupCommitTests {
    /// An fsync fails while another batch is in flight (32 proposers, two
    /// lanes): the acknowledged records are exactly indexes 0..<k — in log
    /// order, none after a record that failed — and all of them are in the log.
    @Test func aFailedFsyncWithBatchesInFlightFailsEveryUnacknowledgedRecord() async throws {
        let dir = try ScratchDirectory("group-commit-eio-lanes")
        let log = try GroupCommitLog(directory: dir.path, fileSystem: FsyncFailingFileSystem(failSyncAfter: 40),
                                     options: GroupCommitOptions(batchesInFlight: 2))
        let acks = Shared<[UInt64: [UInt8]]>([:])
        let failures = Shared(0)
        await withTaskGroup(of: Void.self) { group in
            for p in 0..<32 {
                group.addTask {
                    for n in 0..<100 {
                        let payload = Self.payload(p, n)
                        do {
                            let index = try await log.append(type: 3, payload: payload)
                            acks.withLock { $0[index] = payload }
                        } catch {
                            failures.withLock { $0 += 1 }
                            return
                        }
                    }
                }
            }
        }
        log.close()
        let acknowledged = acks.withLock { $0 }
        #expect(failures.withLock { $0 } == 32, "every proposer meets the failure")
        #expect(!acknowledged.isEmpty)
        #expect(Set(acknowledged.keys) == Set(0..<UInt64(acknowledged.count)), "acknowledged indexes are a prefix of the log")
        let records = try Self.read(dir.path)
        #expect(records.count >= acknowledged.count)
        for (index, payload) in acknowledged where Int(index) < records.count { #expect(records[Int(index)].payload == payload) }
    }
}

/// The real disk, except that every fsync after the first `failSyncAfter` fails with EIO.
final class FsyncFailingFileSystem: FileSystem, Sendable {
    let disk = POSIXFileSystem()
    let syncs = Mutex(0)
    let failSyncAfter: Int

    init(failSyncAfter: Int) { self.failSyncAfter = failSyncAfter }

    func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        File(inner: try disk.open(path, create: create), owner: self)
    }

    func list(_ directory: String) throws(StorageError) -> [String] { try disk.list(directory) }
    func exists(_ path: String) -> Bool { disk.exists(path) }
    func createDirectory(_ path: String) throws(StorageError) { try disk.createDirectory(path) }
    func remove(_ path: String) throws(StorageError) { try disk.remove(path) }
    func rename(_ from: String, to: String) throws(StorageError) { try disk.rename(from, to: to) }
    func syncDirectory(_ directory: String) throws(StorageError) { try disk.syncDirectory(directory) }

    final class File: StorageFile {
        let inner: any StorageFile
        let owner: FsyncFailingFileSystem
        init(inner: any StorageFile, owner: FsyncFailingFileSystem) {
            self.inner = inner
            self.owner = owner
        }

        var path: String { inner.path }
        func size() throws(StorageError) -> Int { try inner.size() }
        func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8] { try inner.read(at: offset, count: count) }
        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) { try inner.write(bytes, at: offset) }
        func truncate(to size: Int) throws(StorageError) { try inner.truncate(to: size) }
        func close() { inner.close() }
        func sync() throws(StorageError) {
            let n = owner.syncs.withLock { count -> Int in
                count += 1
                return count
            }
            if n > owner.failSyncAfter { throw .io(path: path, operation: "fsync", errno: 5) }
            try inner.sync()
        }
    }
}


/// A value behind a mutex, shareable with tasks and threads.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
