import CivitasCodec
import CivitasLedger
import CivitasStorage
import CivitasTestSupport
import Foundation
import Testing

/// A really full disk: a 256 KiB tmpfs mounted for the test (root is needed,
/// as on CI; without it the test fails and says so). The WAL and the block
/// store are filled until the kernel answers ENOSPC; then every later write
/// must be refused, and — once a filler file is deleted, without unmounting —
/// reopening must find every acknowledged record, nothing damaged, and take
/// writes again.
@Suite(.serialized) struct DiskFullTests {
    static let fillerBytes = 64 << 10

    @Test func theWALReportsDiskFullRefusesLaterWritesAndLosesNothingAcknowledged() async throws {
        let mount = try SmallDisk("wal")
        defer { mount.unmount() }
        try mount.writeFiller(Self.fillerBytes)
        let walPath = mount.sub("wal")

        // Growing segments (no preallocation), so the disk fills while records are appended;
        // with preallocation it fills when a segment is created, tested below.
        let options = GroupCommitOptions(wal: WALOptions(preallocate: false))
        let log = try GroupCommitLog(directory: walPath, fileSystem: POSIXFileSystem(), options: options)
        let acknowledged = Shared<[UInt64: [UInt8]]>([:])
        let failures = Shared<[StorageError]>([])
        // Eight proposers append 1 KiB records until the disk is full.
        await withTaskGroup(of: Void.self) { group in
            for p in 0..<8 {
                group.addTask {
                    for n in 0..<10_000 {
                        let payload = Self.record(p, n)
                        do throws(StorageError) {
                            let index = try await log.append(type: 1, payload: payload)
                            acknowledged.withLock { $0[index] = payload }
                        } catch {
                            failures.withLock { $0.append(error) }
                            return
                        }
                    }
                }
            }
        }
        let errors = failures.withLock { $0 }
        let acked = acknowledged.withLock { $0 }
        #expect(errors.count == 8, "every proposer stops on an error")
        // The batch that hit the wall gets ENOSPC as such, with the file named; the rest are refused.
        let diskFull = errors.filter(\.isDiskFull)
        #expect(!diskFull.isEmpty, "\(errors)")
        if let first = diskFull.first {
            #expect(first == .diskFull(path: joinPath(walPath, "0000000000000001.wal")))
            #expect(first.description.contains("disk full writing \(walPath)/0000000000000001.wal"))
        }
        for error in errors where !error.isDiskFull {
            guard case let .failed(path, cause) = error else { Issue.record("unexpected \(error)"); continue }
            #expect(path == walPath)
            #expect(cause.hasPrefix("disk full"), "\(cause)")
        }
        #expect(log.failure?.isDiskFull == true)
        await #expect(throws: StorageError.self) { try await log.append(type: 1, payload: [1]) }
        #expect(acked.count > 100, "only \(acked.count) records fit")
        print("disk full (WAL): \(acked.count) records acknowledged, then \(diskFull.count) × \(diskFull.first.map { "\($0)" } ?? "-") and \(errors.count - diskFull.count) refusals")
        log.close()

        // Free space (no unmount: the same file system), reopen, check, write again.
        try mount.removeFiller()
        var records: [WALRecord] = []
        let reopened = try GroupCommitLog(directory: walPath, fileSystem: POSIXFileSystem(), options: options) { records.append($0) }
        #expect(records.count == acked.count, "the failed batch was cut back, so exactly the acknowledged records are there")
        for (index, payload) in acked {
            try #require(Int(index) < records.count, "acknowledged record \(index) is lost")
            #expect(records[Int(index)] == WALRecord(type: 1, payload: payload), "record \(index)")
        }
        for n in 0..<20 {
            let index = try await reopened.append(type: 1, payload: Self.record(99, n))
            #expect(index == UInt64(records.count + n))
        }
        reopened.close()
        var again: [WALRecord] = []
        _ = try WriteAheadLog(directory: walPath, fileSystem: POSIXFileSystem()) { again.append($0) }
        #expect(again.count == records.count + 20)
        #expect(Array(again.prefix(records.count)) == records)
    }

    /// A preallocated segment that does not fit is refused as disk full when it
    /// is created, and a half-created segment is not mistaken for data.
    @Test func aPreallocatedSegmentThatDoesNotFitIsAClearDiskFullError() throws {
        let mount = try SmallDisk("wal-prealloc")
        defer { mount.unmount() }
        let walPath = mount.sub("wal")
        let options = WALOptions(segmentSize: 1 << 20, preallocate: true) // 1 MiB on a 256 KiB disk
        do {
            _ = try WriteAheadLog(directory: walPath, fileSystem: POSIXFileSystem(), options: options) { _ in }
            Issue.record("a 1 MiB segment was created on a 256 KiB disk")
        } catch {
            #expect(error.isDiskFull, "\(error)")
        }
        // With room for it, the same directory opens cleanly.
        let fits = WALOptions(segmentSize: 64 << 10, preallocate: true)
        let log = try WriteAheadLog(directory: walPath, fileSystem: POSIXFileSystem(), options: fits) { _ in }
        try log.append(type: 1, payload: [1, 2, 3])
        try log.sync()
        log.close()
        var back: [WALRecord] = []
        _ = try WriteAheadLog(directory: walPath, fileSystem: POSIXFileSystem(), options: fits) { back.append($0) }
        #expect(back == [WALRecord(type: 1, payload: [1, 2, 3])])
    }

    @Test func theBlockStoreReportsDiskFullRefusesLaterWritesAndLosesNothingSynced() throws {
        let mount = try SmallDisk("blocks")
        defer { mount.unmount() }
        try mount.writeFiller(Self.fillerBytes)
        let blocksPath = mount.sub("blocks")
        var chain = FillerChain()

        var synced: [SealedBlock] = []
        var firstError: StorageError?
        do {
            let store = try BlockStore(directory: blocksPath, fileSystem: POSIXFileSystem())
            var pending: [SealedBlock] = []
            fill: for _ in 0..<10_000 {
                for _ in 0..<2 {
                    let block = chain.next()
                    do {
                        try store.append(block)
                        pending.append(block)
                    } catch {
                        firstError = error
                        break fill
                    }
                }
                do {
                    try store.sync()
                    synced += pending
                    pending = []
                } catch {
                    firstError = error
                    break
                }
            }
            let error = try #require(firstError, "the disk never filled")
            #expect(error.isDiskFull, "\(error)")
            #expect(error.description.hasPrefix("disk full writing \(blocksPath)/"), "\(error)")
            // Every later write is refused, naming the first failure.
            do {
                try store.append(chain.next())
                Issue.record("an append after the disk filled was accepted")
            } catch {
                guard case let .failed(path, cause) = error else { Issue.record("unexpected \(error)"); return }
                #expect(path == blocksPath)
                #expect(cause.hasPrefix("disk full"), "\(cause)")
            }
            #expect(throws: StorageError.self) { try store.sync() }
            #expect(synced.count > 20, "only \(synced.count) blocks fit")
            print("disk full (block store): \(synced.count) blocks synced, then \(error)")
        }

        try mount.removeFiller()
        let store = try BlockStore(directory: blocksPath, fileSystem: POSIXFileSystem())
        #expect(store.height >= UInt64(synced.count))
        for block in synced {
            let stored = try #require(try store.block(at: block.height), "synced block \(block.height) is lost")
            #expect(stored.encoded() == block.encoded(), "block \(block.height)")
        }
        // Writing resumes where the store's head is.
        var resumed = FillerChain(continuing: store.height, head: store.headHash!)
        for _ in 0..<5 {
            try store.append(resumed.next())
            try store.sync()
        }
        #expect(store.height == resumed.height)
        try store.close()
        let reopened = try BlockStore(directory: blocksPath, fileSystem: POSIXFileSystem())
        #expect(reopened.height == resumed.height)
        #expect(try reopened.blocks(from: 1, through: reopened.height, maxBytes: .max).count == Int(reopened.height))
    }

    /// 1 KiB that does not compress: the proposer, the number, then noise.
    static func record(_ proposer: Int, _ n: Int) -> [UInt8] {
        var rng = SplitMix64(seed: UInt64(proposer) << 32 | UInt64(n))
        return Array("\(proposer)/\(n)/".utf8) + (0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }
}

/// Blocks of two notices with 1.5 KB of barely compressible text each (placeholder
/// signatures: the block store does not check them).
struct FillerChain {
    private(set) var height: UInt64
    private var head: Hash
    private var rng = SplitMix64(seed: 7)
    static let community = CommunityID("disk-full")!

    init(continuing height: UInt64 = 0, head: Hash = Hash()) {
        self.height = height
        self.head = head
    }

    mutating func next() -> SealedBlock {
        height += 1
        let signer = PublicKey(raw: Bytes32((0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) })!)
        let txs = (0..<2).map { i in
            let body = (0..<94).map { _ in String(rng.next(), radix: 16) }.joined(separator: " ")
            let unsigned = UnsignedTransaction(community: Self.community, signer: signer, nonce: height * 2 + UInt64(i), time: height,
                                               payload: .notice(Notice(category: .general, title: "Filler \(height).\(i)", body: body)))
            return Transaction(unsigned, signature: Signature((0..<64).map { _ in UInt8(truncatingIfNeeded: rng.next()) })!)
        }
        let block = Block(community: Self.community, height: height, previous: head, time: height * 1000, proposer: 0, transactions: txs)
        head = block.header.hash
        let votes = (0..<2).map { BlockVote(validator: UInt32($0), signature: Signature((0..<64).map { _ in UInt8(truncatingIfNeeded: rng.next()) })!) }
        return SealedBlock(block: block, certificate: CommitCertificate(height: height, headerHash: head, votes: votes))
    }
}

/// A 256 KiB tmpfs mounted on a scratch directory, with a filler file that can be deleted to free space.
final class SmallDisk {
    let scratch: ScratchDirectory
    private var mounted = false
    var path: String { scratch.path }

    struct MountFailed: Error, CustomStringConvertible {
        var description: String
    }

    init(_ name: String, size: String = "256k") throws {
        scratch = try ScratchDirectory("disk-full-\(name)")
        let result = try runTool("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", scratch.path])
        guard result.status == 0 else {
            throw MountFailed(description: """
                the disk-full tests mount a \(size) tmpfs and need root (or CAP_SYS_ADMIN) for it; \
                `mount -t tmpfs -o size=\(size) tmpfs \(scratch.path)` failed with status \(result.status): \(result.stderr)
                """)
        }
        mounted = true
    }

    func sub(_ name: String) -> String { joinPath(path, name) }

    func writeFiller(_ bytes: Int) throws {
        try Data(repeating: 0xAB, count: bytes).write(to: URL(fileURLWithPath: sub("filler")))
    }

    func removeFiller() throws {
        try FileManager.default.removeItem(atPath: sub("filler"))
    }

    func unmount() {
        guard mounted else { return }
        mounted = false
        if let result = try? runTool("/usr/bin/umount", [path]), result.status == 0 { return }
        // Something still holds a file open: detach now, the kernel finishes when it is closed.
        _ = try? runTool("/usr/bin/umount", ["-l", path])
    }

    deinit { unmount() }
}
