import CivitasCodec
import CivitasRaft
import Testing

/// The wire form of Raft messages: every message round-trips byte for byte,
/// and non-canonical or hostile input is refused with a reason.
@Suite struct MessageCodecTests {
    static func randomMessage(_ g: inout SplitMix64) -> Message {
        func n(_ max: UInt64) -> UInt64 { g.next() % (max + 1) }
        var m = Message(type: MessageType.allCases[Int(n(UInt64(MessageType.allCases.count - 1)))],
                        from: n(7) + 1, to: n(7) + 1, term: n(1 << 40))
        m.logTerm = n(1 << 20)
        m.index = n(1 << 33)
        m.commit = n(1 << 33)
        m.reject = n(1) == 1
        m.rejectHint = n(1 << 33)
        m.transfer = n(1) == 1
        m.entries = (0..<Int(n(6))).map { i in
            let payload: EntryPayload
            switch n(4) {
            case 0: payload = .noop
            case 1: payload = .config(.addVoter(n(9)))
            case 2: payload = .config(.remove(n(9)))
            default: payload = .data((0..<Int(n(40))).map { _ in UInt8(truncatingIfNeeded: g.next()) })
            }
            return Entry(term: m.term, index: m.index + UInt64(i) + 1, payload: payload)
        }
        if n(3) == 0 {
            m.snapshot = Snapshot(index: n(1000), term: n(50), configuration: Configuration(voters: [1, 2, n(9) + 3], learners: [20]),
                                  data: (0..<Int(n(16))).map { _ in UInt8(truncatingIfNeeded: g.next()) })
        }
        return m
    }

    @Test func everyMessageRoundTripsByteForByte() throws {
        var g = SplitMix64(seed: 60)
        for _ in 0..<2_000 {
            let m = Self.randomMessage(&g)
            let bytes = m.encoded()
            let decoded = try Message(encoded: bytes)
            #expect(decoded == m)
            #expect(decoded.encoded() == bytes)
        }
    }

    @Test func anyInputThatDecodesReEncodesToItself() {
        var g = SplitMix64(seed: 61)
        for _ in 0..<2_000 {
            var bytes = Self.randomMessage(&g).encoded()
            bytes[Int(g.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: g.next() | 1)
            if let m = try? Message(encoded: bytes) {
                #expect(m.encoded() == bytes)
            }
        }
    }

    @Test func everyStrictPrefixIsRejected() {
        var g = SplitMix64(seed: 62)
        let bytes = Self.randomMessage(&g).encoded()
        for k in 0..<bytes.count {
            #expect(throws: CodecError.self) { try Message(encoded: Array(bytes.prefix(k))) }
        }
    }

    @Test func nonCanonicalFormsAreRefusedWithTheirReason() throws {
        var m = Message(type: .snapshot, from: 1, to: 2, term: 3)
        m.snapshot = Snapshot(index: 5, term: 2, configuration: Configuration(voters: [1, 2, 3]), data: [])
        let good = m.encoded()
        // Byte 2 is the message type: 11 kinds, so 11 is unknown.
        var bad = good
        bad[2] = 11
        #expect(throws: CodecError(.unknownTag(tag: 11, field: "raft message type"), at: 2)) { try Message(encoded: bad) }
        // The reject flag (after type, from, to, term, logTerm, index, commit) must be 0 or 1.
        bad = good
        bad[9] = 2
        #expect(throws: CodecError(.invalidBool(2), at: 9)) { try Message(encoded: bad) }
        // Voters must be strictly ascending: the snapshot's voter list is [1, 2, 3] near the end.
        let voters = good.count - 6  // then learners (0 of them) and the data length (0)
        #expect(Array(good[voters..<(voters + 4)]) == [3, 1, 2, 3])
        bad = good
        bad.replaceSubrange(voters..<(voters + 4), with: [3, 2, 1, 3])
        #expect(throws: CodecError.self) { try Message(encoded: bad) }
        #expect(throws: CodecError(.trailingBytes(count: 1), at: good.count)) { try Message(encoded: good + [0]) }
        // A count of entries the input cannot hold is refused before allocating.
        var huge = Message(type: .append, from: 1, to: 2, term: 3).encoded()
        huge.removeLast(2)
        huge += Varint.encode(1_000_000) + [0]
        #expect(throws: CodecError.self) { try Message(encoded: huge) }
    }

    @Test func aDecodedMessageDrivesTheCoreLikeTheOriginal() throws {
        var leader = RaftCore.bootstrap(id: 1, voters: [1], seed: 1)
        for _ in 0..<30 { leader.tick() }
        #expect(leader.role == .leader)
        try leader.propose([[1, 2, 3]])
        _ = leader.ready()
        leader.advance()
        try leader.propose(configuration: .addLearner(2))
        let rd = leader.ready()
        leader.advance()
        var follower = RaftCore.joining(id: 2, seed: 2)
        var delivered = 0
        for m in rd.messages where m.to == 2 {
            follower.step(try Message(encoded: m.encoded()))
            delivered += 1
        }
        #expect(delivered > 0)
        #expect(follower.droppedMessages == 0)
        #expect(follower.leader == 1)
    }
}

/// Numbers from the network that no correct peer sends are refused, never a crash.
@Suite struct HostileMessageTests {
    /// Replica 1 of {1, 2, 3}, elected with replica 2's pre-vote and vote.
    static func leader() -> RaftCore {
        var l = RaftCore.bootstrap(id: 1, voters: [1, 2, 3], seed: 1)
        while l.role != .preCandidate { l.tick() }
        l.step(Message(type: .preVoteResponse, from: 2, to: 1, term: l.term + 1))
        l.step(Message(type: .voteResponse, from: 2, to: 1, term: l.term))
        return l
    }

    @Test func overflowingTermsAndIndexesAreDropped() {
        var f = RaftCore.bootstrap(id: 2, voters: [1, 2, 3], seed: 2)
        var huge = Message(type: .append, from: 1, to: 2, term: 5)
        huge.index = UInt64.max
        huge.entries = [Entry(term: 5, index: 0, payload: .noop)]
        f.step(huge)
        var farTerm = Message(type: .heartbeat, from: 1, to: 2, term: UInt64.max)
        f.step(farTerm)
        farTerm.type = .vote
        f.step(farTerm)
        var snap = Message(type: .snapshot, from: 1, to: 2, term: 5)
        snap.snapshot = Snapshot(index: UInt64.max, term: 1, configuration: Configuration(voters: [1, 2, 3]), data: [])
        f.step(snap)
        #expect(f.droppedMessages == 4)
        #expect(f.term == 1)
        #expect(f.lastIndex == 3)
    }

    @Test func aResponseAboutEntriesTheLeaderNeverHadIsDropped() throws {
        var l = Self.leader()
        try #require(l.role == .leader)
        let before = l.matchIndexes
        var r = Message(type: .appendResponse, from: 2, to: 1, term: l.term)
        r.index = l.lastIndex + 1_000
        l.step(r)
        r.index = 1
        r.reject = true
        r.rejectHint = UInt64.max - 1
        l.step(r)
        #expect(l.droppedMessages == 2)
        #expect(l.matchIndexes == before)
    }
}
