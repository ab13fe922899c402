import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasNetwork
import CivitasTime
import Foundation
import Testing

/// The address book on disk: round trips, and any damage is refused and set aside.
@Suite struct AddressBookFileTests {
    static func book(_ peers: Int) -> AddressBook {
        var book = AddressBook()
        for i in 0..<peers {
            let key = SigningKey(seed: Bytes32(Array(repeating: UInt8(i + 1), count: 32))!)
            let record = PeerRecord(key: key, community: CommunityID("ward-7")!, role: .observer,
                                    addresses: ["127.0.0.1:\(7000 + i)", "10.0.0.\(i):7000"], sequence: 1, time: Timestamp(1_000))
            book.learn(record, now: .origin + .nanoseconds(i))
            book.record(node: key.publicKey.nodeID, address: "127.0.0.1:\(7000 + i)", success: true, now: .origin + .nanoseconds(i + 10))
        }
        return book
    }

    static func scratch(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-book-\(name)-\(UInt64.random(in: 0..<UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("peers.book").path
    }

    @Test func aSavedBookLoadsBackEqual() throws {
        let path = try Self.scratch("roundtrip")
        let file = AddressBookFile(path: path)
        #expect(try file.load() == AddressBook(), "no file yet is an empty book")
        let book = Self.book(5)
        try file.save(book)
        #expect(try file.load() == book)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"), "the temporary file was left behind")
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    @Test func everyFlippedByteAndEveryTruncationIsRefused() {
        let bytes = AddressBookFile.encode(Self.book(2))
        for i in bytes.indices {
            var damaged = bytes
            damaged[i] ^= 0x10
            #expect(throws: CodecError.self, "flip at \(i) accepted") { _ = try AddressBookFile.decode(damaged) }
        }
        for n in 0..<bytes.count {
            #expect(throws: CodecError.self, "truncation to \(n) accepted") { _ = try AddressBookFile.decode(Array(bytes[..<n])) }
        }
    }

    @Test func aDamagedFileIsMovedAsideAndReported() throws {
        let path = try Self.scratch("damaged")
        let file = AddressBookFile(path: path)
        try file.save(Self.book(3))
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: AddressBookFile.LoadError.self) { _ = try file.load() }
        var reports: [String] = []
        let book = file.loadOrQuarantine { reports.append($0) }
        #expect(book == AddressBook())
        #expect(reports.count == 1 && reports[0].contains("SHA-256"), "report: \(reports)")
        #expect(FileManager.default.fileExists(atPath: path + ".damaged"), "the damaged file was not kept")
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path + ".damaged")) == Data(bytes), "the damaged bytes were not kept as they were")
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}
