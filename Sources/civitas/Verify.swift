import ArgumentParser
import CivitasCodec
import Foundation
import CivitasGovernance
import CivitasLedger
import CivitasNode
import CivitasStorage

/// `civitas verify --data-dir DIR`: re-verify a node's stored chain from its files.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-verify a node's stored block chain from its files (read-only).",
        discussion: """
        Reads DIR/genesis.civ and every byte of DIR/blocks: the checksum of every record, contiguous \
        heights, hash links, Merkle roots, commit certificates against the genesis validators, and \
        transaction signatures; then checks DIR/blocks/index against the segments. It stops at the \
        first bad height and names the file and byte offset. If DIR/state.sqlite exists, a copy of it \
        is opened (SQLite's structure check) and its state digest compared with a database rebuilt \
        from the verified blocks up to the same height, so damage to any value is found.

        Exit status: 0 the chain verifies (a torn write that was never synced, which the node cuts \
        off when it opens the store, is reported but is not damage); 1 a height does not verify or \
        the files cannot be read; 2 the chain verifies but the index is damaged or disagrees with \
        it (the node rebuilds a damaged index when it opens the store); 3 the chain verifies but the \
        state database is damaged or disagrees with it (delete it: the node rebuilds it from blocks); \
        4 the chain verifies but disagrees with a checkpoint of it a neighbour recorded (--federation).

        With --federation NEIGHBOUR (repeatable: a neighbouring community's data directory, or one of its \
        nodes' client API as an http:// URL), \
        the chain is also checked against every checkpoint of it that neighbour recorded in its own \
        chain, and the first height that disagrees is named: a history rewritten after the neighbours \
        anchored it is found even when its own validators re-signed it.
        """
    )

    @Option(name: .customLong("data-dir"), help: "The node's data directory (holds blocks/ and state.sqlite), or the node directory `civitas init` made (holds data/).")
    var dataDirectory: String

    @Option(help: "The community's genesis document (default: genesis.civ in the data directory or the directory above it, where `civitas init` puts it).")
    var genesis: String?

    @Option(name: .customLong("federation"), help: "A neighbouring community's data directory or node URL (http://…, its client API): check this chain against the checkpoints of it recorded there (repeatable).")
    var neighbours: [String] = []

    @Flag(help: "Do not check the state database against the chain.")
    var skipState = false

    @Flag(help: "Skip every signature check, votes and transactions (a fast integrity scan: checksums, heights, links and Merkle roots are still checked).")
    var skipSignatures = false

    func run() async throws {
        let fileSystem = POSIXFileSystem()
        let (directory, genesisPath) = try Self.locate(dataDirectory: dataDirectory, genesis: genesis, fileSystem: fileSystem)
        let genesis = try Self.readGenesis(genesisPath, fileSystem: fileSystem)
        guard fileSystem.exists(directory.blocks) else { throw ToolError("no block store at \(directory.blocks)") }

        print("verifying \(directory.blocks)")
        print("genesis: community '\(genesis.community)', \(genesis.validators.count) validators, hash \(genesis.hash.hex)")
        let clock = ContinuousClock()
        let start = clock.now
        let verifier = ChainVerifier(directory: directory.blocks, fileSystem: fileSystem, genesis: genesis)
        let report = verifier.run(checkSignatures: !skipSignatures)
        let elapsed = clock.now - start
        print(report.description)
        let milliseconds = elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        print("took \(milliseconds) ms")
        if report.firstFault != nil {
            print("result: FAILED")
            throw ExitCode(1)
        }
        if !report.isClean {
            print("result: the chain verifies, but the index must be rebuilt")
            throw ExitCode(2)
        }
        if !skipState && fileSystem.exists(directory.stateDatabase) {
            if let problem = Self.checkState(directory, genesis: genesis, fileSystem: fileSystem) {
                print("state database: \(problem)")
                print("result: the chain verifies, but the state database must be rebuilt (delete \(directory.stateDatabase); the node rebuilds it from blocks)")
                throw ExitCode(3)
            }
        }
        if !neighbours.isEmpty {
            var first: FederationCheck.Disagreement?
            for neighbour in neighbours {
                let outcome = neighbour.hasPrefix("http://") || neighbour.hasPrefix("https://")
                    ? try await Self.checkAgainst(node: neighbour, directory: directory, genesis: genesis, fileSystem: fileSystem)
                    : try Self.checkAgainst(neighbour: neighbour, directory: directory, genesis: genesis, fileSystem: fileSystem)
                print("federation: \(neighbour): \(outcome.matched) recorded checkpoints of this chain match"
                      + (outcome.first.map { "; first disagreement at \($0)" } ?? ""))
                if let d = outcome.first, first.map({ d.height < $0.height }) ?? true { first = d }
            }
            if let first {
                print("first height that disagrees with the neighbours' records: \(first.height)")
                print("result: the chain verifies on its own, but not against the city's records: it was rewritten after height \(first.height) was anchored, or this is not the chain the neighbours saw")
                throw ExitCode(4)
            }
        }
        print("result: OK")
    }

    /// This chain against the checkpoints of it a neighbour's state database
    /// recorded (read from a copy, with the neighbour's own genesis document).
    static func checkAgainst(neighbour: String, directory: DataDirectory, genesis: GenesisDocument,
                             fileSystem: POSIXFileSystem) throws -> FederationCheck.Outcome {
        let (theirs, theirGenesisPath) = try locate(dataDirectory: neighbour, genesis: nil, fileSystem: fileSystem)
        let theirGenesis = try readGenesis(theirGenesisPath, fileSystem: fileSystem)
        guard fileSystem.exists(theirs.stateDatabase) else { throw ToolError("no state database at \(theirs.stateDatabase)") }
        let manager = FileManager.default
        let scratch = NSTemporaryDirectory() + "civitas-verify-federation-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? manager.removeItem(atPath: scratch) }
        try manager.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let copy = scratch + "/state.sqlite"
        for suffix in ["", "-wal"] where manager.fileExists(atPath: theirs.stateDatabase + suffix) {
            try manager.copyItem(atPath: theirs.stateDatabase + suffix, toPath: copy + suffix)
        }
        let state = try StateDatabase.open(path: copy, genesis: theirGenesis)
        defer { try? state.close() }
        return try compare(try state.checkpoints(of: genesis.community), by: "'\(theirGenesis.community)'", directory: directory,
                           genesis: genesis, fileSystem: fileSystem)
    }

    /// This chain against the checkpoints of it a neighbour's node serves
    /// (`GET /v1/checkpoints?community=`, the same rows its state database holds).
    static func checkAgainst(node url: String, directory: DataDirectory, genesis: GenesisDocument,
                             fileSystem: POSIXFileSystem) async throws -> FederationCheck.Outcome {
        guard let client = NodeHTTPClient(base: url) else { throw ToolError("--federation '\(url)' is not an http:// URL") }
        let answer = try await client.get("/v1/checkpoints?community=\(genesis.community.name)")
        guard answer.status == 200 else { throw ToolError("\(url): HTTP \(answer.status) for its checkpoints: \(answer.reason)") }
        let items = try JSONDecoder().decode(ListBody<CheckpointBody>.self, from: answer.body).items
        let recorded = try items.map { c -> CheckpointEntry in
            guard let community = CommunityID(c.community), let header = Hash(hex: c.headerHash), let chain = Hash(hex: c.genesisHash) else {
                throw ToolError("\(url): a checkpoint it served does not parse: \(c)")
            }
            return CheckpointEntry(community: community, height: c.height, headerHash: header, genesisHash: chain, isOwn: c.source == "own",
                                   recordedHeight: c.recordedHeight, recordedTime: 0, recordedIndex: nil, transaction: nil,
                                   submitter: nil, votes: nil, certificate: nil)
        }
        return try compare(recorded, by: url, directory: directory, genesis: genesis, fileSystem: fileSystem)
    }

    static func compare(_ recorded: [CheckpointEntry], by neighbour: String, directory: DataDirectory, genesis: GenesisDocument,
                        fileSystem: POSIXFileSystem) throws -> FederationCheck.Outcome {
        let store = try BlockStore(directory: directory.blocks, fileSystem: fileSystem, options: BlockStoreOptions(readOnly: true))
        defer { try? store.close() }
        return try FederationCheck.compare(recorded, by: neighbour, genesis: genesis) { height in
            height <= store.height ? try store.block(at: height)?.header.hash : nil
        }
    }

    /// Compares the state database with one rebuilt from the verified chain,
    /// working on copies so the node's files are never written. Nil if they agree.
    static func checkState(_ directory: DataDirectory, genesis: GenesisDocument, fileSystem: POSIXFileSystem) -> String? {
        let manager = FileManager.default
        let scratch = NSTemporaryDirectory() + "civitas-verify-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? manager.removeItem(atPath: scratch) }
        do {
            try manager.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            let copy = scratch + "/state.sqlite"
            for suffix in ["", "-wal"] where manager.fileExists(atPath: directory.stateDatabase + suffix) {
                try manager.copyItem(atPath: directory.stateDatabase + suffix, toPath: copy + suffix)
            }
            let live = try StateDatabase.open(path: copy, genesis: genesis)
            let height = try live.appliedHeight
            let digest = try live.stateDigest()
            try live.close()
            let store = try BlockStore(directory: directory.blocks, fileSystem: fileSystem, options: BlockStoreOptions(readOnly: true))
            guard height <= store.height else {
                return "applied height \(height) is above the stored chain's \(store.height)"
            }
            let reference = try StateDatabase.rebuild(path: scratch + "/reference.sqlite", genesis: genesis) { (h) throws(StorageError) in
                h <= height ? try store.block(at: h) : nil
            }
            let expected = try reference.stateDigest()
            try reference.close()
            try store.close()
            print("state database: applied height \(height), digest \(digest.hex)")
            return digest == expected ? nil : "its content differs from the chain's at height \(height) (digest \(digest.hex), expected \(expected.hex))"
        } catch {
            return "\(error)"
        }
    }

    /// The data directory and the genesis document for `--data-dir` and
    /// `--genesis`: `DIR` may be the data directory or the node directory
    /// holding it as `data/`; the genesis document is looked for in the data
    /// directory, then beside it (the layout `civitas init` makes).
    static func locate(dataDirectory: String, genesis: String?, fileSystem: POSIXFileSystem) throws -> (DataDirectory, String) {
        var directory = DataDirectory(dataDirectory)
        let nested = DataDirectory(dataDirectory + "/data")
        if !fileSystem.exists(directory.blocks), fileSystem.exists(nested.blocks) { directory = nested }
        if let genesis { return (directory, genesis) }
        let parent = URL(fileURLWithPath: directory.root).standardizedFileURL.deletingLastPathComponent().path + "/genesis.civ"
        let candidates = [directory.genesis, parent]
        guard let found = candidates.first(where: fileSystem.exists) else {
            throw ToolError("no genesis document at \(candidates.joined(separator: " or ")); name it with --genesis FILE")
        }
        return (directory, found)
    }

    /// The genesis document at `path`; a missing, oversized or undecodable file is a one-line error.
    static func readGenesis(_ path: String, fileSystem: POSIXFileSystem) throws -> GenesisDocument {
        let bytes: [UInt8]
        do {
            let file = try fileSystem.open(path, create: false)
            defer { file.close() }
            let size = try file.size()
            guard size <= 16 << 20 else { throw ToolError("\(path) is \(size) bytes; a genesis document is far smaller") }
            bytes = try file.read(at: 0, count: size)
        } catch let error as StorageError {
            throw ToolError("cannot read the genesis document: \(error)")
        }
        do {
            return try GenesisDocument(encoded: bytes)
        } catch {
            throw ToolError("\(path) is not a genesis document: \(error)")
        }
    }
}
