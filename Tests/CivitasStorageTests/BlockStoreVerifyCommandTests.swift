import CivitasLedger
import CivitasStorage
import CivitasTestSupport
import Foundation
import Testing

/// `civitas verify` as a real process, on a data directory written with the library.
@Suite struct BlockStoreVerifyCommandTests {
    /// The `civitas` binary of this build: beside the test runner (`swift test`
    /// builds every product into the same directory), else under `.build/debug`.
    static let binary: String? = {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [runner.appendingPathComponent("civitas").path, root.appendingPathComponent(".build/debug/civitas").path]
        return candidates.first(where: isExecutable)
    }()

    func verify(_ dataDirectory: String) throws -> (status: Int32, output: String) {
        let result = try runTool(try #require(Self.binary), ["verify", "--data-dir", dataDirectory])
        return (result.status, String(decoding: result.stdout, as: UTF8.self) + result.stderr)
    }

    @Test(.enabled(if: binary != nil, "needs the civitas binary built beside the tests"))
    func verifyExitsZeroOnAGoodChainAndNamesTheFirstBadHeightOtherwise() throws {
        let dir = try ScratchDirectory("cli")
        var chain = BlockTestChain(seed: 8)
        chain.extend(by: 10)
        try writeBytes(dir.sub("genesis.civ"), chain.genesis.encoded())
        let blocks = dir.sub("blocks")
        try writeBlockStore(chain, in: blocks, options: BlockStoreOptions(segmentSize: 4 << 10))

        var (status, output) = try verify(dir.path)
        #expect(status == 0, "\(output)")
        #expect(output.contains("blocks: 10 verified"))
        #expect(output.contains("result: OK"))

        // One flipped byte inside block 6's body.
        let files = try snapshotDirectory(blocks)
        let name = try #require(blockSegmentNames(files).last { name in blockSegmentItems(files[name]!).contains { $0.kind == .block && $0.height == 6 } })
        let record = try #require(blockSegmentItems(files[name]!).first { $0.kind == .block && $0.height == 6 })
        var damaged = files[name]!
        damaged[record.offset + 56 + record.length / 2] ^= 0x10
        try writeBytes((blocks as NSString).appendingPathComponent(name), damaged)
        (status, output) = try verify(dir.path)
        #expect(status == 1, "\(output)")
        #expect(output.contains("first bad height: 6"), "\(output)")
        #expect(output.contains("\(name), offset \(record.offset)"), "\(output)")
        #expect(output.contains("blocks: 5 verified"))
        #expect(output.contains("result: FAILED"))

        // A damaged index alone: the chain verifies, exit status 2.
        try restoreDirectory(files, in: blocks)
        var index = files["index"]!
        index[index.count / 2] ^= 0x01
        try writeBytes((blocks as NSString).appendingPathComponent("index"), index)
        (status, output) = try verify(dir.path)
        #expect(status == 2, "\(output)")
        #expect(output.contains("index: DAMAGED"))

        // No genesis document: a one-line error, exit status 1.
        try FileManager.default.removeItem(atPath: dir.sub("genesis.civ"))
        (status, output) = try verify(dir.path)
        #expect(status == 1)
        #expect(output.contains("genesis"))
    }

    /// SQLite has no page checksums, so a flipped byte inside a stored value
    /// passes its structure check; comparing with a rebuild from the chain finds it.
    @Test(.enabled(if: binary != nil, "needs the civitas binary built beside the tests"))
    func verifyFindsAValueDamagedInTheStateDatabase() throws {
        let dir = try ScratchDirectory("cli-state")
        var chain = BlockTestChain(seed: 9)
        chain.extend(by: 8, largeEvery: 0)
        try writeBytes(dir.sub("genesis.civ"), chain.genesis.encoded())
        try writeBlockStore(chain, in: dir.sub("blocks"), options: BlockStoreOptions())
        let state = dir.sub("state.sqlite")
        try StateDatabase.rebuild(path: state, genesis: chain.genesis, blocks: chain.blocks).close()

        var (status, output) = try verify(dir.path)
        #expect(status == 0, "\(output)")
        #expect(output.contains("state database: applied height 8"), "\(output)")

        // Flip one letter of a notice's text where it sits in the file.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: state)))
        let needle = Array("Water off in building".utf8)
        let at = try #require((0...(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) })
        bytes[at] ^= 0x20 // "Water" becomes "water"
        try writeBytes(state, bytes)
        (status, output) = try verify(dir.path)
        #expect(status == 3, "\(output)")
        #expect(output.contains("differs from the chain"), "\(output)")
    }
}
