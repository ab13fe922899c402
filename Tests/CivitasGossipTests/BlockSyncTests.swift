import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasTime
import Testing

/// Catch-up from several peers, with the ledger's real certificate check.
@Suite("Block sync")
struct BlockSyncTests {
    enum Behaviour { case honest, forgesCertificates, silent }

    static let chain = Fixtures.chain(count: 300)

    static func verifier() -> CertificateVerifier {
        CertificateVerifier(validators: chain.keys, community: Fixtures.community)
    }

    /// Answers `request` as a peer with `behaviour` would.
    static func answer(_ message: GossipMessage, as behaviour: Behaviour) -> GossipMessage? {
        guard case let .blockRequest(id, start, count) = message else { return nil }
        let slice = Array(chain.blocks[Int(start - 1)..<Int(start - 1) + Int(count)])
        switch behaviour {
        case .honest:
            return .blockResponse(requestID: id, blocks: slice)
        case .forgesCertificates:
            var forged = slice
            forged[forged.count / 2].certificate.votes.removeLast()  // one vote short of a majority
            return .blockResponse(requestID: id, blocks: forged)
        case .silent:
            return nil
        }
    }

    @Test func catchesUpFromSeveralPeersAtOnceDespiteAForgerAndASilentPeer() {
        var settings = BlockSyncSettings()
        settings.maxTimeouts = 1  // drop the silent peer at its first timeout, so the test sees it happen
        var sync = BlockSync(height: 0, head: Self.chain.genesis, verifier: Self.verifier(), settings: settings)
        let peers: [(NodeID, Behaviour)] = [(Fixtures.id(1), .honest), (Fixtures.id(2), .forgesCertificates), (Fixtures.id(3), .silent), (Fixtures.id(4), .honest)]
        var now: MonotonicTime = .origin
        var pending: [(NodeID, GossipMessage)] = []
        var applied: [SealedBlock] = []
        var dropped: [NodeID: Misbehaviour] = [:]
        var maxParallelPeers = 0
        func take(_ d: BlockSyncDirectives) {
            pending += d.sends
            applied += d.apply
            for (p, why) in d.disconnects { dropped[p] = why }
        }
        for (p, _) in peers { take(sync.peerStatus(p, height: 300, now: now)) }
        #expect(sync.outstanding == 5, "all five ranges of 300 blocks are requested at once")
        var rounds = 0
        while sync.height < 300 && rounds < 100 {
            rounds += 1
            maxParallelPeers = max(maxParallelPeers, Set(pending.map { $0.0 }).count)
            let batch = pending
            pending = []
            // Answer the newest requests first: responses arrive out of order.
            for (peer, request) in batch.reversed() {
                let behaviour = peers.first { $0.0 == peer }!.1
                if dropped[peer] != nil { continue }
                if let response = Self.answer(request, as: behaviour) { take(sync.receive(response, from: peer, now: now)) }
            }
            now += .seconds(1)
            take(sync.tick(now: now))
        }
        #expect(sync.height == 300)
        #expect(sync.head == Self.chain.blocks.last!.header.hash)
        #expect(applied.map(\.height) == Array(1...300), "applied once each, in order")
        #expect(maxParallelPeers >= 3, "ranges were requested from several peers at once")
        guard case .invalid? = dropped[Fixtures.id(2)] else { Issue.record("the forger was not dropped: \(dropped)"); return }
        #expect(dropped[Fixtures.id(3)] == .unresponsive)
        #expect(dropped[Fixtures.id(1)] == nil && dropped[Fixtures.id(4)] == nil)
        // The forger is refused when it comes back.
        #expect(sync.peerStatus(Fixtures.id(2), height: 400, now: now).disconnects.count == 1)
    }

    /// Found by the node campaign: a range arrives while the gap below it is
    /// still open; the node then closes the gap by another path (blocks it
    /// sealed itself) and reports it with `advanced`. The buffered range now
    /// continues the chain and must be handed out at once — no response is
    /// outstanding, so nothing else would ever hand it out.
    @Test func blocksBufferedAboveAGapAreHandedOutWhenTheNodeClosesTheGapItself() {
        var sync = BlockSync(height: 0, head: Self.chain.genesis, verifier: Self.verifier())
        let d = sync.peerStatus(Fixtures.id(1), height: 128, now: .origin)
        #expect(d.sends.count == 2, "blocks 1-64 and 65-128 asked for")
        // Only the upper range is answered.
        let upper = d.sends.map(\.message).first { if case let .blockRequest(_, start, _) = $0 { return start == 65 } else { return false } }!
        let buffered = sync.receive(Self.answer(upper, as: .honest)!, from: Fixtures.id(1), now: .origin + .nanoseconds(1))
        #expect(buffered.apply.isEmpty, "65-128 wait for the gap")
        // The node applies 1-64 itself (sealed from its own votes, or by gossip).
        let closed = sync.advanced(to: 64, head: Self.chain.blocks[63].header.hash, now: .origin + .nanoseconds(2))
        #expect(closed.apply.map(\.height) == Array(65...128))
        #expect(sync.height == 128)
        #expect(sync.head == Self.chain.blocks[127].header.hash)
    }

    @Test func outOfOrderRangesWaitForTheGapAndAreAppliedInOrder() {
        var sync = BlockSync(height: 0, head: Self.chain.genesis, verifier: Self.verifier())
        let d = sync.peerStatus(Fixtures.id(1), height: 128, now: .origin)
        let requests = d.sends.map(\.message)
        #expect(requests.count == 2)
        #expect(requests.first == .blockRequest(requestID: 1, start: 1, count: 64))
        #expect(requests.last == .blockRequest(requestID: 2, start: 65, count: 64))
        let second = sync.receive(Self.answer(requests[1], as: .honest)!, from: Fixtures.id(1), now: .origin + .nanoseconds(1))
        #expect(second.apply.isEmpty && sync.height == 0, "blocks 65-128 wait for 1-64")
        let first = sync.receive(Self.answer(requests[0], as: .honest)!, from: Fixtures.id(1), now: .origin + .nanoseconds(2))
        #expect(first.apply.map(\.height) == Array(1...128))
    }

    @Test func aTimedOutRangeIsReassignedToAnotherPeer() {
        var settings = BlockSyncSettings()
        settings.requestTimeout = .seconds(2)
        var sync = BlockSync(height: 0, head: Self.chain.genesis, verifier: Self.verifier(), settings: settings)
        let slow = Fixtures.id(1), quick = Fixtures.id(2)
        let first = sync.peerStatus(slow, height: 50, now: .origin)
        #expect(first.sends.map(\.to) == [slow])
        _ = sync.peerStatus(quick, height: 50, now: .origin + .nanoseconds(1))
        let retry = sync.tick(now: .origin + .seconds(2))
        #expect(retry.sends.map(\.to) == [quick])
        guard case let .blockRequest(_, start, count)? = retry.sends.first?.message else { Issue.record("no request"); return }
        #expect(start == 1 && count == 50)
        let done = sync.receive(Self.answer(retry.sends[0].message, as: .honest)!, from: quick, now: .origin + .seconds(3))
        #expect(done.apply.count == 50)
        // The slow peer's late answer is ignored.
        let late = sync.receive(Self.answer(first.sends[0].message, as: .honest)!, from: slow, now: .origin + .seconds(4))
        #expect(late.apply.isEmpty && sync.height == 50)
    }

    @Test func resumesAfterARestartFromTheStoredHeight() {
        var before = BlockSync(height: 0, head: Self.chain.genesis, verifier: Self.verifier())
        var d = before.peerStatus(Fixtures.id(1), height: 300, now: .origin)
        var stored: [SealedBlock] = []
        stored += before.receive(Self.answer(d.sends[0].message, as: .honest)!, from: Fixtures.id(1), now: .origin + .nanoseconds(1)).apply
        #expect(stored.count == 64)
        // Crash: only the stored chain survives.
        var after = BlockSync(height: stored.last!.height, head: stored.last!.header.hash, verifier: Self.verifier())
        d = after.peerStatus(Fixtures.id(1), height: 300, now: .origin + .nanoseconds(10))
        #expect(d.sends.first?.message == .blockRequest(requestID: 1, start: 65, count: 64))
        var now: MonotonicTime = .origin + .nanoseconds(10)
        while after.height < 300 {
            let batch = d.sends
            d = BlockSyncDirectives()
            for (peer, request) in batch {
                let r = after.receive(Self.answer(request, as: .honest)!, from: peer, now: now)
                stored += r.apply
                d.sends += r.sends
            }
            now += .nanoseconds(1)
        }
        #expect(stored.map(\.height) == Array(1...300))
    }

    @Test func aResponseThatIsNotTheRangeAskedForCostsThePeerItsLink() {
        var sync = BlockSync(height: 0, head: Self.chain.genesis, verifier: Self.verifier())
        let d = sync.peerStatus(Fixtures.id(1), height: 10, now: .origin)
        guard case let .blockRequest(id, _, _)? = d.sends.first?.message else { Issue.record("no request"); return }
        let shifted = Array(Self.chain.blocks[1..<11])  // heights 2-11 for a request of 1-10
        let r = sync.receive(.blockResponse(requestID: id, blocks: shifted), from: Fixtures.id(1), now: .origin + .nanoseconds(1))
        #expect(r.apply.isEmpty)
        #expect(r.disconnects.map(\.peer) == [Fixtures.id(1)])
        // Another peer serves the range instead.
        let next = sync.peerStatus(Fixtures.id(2), height: 10, now: .origin + .nanoseconds(2))
        #expect(next.sends.first?.to == Fixtures.id(2))
    }

    @Test func theRealVerifierRefusesABlockOfAnotherCommunity() throws {
        let verifier = Self.verifier()
        try verifier.verify(Self.chain.blocks[0])
        let strict = CertificateVerifier(validators: Self.chain.keys, community: Fixtures.otherCommunity)
        #expect(throws: LedgerError.self) { try strict.verify(Self.chain.blocks[0]) }
    }
}
