import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasTime
import Testing

/// SWIM with Lifeguard, discovery from seeds and signed records.
@Suite("Membership: SWIM, Lifeguard, seeds and peer records")
struct MembershipTests {
    @Test func nodesJoinThroughOneSeedAndKeepTheirTargetOfLinks() {
        var settings = MembershipSettings()
        settings.targetPeers = 4
        var cluster = SwimCluster(count: 10, settings: settings)
        cluster.run(for: .seconds(20))
        for i in 0..<10 {
            #expect(cluster.nodes[i].liveMembers.count == 9, "node \(i) knows \(cluster.nodes[i].liveMembers.count) members")
            #expect(cluster.nodes[i].connected.count >= 4, "node \(i) has \(cluster.nodes[i].connected.count) links")
        }
    }

    @Test func fiftyNodesWithBoundedLinksConvergeAndStopChurning() {
        // The shipped link counts, far below N: every node must learn every member, probe
        // only over its own links, and the links must settle (no surplus churn).
        let settings = MembershipSettings()
        var cluster = SwimCluster(count: 50, settings: settings)
        cluster.run(for: .seconds(60))
        print("links per node: \(cluster.nodes.map(\.connected.count)); closes \(cluster.closes.count) dials \(cluster.dials.count) unlinked \(cluster.unlinkedSends)")
        for i in 0..<50 {
            #expect(cluster.nodes[i].liveMembers.count == 49, "node \(i) knows \(cluster.nodes[i].liveMembers.count) live members")
            let links = cluster.nodes[i].connected.count
            #expect(links >= settings.targetPeers && links <= settings.maxPeers, "node \(i) has \(links) links")
        }
        // After settling: nobody suspected, no link closed, nothing sent without a link.
        let events = cluster.events.count, closes = cluster.closes.count, unlinked = cluster.unlinkedSends
        cluster.run(for: .seconds(60))
        let suspicions = cluster.events[events...].filter { if case .suspected = $0.event { return true }; return false }
        #expect(suspicions.isEmpty, "\(suspicions.count) suspicions of healthy nodes")
        #expect(cluster.closes.count == closes, "\(cluster.closes.count - closes) links closed after settling")
        #expect(cluster.unlinkedSends == unlinked)
        #expect(cluster.nodes.allSatisfy { $0.localHealth == 0 })
    }

    @Test func aFailedNodeIsFoundByItsNeighboursAndEveryMemberLearnsIt() {
        var settings = MembershipSettings()
        settings.targetPeers = 3
        settings.maxPeers = 8
        var cluster = SwimCluster(count: 20, settings: settings)
        cluster.run(for: .seconds(30))
        #expect(cluster.nodes.allSatisfy { $0.liveMembers.count == 19 })
        let linkedTo7 = (0..<20).filter { cluster.nodes[$0].connected.contains(Fixtures.id(7)) }
        #expect(linkedTo7.count < 19, "not a full mesh")
        cluster.stopped.insert(7)
        cluster.run(for: .seconds(90))
        for i in 0..<20 where i != 7 {
            #expect(cluster.state(i, of: 7) == .dead, "node \(i) sees node 7 as \(String(describing: cluster.state(i, of: 7)))")
            #expect(cluster.nodes[i].liveMembers.count == 18)
        }
    }

    @Test func aPushPullDigestSendsOnlyWhatThePeerLacks() {
        var a = Membership(selfRecord: Fixtures.record(1), seeds: [], seed: 1, now: .origin)
        var b = Membership(selfRecord: Fixtures.record(2), seeds: [], seed: 2, now: .origin)
        let shared = (3...6).map { MembershipUpdate.alive(incarnation: 0, record: Fixtures.record($0)) }
        _ = a.receive(.sync(reply: true, updates: shared + [.alive(incarnation: 0, record: Fixtures.record(7)), .alive(incarnation: 0, record: Fixtures.record(2))]),
                      from: Fixtures.id(3), now: .origin)
        _ = b.receive(.sync(reply: true, updates: shared + [.alive(incarnation: 0, record: Fixtures.record(1))]), from: Fixtures.id(3), now: .origin)
        _ = a.connected(Fixtures.id(2), address: Fixtures.address(2), now: .origin)
        _ = b.connected(Fixtures.id(1), address: nil, now: .origin)
        // Past the sync interval, A sends B a digest (about 20 bytes a member, no records).
        let tick = a.tick(now: .origin + .seconds(31))
        guard let (_, digest) = tick.sends.first(where: { if case .digest(false, _) = $0.message { return true }; return false }) else {
            Issue.record("no digest after the sync interval"); return
        }
        let answer = b.receive(digest, from: Fixtures.id(1), now: .origin + .seconds(31))
        // B knows nothing A lacks: no records travel that way.
        #expect(!answer.sends.contains { if case .sync = $0.message { return true }; return false })
        guard let replyDigest = answer.sends.first(where: { if case .digest(true, _) = $0.message { return true }; return false })?.message else {
            Issue.record("no digest in reply"); return
        }
        // A answers B's digest with the one member B lacks.
        let back = a.receive(replyDigest, from: Fixtures.id(2), now: .origin + .seconds(31))
        let updates = back.sends.compactMap { s -> [MembershipUpdate]? in if case let .sync(true, u) = s.message { return u }; return nil }
        #expect(updates.count == 1 && updates[0].map(\.node) == [Fixtures.id(7)], "\(updates)")
        _ = b.receive(.sync(reply: true, updates: updates[0]), from: Fixtures.id(1), now: .origin + .seconds(31))
        #expect(b.state(of: Fixtures.id(7)) == .alive)
        // Once both know the same, a digest exchange sends no records at all.
        let again = b.receive(.digest(reply: false, members: [MemberDigest(node: Fixtures.id(1), incarnation: 0, state: .alive, recordSequence: 1)]
            + [2, 3, 4, 5, 6, 7].map { MemberDigest(node: Fixtures.id($0), incarnation: 0, state: .alive, recordSequence: 1) }), from: Fixtures.id(1), now: .origin + .seconds(32))
        #expect(!again.sends.contains { if case .sync = $0.message { return true }; return false })
    }

    @Test func aStoppedNodeIsSuspectedBeforeItIsDeclaredDead() {
        var cluster = SwimCluster(count: 6)
        cluster.run(for: .seconds(10))
        cluster.stopped.insert(5)
        let stoppedAt = cluster.now
        cluster.run(for: .seconds(60))
        for i in 0..<5 {
            #expect(cluster.state(i, of: 5) == .dead, "node \(i) sees node 5 as \(String(describing: cluster.state(i, of: 5)))")
            #expect(cluster.state(i, of: (i + 1) % 5) == .alive)
        }
        // Somebody suspected node 5 first; nobody declared it dead before the minimum suspicion timeout.
        let target = Fixtures.id(5)
        let firstSuspicion = cluster.events.firstIndex { if case .suspected(target) = $0.event { return true }; return false }
        let firstDeath = cluster.events.firstIndex { if case .died(target) = $0.event { return true }; return false }
        #expect(firstSuspicion != nil && firstDeath != nil && firstSuspicion! < firstDeath!)
        _ = stoppedAt
    }

    @Test func aSuspectedNodeRefutesWithAHigherIncarnation() {
        var node = Membership(selfRecord: Fixtures.record(1), seeds: [], seed: 1, now: .origin)
        _ = node.receive(.sync(reply: true, updates: [.alive(incarnation: 0, record: Fixtures.record(2))]), from: Fixtures.id(2), now: .origin)
        let d = node.receive(.ping(sequence: 7, updates: [.suspect(node: Fixtures.id(1), incarnation: 0, by: Fixtures.id(2))]), from: Fixtures.id(2), now: .origin + .nanoseconds(10))
        #expect(d.events.contains(.refuted(incarnation: 1)))
        #expect(node.incarnation == 1)
        #expect(node.localHealth == 1, "Lifeguard: having to refute means we may be the slow one")
        // The ack carries the refutation.
        guard case let .ack(7, updates)? = d.sends.first(where: { $0.to == Fixtures.id(2) })?.message else {
            Issue.record("no ack for the ping"); return
        }
        #expect(updates.contains(.alive(incarnation: 1, record: Fixtures.record(1))))

        // Elsewhere, the refutation clears the suspicion; an old suspicion does not come back.
        var other = Membership(selfRecord: Fixtures.record(3), seeds: [], seed: 3, now: .origin)
        _ = other.receive(.sync(reply: true, updates: [.alive(incarnation: 0, record: Fixtures.record(1))]), from: Fixtures.id(1), now: .origin)
        _ = other.receive(.ping(sequence: 1, updates: [.suspect(node: Fixtures.id(1), incarnation: 0, by: Fixtures.id(2))]), from: Fixtures.id(2), now: .origin + .nanoseconds(5))
        #expect(other.state(of: Fixtures.id(1)) == .suspect)
        let back = other.receive(.ping(sequence: 2, updates: updates), from: Fixtures.id(1), now: .origin + .nanoseconds(6))
        #expect(other.state(of: Fixtures.id(1)) == .alive)
        #expect(back.events.contains(.recovered(Fixtures.id(1))))
        _ = other.receive(.ping(sequence: 3, updates: [.suspect(node: Fixtures.id(1), incarnation: 0, by: Fixtures.id(4))]), from: Fixtures.id(4), now: .origin + .nanoseconds(7))
        #expect(other.state(of: Fixtures.id(1)) == .alive)
    }

    @Test func independentConfirmationsShortenTheSuspicionTimeout() {
        var node = Membership(selfRecord: Fixtures.record(0), seeds: [], seed: 9, now: .origin)
        let others = (1...20).map { Fixtures.record($0) }
        _ = node.receive(.sync(reply: true, updates: others.map { .alive(incarnation: 0, record: $0) }), from: Fixtures.id(1), now: .origin)
        let t0 = MonotonicTime.origin + .milliseconds(1_000)
        _ = node.receive(.ping(sequence: 1, updates: [.suspect(node: Fixtures.id(20), incarnation: 0, by: Fixtures.id(1))]), from: Fixtures.id(1), now: t0)
        let first = node.suspicionDeadline(of: Fixtures.id(20))!
        // N = 21: minimum = 4 × log10(21) × 1 s ≈ 5.29 s, maximum = 6 × that ≈ 31.7 s; a fresh suspicion starts at the maximum.
        #expect((Duration.seconds(31)...Duration.seconds(32)).contains(first - t0))
        // The same member confirming again changes nothing.
        _ = node.receive(.ping(sequence: 2, updates: [.suspect(node: Fixtures.id(20), incarnation: 0, by: Fixtures.id(1))]), from: Fixtures.id(1), now: t0 + .nanoseconds(1))
        #expect(node.suspicionDeadline(of: Fixtures.id(20)) == first)
        var deadlines = [first]
        for k in 2...4 {
            _ = node.receive(.ping(sequence: UInt64(k + 1), updates: [.suspect(node: Fixtures.id(20), incarnation: 0, by: Fixtures.id(k))]), from: Fixtures.id(k), now: t0 + .nanoseconds(2))
            deadlines.append(node.suspicionDeadline(of: Fixtures.id(20))!)
        }
        #expect(deadlines == deadlines.sorted(by: >) && Set(deadlines).count == 4, "each independent confirmation shortens it")
        // After k = 3 confirmations beyond the first, the timeout is the minimum.
        #expect((Duration.milliseconds(5_200)...Duration.milliseconds(5_400)).contains(deadlines.last! - t0))
        // A fifth confirmation cannot go below the minimum.
        _ = node.receive(.ping(sequence: 9, updates: [.suspect(node: Fixtures.id(20), incarnation: 0, by: Fixtures.id(5))]), from: Fixtures.id(5), now: t0 + .nanoseconds(3))
        #expect(node.suspicionDeadline(of: Fixtures.id(20)) == deadlines.last)
        // At the deadline, the member is declared dead.
        let d = node.tick(now: deadlines.last!)
        #expect(d.events.contains(.died(Fixtures.id(20))))
        #expect(node.state(of: Fixtures.id(20)) == .dead)
    }

    @Test func localHealthRisesWhenThisNodeIsCutOffAndStaysLowWhenRelaysAnswerWithNacks() {
        var cluster = SwimCluster(count: 6)
        cluster.run(for: .seconds(10))
        #expect(cluster.nodes.allSatisfy { $0.localHealth == 0 })
        // Node 5 stops: the others' relays cannot reach it and say so (nack); nobody blames itself.
        cluster.stopped.insert(5)
        cluster.run(for: .seconds(8))
        #expect(cluster.nodes[0..<5].allSatisfy { $0.localHealth <= 1 }, "\(cluster.nodes.map(\.localHealth))")
        // Node 4 is cut off from everyone: its probes fail and no nacks come back, so it slows itself down.
        cluster.partition([4], [0, 1, 2, 3])
        cluster.run(for: .seconds(8))
        #expect(cluster.nodes[4].localHealth >= 3)
        #expect(cluster.nodes[4].currentProbeInterval >= .seconds(4))
    }

    @Test func aSeedIsRetriedWithBackoffThroughALongPartitionAndTheClusterRejoins() {
        var cluster = SwimCluster(count: 6)
        cluster.run(for: .seconds(15))
        #expect(cluster.nodes.allSatisfy { $0.liveMembers.count == 5 })
        cluster.partition([0, 1, 2], [3, 4, 5])
        cluster.dials.removeAll()
        cluster.run(for: .seconds(300))
        // Each side has declared the other dead.
        #expect(cluster.state(0, of: 4) == .dead && cluster.state(4, of: 0) == .dead && cluster.state(3, of: 1) == .dead)
        // Nodes 3-5 kept dialing their seed (node 0) all along, backing off to at most a minute.
        for i in 3...5 {
            let attempts = cluster.dials.filter { $0.node == i && $0.address == Fixtures.address(0) }.count
            #expect((5...40).contains(attempts), "node \(i) dialed its seed \(attempts) times in 5 minutes")
        }
        cluster.heal()
        cluster.run(for: .seconds(120))
        for i in 0..<6 {
            #expect(cluster.nodes[i].liveMembers.count == 5, "node \(i) sees \(cluster.nodes[i].liveMembers.count) live members after the heal")
            for j in 0..<6 where j != i { #expect(cluster.state(i, of: j) == .alive) }
        }
    }

    @Test func aPeerRecordWithABadSignatureIsRefusedAndItsSenderPenalised() {
        var node = Membership(selfRecord: Fixtures.record(0), seeds: [], seed: 1, now: .origin)
        var forged = Fixtures.record(7)
        forged.addresses = ["attacker.example:7400"]  // changed after signing
        #expect(!forged.hasValidSignature())
        var disconnected = false
        for k in 0..<4 {
            let d = node.receive(.ping(sequence: UInt64(k), updates: [.alive(incarnation: 0, record: forged)]), from: Fixtures.id(3), now: .origin + .nanoseconds(k))
            #expect(node.state(of: Fixtures.id(7)) == nil)
            if d.disconnects.contains(where: { $0.peer == Fixtures.id(3) }) { disconnected = true }
        }
        #expect(disconnected, "four forged records ban the sender")
        #expect(node.policy.isBanned(Fixtures.id(3), now: .origin + .nanoseconds(10)))
        // A correctly signed record is accepted.
        _ = node.receive(.ping(sequence: 9, updates: [.alive(incarnation: 0, record: Fixtures.record(7))]), from: Fixtures.id(2), now: .origin + .nanoseconds(20))
        #expect(node.state(of: Fixtures.id(7)) == .alive)
    }

    @Test func observersIgnoreOtherCommunitiesWhileGatewaysTrackForeignGateways() {
        let foreignGateway = Fixtures.record(30, community: Fixtures.otherCommunity, role: .gateway)
        let foreignObserver = Fixtures.record(31, community: Fixtures.otherCommunity, role: .observer)
        var observer = Membership(selfRecord: Fixtures.record(1), seeds: [], seed: 1, now: .origin)
        var gateway = Membership(selfRecord: Fixtures.record(2, role: .gateway), seeds: [], seed: 2, now: .origin)
        let updates: [MembershipUpdate] = [.alive(incarnation: 0, record: foreignGateway), .alive(incarnation: 0, record: foreignObserver)]
        _ = observer.receive(.sync(reply: true, updates: updates), from: Fixtures.id(5), now: .origin)
        _ = gateway.receive(.sync(reply: true, updates: updates), from: Fixtures.id(5), now: .origin)
        #expect(observer.allMembers.isEmpty)
        #expect(gateway.allMembers == [foreignGateway.nodeID])
        // The gateway dials the foreign gateway to keep its city link.
        let d = gateway.tick(now: .origin + .milliseconds(1))
        #expect(d.dials.contains { $0.node == foreignGateway.nodeID && $0.address == Fixtures.address(30) })
    }
}
