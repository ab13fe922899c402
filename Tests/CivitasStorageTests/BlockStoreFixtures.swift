import CivitasCodec
import CivitasLedger
import CivitasStorage
import CivitasTestSupport
import Foundation
import Testing

/// A community with deterministic keys and a chain of really signed,
/// really certified blocks (`blocks[i]` is height `i + 1`).
struct BlockTestChain {
    let genesis: GenesisDocument
    let validatorKeys: [SigningKey]
    let members: [SigningKey]
    private(set) var blocks: [SealedBlock] = []
    private var nonces: [Int: UInt64] = [:]
    private var rng: SplitMix64

    static let community = CommunityID("block-store-test")!

    init(seed: UInt64 = 1, validators: Int = 3) {
        rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 0xB10C)
        var keys: [SigningKey] = []
        for _ in 0..<(validators + 4) { keys.append(SigningKey(seed: Bytes32(rng.bytes(32))!)) }
        let validatorKeys = Array(keys.prefix(validators))
        let members = Array(keys.suffix(4))
        let entries = validatorKeys.enumerated().map { i, key in
            ValidatorEntry(name: "Validator \(i)", subject: members[i % members.count].publicKey, nodeKey: key.publicKey)
        }
        self.validatorKeys = validatorKeys
        self.members = members
        genesis = GenesisDocument(
            community: Self.community, time: 1_767_225_600_000, validators: entries, registrars: [members[0].publicKey],
            // The members are registered organisations, so their general notices apply (docs/governance.md).
            subjects: members.enumerated().map { i, k in
                GenesisSubject(key: k.publicKey, displayName: "Member \(i)", unit: "Office \(i)", roles: RoleSet([.residentsCommittee]))
            }, parameters: GenesisParameters())
    }

    var head: Hash { blocks.last?.header.hash ?? genesis.hash }

    /// Appends `count` blocks of 0…3 signed notices each; every `largeEvery`-th
    /// block carries a body above the zstd threshold.
    mutating func extend(by count: Int, largeEvery: Int = 3) {
        for _ in 0..<count {
            let height = UInt64(blocks.count + 1)
            let large = largeEvery > 0 && height % UInt64(largeEvery) == 0
            let n = large ? 2 : rng.int(0...3)
            let txs = (0..<n).map { i in transaction(height: height, index: i, large: large) }
            blocks.append(seal(Block(community: Self.community, height: height, previous: head,
                                     time: genesis.time + height * 1_000, proposer: UInt32(height % UInt64(validatorKeys.count)),
                                     transactions: txs)))
        }
    }

    /// A notice signed by one of the members (a long, compressible body if `large`).
    mutating func transaction(height: UInt64, index: Int, large: Bool = false) -> Transaction {
        let who = Int(height &+ UInt64(index)) % members.count
        nonces[who, default: 0] += 1
        let body = large
            ? String(repeating: "Minutes of the owners' meeting on the lift repair, item \(height).\(index). ", count: 20)
            : "Water off in building \(height % 9 + 1) on day \(height), notice \(index)."
        let payload = TransactionPayload.notice(Notice(category: .general, title: "Notice \(height).\(index)", body: body))
        return UnsignedTransaction(community: Self.community, signer: members[who].publicKey, nonce: nonces[who]!,
                                   time: genesis.time + height * 1_000, payload: payload).signed(with: members[who])
    }

    /// `block` with a certificate from a majority of the validators.
    func seal(_ block: Block, voters: Int? = nil) -> SealedBlock {
        let hash = block.header.hash
        let count = voters ?? (validatorKeys.count / 2 + 1)
        let votes = validatorKeys.prefix(count).enumerated().map { i, key in BlockVote(index: UInt32(i), key: key, headerHash: hash) }
        return SealedBlock(block: block, certificate: CommitCertificate(height: block.header.height, headerHash: hash, votes: votes))
    }

    /// Replaces the last block (for building deliberately bad chains).
    mutating func replaceLast(with block: SealedBlock) { blocks[blocks.count - 1] = block }
}

/// Blocks that link correctly but carry placeholder signatures: the store does
/// not check signatures, so these measure it without the cost of signing.
enum UnsignedBlockChain {
    static func blocks(_ count: Int, transactionsPerBlock: Int = 6) -> [SealedBlock] {
        var rng = SplitMix64(seed: 77)
        let community = BlockTestChain.community
        let signer = PublicKey(raw: Bytes32(rng.bytes(32))!)
        let pool: [Transaction] = (0..<64).map { i in
            let body = UnsignedTransaction(
                community: community, signer: signer, nonce: UInt64(i + 1), time: 1_767_225_600_000,
                payload: .notice(Notice(category: .services, title: "Notice \(i)",
                                        body: "Hot water maintenance in building \(i % 12 + 1), floors \(i % 30) to \(i % 30 + 3), from 09:00 to 17:00.")))
            return Transaction(body, signature: Signature(rng.bytes(64))!)
        }
        var result: [SealedBlock] = []
        result.reserveCapacity(count)
        var previous = Hash(rng.bytes(32))!
        for h in 1...count {
            let txs = (0..<transactionsPerBlock).map { pool[(h * 7 + $0) % pool.count] }
            let block = Block(community: community, height: UInt64(h), previous: previous, time: 1_767_225_600_000 + UInt64(h) * 200,
                              proposer: 0, transactions: txs)
            let hash = block.header.hash
            let votes = (0..<2).map { BlockVote(validator: UInt32($0), signature: Signature(rng.bytes(64))!) }
            result.append(SealedBlock(block: block, certificate: CommitCertificate(height: UInt64(h), headerHash: hash, votes: votes)))
            previous = hash
        }
        return result
    }
}


/// The files of a directory, by name.
typealias BlockDirectorySnapshot = [String: [UInt8]]

func snapshotDirectory(_ directory: String) throws -> BlockDirectorySnapshot {
    var result: BlockDirectorySnapshot = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
        result[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name)))
    }
    return result
}

/// Makes `directory` hold exactly `files`, rewriting (in place) only the files that differ.
func restoreDirectory(_ files: BlockDirectorySnapshot, in directory: String) throws {
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) where files[name] == nil {
        try FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
    }
    let fs = POSIXFileSystem()
    for (name, bytes) in files {
        let path = (directory as NSString).appendingPathComponent(name)
        let file = try fs.open(path, create: true)
        defer { file.close() }
        let current = try file.readAll()
        guard current != bytes else { continue }
        let common = min(current.count, bytes.count)
        let first = (0..<common).first { current[$0] != bytes[$0] } ?? common
        if first < bytes.count { try file.write(Array(bytes[first...]), at: first) }
        if current.count > bytes.count { try file.truncate(to: bytes.count) }
    }
}

func writeBytes(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
func readBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// Changes one file in place to `bytes` (cheaper than replacing it, for sweeps).
func overwriteBytes(_ path: String, _ bytes: [UInt8]) throws {
    let file = try POSIXFileSystem().open(path, create: true)
    defer { file.close() }
    try file.write(bytes, at: 0)
    try file.truncate(to: bytes.count)
}

/// Segment files in name order.
func blockSegmentNames(_ files: BlockDirectorySnapshot) -> [String] { files.keys.filter { $0.hasSuffix(".seg") }.sorted() }

/// The items of a segment file, parsed from the documented layout (docs/storage.md).
struct BlockSegmentItem: Equatable {
    enum Kind { case block, marker, seal }
    var kind: Kind
    var offset: Int
    var length: Int
    var height: UInt64
    var end: Int { offset + 56 + length }
}

func blockSegmentItems(_ bytes: [UInt8]) -> [BlockSegmentItem] {
    func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
    func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
    var items: [BlockSegmentItem] = []
    var at = 24
    while at + 56 <= bytes.count {
        let magic = u32(at)
        let kind: BlockSegmentItem.Kind = magic == 0x5242_5643 ? .block : magic == 0x4542_5643 ? .seal : .marker  // "CVBR", "CVBE", "CVBM"
        let length = Int(u32(at + 4))
        items.append(BlockSegmentItem(kind: kind, offset: at, length: length, height: u64(at + 8)))
        at += 56 + length
    }
    return items
}


extension StorageError {
    var isCorrupt: Bool {
        if case .corrupt = self { return true }
        return false
    }

    var isFailed: Bool {
        if case .failed = self { return true }
        return false
    }

    var isInvalidArgument: Bool {
        if case .invalidArgument = self { return true }
        return false
    }

    var corruptPath: String? {
        if case let .corrupt(path, _, _) = self { return path }
        return nil
    }

    var corruptOffset: Int? {
        if case let .corrupt(_, offset, _) = self { return offset }
        return nil
    }
}

/// Writes `chain`'s blocks into a fresh store in `directory`, syncing every `syncEvery` blocks, then closes it.
func writeBlockStore(_ chain: BlockTestChain, in directory: String, options: BlockStoreOptions, syncEvery: Int = 1, close: Bool = true) throws {
    let store = try BlockStore(directory: directory, fileSystem: POSIXFileSystem(), options: options)
    for (i, block) in chain.blocks.enumerated() {
        try store.append(block)
        if (i + 1) % syncEvery == 0 { try store.sync() }
    }
    if close { try store.close() } else { try store.sync() }
}

// MARK: Fault injection

/// The real disk without fsync: for sweeps that damage a store thousands of
/// times over and simulate no power loss, where fsync would only add waiting.
final class FsyncFreeFileSystem: FileSystem {
    let base = POSIXFileSystem()

    func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile { File(try base.open(path, create: create)) }
    func list(_ directory: String) throws(StorageError) -> [String] { try base.list(directory) }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func createDirectory(_ path: String) throws(StorageError) { try base.createDirectory(path) }
    func remove(_ path: String) throws(StorageError) { try base.remove(path) }
    func rename(_ from: String, to: String) throws(StorageError) { try base.rename(from, to: to) }
    func syncDirectory(_ directory: String) throws(StorageError) {}

    final class File: StorageFile {
        let base: any StorageFile
        init(_ base: any StorageFile) { self.base = base }
        var path: String { base.path }
        func size() throws(StorageError) -> Int { try base.size() }
        func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8] { try base.read(at: offset, count: count) }
        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) { try base.write(bytes, at: offset) }
        func sync() throws(StorageError) {}
        func truncate(to size: Int) throws(StorageError) { try base.truncate(to: size) }
        func close() { base.close() }
    }
}

/// Wraps a file system; writes fail with "disk full" once `budget` bytes have
/// been written (the failing write lands its first bytes first, as a short
/// write does), and truncation can be made to fail too.
final class DiskFullFileSystem: FileSystem {
    let base: any FileSystem
    var budget: Int
    var truncateFails = false
    private(set) var failures = 0

    init(_ base: any FileSystem, budget: Int) {
        self.base = base
        self.budget = budget
    }

    func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        FaultyFile(try base.open(path, create: create), fs: self)
    }
    func list(_ directory: String) throws(StorageError) -> [String] { try base.list(directory) }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func createDirectory(_ path: String) throws(StorageError) { try base.createDirectory(path) }
    func remove(_ path: String) throws(StorageError) { try base.remove(path) }
    func rename(_ from: String, to: String) throws(StorageError) { try base.rename(from, to: to) }
    func syncDirectory(_ directory: String) throws(StorageError) { try base.syncDirectory(directory) }

    final class FaultyFile: StorageFile {
        let base: any StorageFile
        unowned let fs: DiskFullFileSystem
        init(_ base: any StorageFile, fs: DiskFullFileSystem) {
            self.base = base
            self.fs = fs
        }
        var path: String { base.path }
        func size() throws(StorageError) -> Int { try base.size() }
        func read(at offset: Int, count: Int) throws(StorageError) -> [UInt8] { try base.read(at: offset, count: count) }
        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(StorageError) {
            if bytes.count > fs.budget {
                let landed = max(0, fs.budget)
                if landed > 0 { try base.write(UnsafeRawBufferPointer(rebasing: bytes[0..<landed]), at: offset) }
                fs.budget = 0
                fs.failures += 1
                throw .diskFull(path: path)
            }
            fs.budget -= bytes.count
            try base.write(bytes, at: offset)
        }
        func sync() throws(StorageError) { try base.sync() }
        func truncate(to size: Int) throws(StorageError) {
            if fs.truncateFails { throw .io(path: path, operation: "ftruncate", errno: 5) }
            try base.truncate(to: size)
        }
        func close() { base.close() }
    }
}
