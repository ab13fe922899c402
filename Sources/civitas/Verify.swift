import ArgumentParser
import CivitasCodec
import CivitasLedger
import CivitasStorage

/// `civitas verify --data-dir DIR`: re-verify a node's stored chain from its files.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-verify a node's stored block chain from its files (read-only).",
        discussion: """
        Reads DIR/genesis.civ and every byte of DIR/blocks: the checksum of every record, contiguous \
        heights, hash links, Merkle roots, commit certificates against the genesis validators, and \
        transaction signatures; then checks DIR/blocks/index against the segments. It stops at the \
        first bad height and names the file and byte offset.

        Exit status: 0 the chain verifies (a torn write that was never synced, which the node cuts \
        off when it opens the store, is reported but is not damage); 1 a height does not verify or \
        the files cannot be read; 2 the chain verifies but the index is damaged or disagrees with \
        it (the node rebuilds a damaged index when it opens the store).
        """
    )

    @Option(name: .customLong("data-dir"), help: "The node's data directory (holds genesis.civ and blocks/).")
    var dataDirectory: String

    @Flag(help: "Skip every signature check, votes and transactions (a fast integrity scan: checksums, heights, links and Merkle roots are still checked).")
    var skipSignatures = false

    func run() throws {
        let directory = DataDirectory(dataDirectory)
        let fileSystem = POSIXFileSystem()
        let genesis = try Self.readGenesis(directory.genesis, fileSystem: fileSystem)
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
        print("result: OK")
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
