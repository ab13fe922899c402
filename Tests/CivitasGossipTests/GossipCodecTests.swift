import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasTime
import Testing

/// The wire format of every gossip message, and the address book file.
@Suite("Gossip wire format and address book")
struct GossipCodecTests {
    static func samples() -> [GossipMessage] {
        let chain = Fixtures.chain(count: 3)
        let payload = Array("notice: water off on Tuesday".utf8)
        let updates: [MembershipUpdate] = [
            .alive(incarnation: 3, record: Fixtures.record(1)),
            .suspect(node: Fixtures.id(2), incarnation: 1, by: Fixtures.id(3)),
            .dead(node: Fixtures.id(4), incarnation: 300, by: Fixtures.id(4)),
        ]
        return [
            .ping(sequence: 1, updates: []),
            .ping(sequence: 200, updates: updates),
            .ack(sequence: 1 << 40, updates: updates),
            .pingRequest(sequence: 5, target: Fixtures.id(9), updates: updates),
            .nack(sequence: 77),
            .sync(reply: true, updates: updates),
            .sync(reply: false, updates: []),
            .gossip(topic: .communityTransactions, round: 4, id: .of(topic: .communityTransactions, payload: payload), payload: payload),
            .gossip(topic: .cityReferrals, round: 0, id: .of(topic: .cityReferrals, payload: []), payload: []),
            .ihave([Announcement(topic: .communityBlocks, round: 2, id: Hashing.sha256([1])), Announcement(topic: .blockSignatures, round: 300, id: Hashing.sha256([2]))]),
            .graft([Hashing.sha256([3]), Hashing.sha256([4])]),
            .prune,
            .chainStatus(height: 12_345, head: Hashing.sha256([5])),
            .blockRequest(requestID: 9, start: 1_000, count: 64),
            .blockResponse(requestID: 9, blocks: chain.blocks),
            .blockResponse(requestID: 10, blocks: []),
            .digest(reply: false, members: [MemberDigest(node: Fixtures.id(1), incarnation: 0, state: .alive, recordSequence: 1),
                                            MemberDigest(node: Fixtures.id(2), incarnation: 300, state: .suspect, recordSequence: 7),
                                            MemberDigest(node: Fixtures.id(3), incarnation: 2, state: .dead, recordSequence: 1)]),
            .digest(reply: true, members: []),
        ]
    }

    @Test func everyMessageKindRoundTrips() throws {
        for m in Self.samples() {
            let bytes = m.encoded()
            #expect(bytes[0] == 0x70 && bytes[1] == 1)
            #expect(try GossipMessage(encoded: bytes) == m, "\(m.kindName)")
        }
    }

    @Test func everyTruncationIsRefusedWithATypedError() {
        for m in Self.samples() {
            let bytes = m.encoded()
            for cut in 0..<bytes.count {
                #expect(throws: CodecError.self, "\(m.kindName) cut at \(cut)") { try GossipMessage(encoded: Array(bytes[..<cut])) }
            }
            #expect(throws: CodecError.self) { try GossipMessage(encoded: bytes + [0]) }
        }
    }

    @Test func randomGarbageAndFlippedBytesNeverCrashAndNeverDecodeNonCanonically() {
        var g = SplitMix64(seed: 5)
        var inputs: [[UInt8]] = []
        for _ in 0..<3_000 {
            let n = Int(g.next() % 80)
            inputs.append([0x70, 1] + (0..<n).map { _ in UInt8(truncatingIfNeeded: g.next()) })
        }
        for m in Self.samples() {
            let bytes = m.encoded()
            for _ in 0..<40 {
                var flipped = bytes
                flipped[Int(g.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: g.next() | 1)
                inputs.append(flipped)
            }
        }
        var decoded = 0
        for input in inputs {
            if let m = try? GossipMessage(encoded: input) {
                decoded += 1
                #expect(m.encoded() == input, "a decoded message re-encodes to the same bytes")
            }
        }
        #expect(decoded < inputs.count)
    }

    @Test func specificViolationsNameTheirRule() {
        #expect(throws: CodecError(.unknownTag(tag: 13, field: "gossip message kind"), at: 2)) { try GossipMessage(encoded: [0x70, 1, 13]) }
        // A digest names a member state 0 (alive), 1 (suspect) or 2 (dead).
        #expect(throws: CodecError(.unknownTag(tag: 3, field: "member state"), at: 22)) {
            try GossipMessage(encoded: [0x70, 1, 12, 0, 1] + Array(repeating: 7, count: 16) + [0, 3, 1])
        }
        #expect(throws: CodecError(.unknownVersion(type: 0x70, version: 2), at: 1)) { try GossipMessage(encoded: [0x70, 2, 8]) }
        // An IHAVE must name something.
        #expect(throws: CodecError(.invalidValue(field: "announcements", reason: "an IHAVE announces at least one message"), at: 3)) { try GossipMessage(encoded: [0x70, 1, 6, 0]) }
        // An empty GRAFT is the tree optimisation's "make me eager".
        #expect((try? GossipMessage(encoded: [0x70, 1, 7, 0])) == .graft([]))
        // Block requests ask for 1...256 blocks.
        #expect(throws: CodecError.self) { try GossipMessage(encoded: [0x70, 1, 10, 1, 1, 0]) }
        #expect(throws: CodecError(.invalidValue(field: "block request count", reason: "257 is outside 1...256"), at: 5)) {
            try GossipMessage(encoded: [0x70, 1, 10, 1, 1, 0x81, 0x02])
        }
        // A payload or list that claims more than the limits is refused before allocation.
        let hugePayload: [UInt8] = [0x70, 1, 5, 0, 0] + [UInt8](repeating: 0, count: 32) + [0x80, 0x80, 0x80, 0x08]
        #expect(throws: CodecError(.lengthAboveLimit(length: 1 << 24, limit: 1 << 20), at: 37)) { try GossipMessage(encoded: hugePayload) }
        #expect(throws: CodecError(.lengthAboveLimit(length: 2_000, limit: 1_024), at: 3)) { try GossipMessage(encoded: [0x70, 1, 6, 0xd0, 0x0f]) }
        // An unknown topic.
        #expect(throws: CodecError(.unknownTag(tag: 5, field: "gossip topic"), at: 3)) { try GossipMessage(encoded: [0x70, 1, 5, 5, 0]) }
    }

    @Test func theAddressBookRoundTripsWithItsQualities() throws {
        var book = AddressBook()
        for i in [5, 1, 9] { book.learn(Fixtures.record(i), now: .origin + .nanoseconds(i)) }
        book.record(node: Fixtures.id(5), address: Fixtures.address(5), success: true, now: .origin + .nanoseconds(50))
        book.record(node: Fixtures.id(9), address: Fixtures.address(9), success: false, now: .origin + .nanoseconds(60))
        #expect(book.entry(for: Fixtures.id(5))?.quality == [63])
        #expect(book.entry(for: Fixtures.id(9))?.quality == [37])
        let bytes = book.encoded()
        let back = try AddressBook(encoded: bytes)
        #expect(back == book)
        #expect(back.entries.map(\.record.nodeID) == back.entries.map(\.record.nodeID).sorted())
        // A restarted node gets its peers back from the book.
        let node = Membership(selfRecord: Fixtures.record(0), seeds: [], addressBook: back, seed: 1, now: .origin)
        #expect(node.addressBook == book)
    }

    @Test func aCorruptAddressBookIsRefusedAndATamperedRecordIsDroppedOnLoad() throws {
        var book = AddressBook()
        for i in 1...3 { book.learn(Fixtures.record(i), now: .origin + .nanoseconds(1)) }
        let bytes = book.encoded()
        for cut in 0..<bytes.count {
            #expect(throws: CodecError.self) { try AddressBook(encoded: Array(bytes[..<cut])) }
        }
        // Quality above 100.
        var high = bytes
        let firstQuality = 2 + 1 + Fixtures.record(1).canonicalBytes().count + 1
        high[firstQuality] = 101
        #expect(throws: CodecError.self) { try AddressBook(encoded: high) }
        // Entries out of order.
        var entries = try AddressBook(encoded: bytes).entries
        entries.swapAt(0, 1)
        var w: [UInt8] = [0x71, 1, UInt8(entries.count)]
        for e in entries { w += e.canonicalBytes() }
        #expect(throws: CodecError.self) { try AddressBook(encoded: w) }
        // A record changed on disk decodes, but the membership core refuses it.
        var evil = bytes
        // Flip a byte inside record 1's address text: still canonical, signature broken.
        let addressAt = 2 + 1 + 32 + Fixtures.community.canonicalBytes().count + 1 + 1 + 1 + 2
        evil[addressAt] ^= 0x01
        let evilBook = try AddressBook(encoded: evil)
        let loaded = Membership(selfRecord: Fixtures.record(0), seeds: [], addressBook: evilBook, seed: 1, now: .origin)
        #expect(loaded.addressBook.entries.count == 2, "the record whose signature fails is dropped")
    }
}
