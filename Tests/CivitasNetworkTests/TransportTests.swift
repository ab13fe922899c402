import CivitasCodec
import CivitasIdentity
import CivitasLedger
import CivitasNetwork
import CivitasTestSupport
import Foundation
import Synchronization
import Testing

/// Real TLS links on loopback: mutual authentication, hello, messages in
/// order, and every kind of bad peer refused with a reason while a healthy
/// peer's link carries on.
@Suite(.serialized) struct TransportTests {
    static let ward7 = CommunityID("ward-7")!

    @Test func twoNodesOpenAMutuallyAuthenticatedLinkAndExchangeMessagesInOrder() async throws {
        let lab = try NetworkLab("pair")
        let a = try lab.node(), b = try lab.node(role: .observer)
        let ta = try lab.transport(a), tb = try lab.transport(b)
        let la = EventLog(ta), lb = EventLog(tb)
        let port = try await ta.listen(host: "127.0.0.1", port: 0)
        let peer = try await tb.connect(host: "127.0.0.1", port: port)
        #expect(peer.identity.nodeID == a.nodeID)
        #expect(peer.identity.role == .validator)
        #expect(peer.listenAddress == "127.0.0.1:\(port)")
        let seen = await la.wait(seconds: 60, "A sees B") { if case let .connected(info) = $0 { info.identity.nodeID == b.nodeID } else { false } }
        if case let .connected(info) = seen { #expect(info.identity.role == .observer && info.direction == .inbound) }

        for i in 0..<200 { #expect(tb.send([UInt8(i & 0xFF), 1, 2, 3], to: a.nodeID, traffic: .gossip) == .queued) }
        #expect(ta.send(Array(repeating: 7, count: 1 << 20), to: b.nodeID, traffic: .bulk) == .queued)
        await la.wait(seconds: 60, "200 messages") { _ in la.messages(from: b.nodeID).count == 200 }
        #expect(la.messages(from: b.nodeID) == (0..<200).map { [UInt8($0 & 0xFF), 1, 2, 3] })
        await lb.wait(seconds: 60, "1 MiB message") { _ in lb.messages(from: a.nodeID).first?.count == 1 << 20 }
        #expect(ta.send([1], to: NodeID(raw: Bytes16()), traffic: .gossip) == .noLink)
        await tb.shutdown()
        await la.wait(seconds: 60, "B said goodbye") { if case let .disconnected(node, reason) = $0 { node == b.nodeID && reason.contains("shutting down") } else { false } }
        await ta.shutdown()
    }

    /// One server, one healthy peer; each bad client is refused with a reason
    /// the server reports, and the healthy link still carries messages.
    @Test func badPeersAreRefusedWithAReasonAndHealthyPeersCarryOn() async throws {
        let lab = try NetworkLab("bad", communities: ["ward-7", "ward-8"])
        let other = try NetworkLab("stranger", communities: ["ward-9"])
        let server = try lab.node(), healthy = try lab.node()
        var settings = NetworkLab.relaxed
        // Short enough for the silent-hello case to finish in the test, long
        // enough that a handshake on a saturated two-core CI machine (the storage
        // crash and disk-full tests run beside this one) is not cut off: 5 s was
        // missed once there by a certificate case.
        settings.helloTimeout = .seconds(20)
        settings.inboundFramesPerSecond = 200
        settings.inboundBurstSeconds = 0.5
        let revokedNode = try lab.node()
        try lab.revoke(revokedNode)
        let ts = try lab.transport(server, requirements: PeerRequirements(communities: [Self.ward7], roles: [.validator, .gateway]),
                                   settings: settings)
        let log = EventLog(ts)
        let port = try await ts.listen(host: "127.0.0.1", port: 0)
        let th = try lab.transport(healthy)
        let healthyLog = EventLog(th)
        try await th.connect(host: "127.0.0.1", port: port)
        var sent = 0

        func healthyStillWorks(_ label: String) async {
            sent += 1
            #expect(th.send([UInt8(sent)], to: server.nodeID, traffic: .gossip) == .queued, "\(label)")
            await log.wait(seconds: 60, "healthy message after \(label)") { _ in log.messages(from: healthy.nodeID).count == sent }
        }

        func refusedWith(_ words: String, _ label: String) async {
            await log.wait(seconds: 60, "rejection: \(label)") { event in
                if case let .rejected(_, reason) = event { return reason.contains(words) }
                if case let .disconnected(_, reason) = event { return reason.contains(words) }
                return false
            }
            await healthyStillWorks(label)
        }

        // A node whose certificate the server refuses: the client sees the link refused too.
        func certificateCase(_ node: NetworkLab.Node, _ words: String, _ label: String) async throws {
            let t = try lab.transport(node, requirements: PeerRequirements(communities: nil))
            await #expect(throws: LinkRejection.self, "\(label)") { try await t.connect(host: "127.0.0.1", port: port) }
            await refusedWith(words, label)
            await t.shutdown()
        }

        // No client certificate at all.
        let anonymous = try await RawClient.connect(port: port, node: nil)
        await refusedWith("TLS", "no client certificate")
        await anonymous.close()

        // A certificate from a CA outside the bundle (the client trusts the server; the server must not trust it).
        let stranger = try await RawClient.connect(port: port, node: try other.node("ward-9"))
        await refusedWith("not in the federation trust bundle", "unknown CA")
        #expect(await stranger.closedByPeer(within: 60))
        try await certificateCase(try lab.node(issuedAt: lab.now.addingTimeInterval(-25 * 86_400), days: 20), "expired", "expired")
        try await certificateCase(revokedNode, "revoked", "revoked")
        try await certificateCase(try lab.node("ward-8"), "community", "wrong community")
        try await certificateCase(try lab.node(role: .observer), "role", "wrong role")

        // Garbage instead of a TLS handshake.
        let garbage = try await RawClient.connect(port: port, node: nil, tls: false)
        try await garbage.write((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) })
        await refusedWith("TLS", "garbage bytes")
        #expect(await garbage.closedByPeer(within: 60))

        // A valid certificate, then a hello that never comes.
        let silent = try await RawClient.connect(port: port, node: try lab.node())
        await refusedWith("hello not received", "hello never sent")
        #expect(await silent.closedByPeer(within: 60))

        // A valid certificate, then a frame longer than the maximum.
        let big = try await RawClient.connect(port: port, node: try lab.node())
        try? await big.write(RawClient.frame([UInt8](repeating: 1, count: settings.maxFrameBytes + 1024)))
        await refusedWith("larger than \(settings.maxFrameBytes)", "oversized frame")
        #expect(await big.closedByPeer(within: 60))

        // A valid peer that floods: disconnected, then kept out.
        let flooder = try lab.node()
        let tf = try lab.transport(flooder)
        try await tf.connect(host: "127.0.0.1", port: port)
        for _ in 0..<2_000 { _ = tf.send([0xF1, 0x00, 0xD0], to: server.nodeID, traffic: .gossip) }
        await refusedWith("flooding", "flooding peer")
        await #expect(throws: LinkRejection.self, "a banned node cannot come straight back") {
            try await tf.connect(host: "127.0.0.1", port: port)
        }
        await refusedWith("kept out", "banned flooder reconnecting")
        await tf.shutdown()

        // The healthy link never dropped.
        #expect(!healthyLog.all.contains { if case .disconnected = $0 { true } else { false } })
        await th.shutdown()
        await ts.shutdown()
    }

    /// An operator chasing a misconfigured certificate sees the refusal at
    /// warning level with its reason — once a minute per remote host, so a
    /// stranger retrying cannot flood the log.
    @Test func aRefusedHandshakeIsLoggedAsAWarningWithItsReason() async throws {
        let lab = try NetworkLab("warn", communities: ["ward-7"])
        let server = try lab.node()
        let lines = Mutex<[TransportLogLine]>([])
        let ts = try lab.transport(server, log: { line in lines.withLock { $0.append(line) } })
        let log = EventLog(ts)
        let port = try await ts.listen(host: "127.0.0.1", port: 0)
        let expired = try lab.node(issuedAt: lab.now.addingTimeInterval(-25 * 86_400), days: 20)
        for attempt in 1...2 {
            let t = try lab.transport(expired, requirements: PeerRequirements(communities: nil))
            await #expect(throws: LinkRejection.self) { try await t.connect(host: "127.0.0.1", port: port) }
            await log.wait(seconds: 60, "refusal \(attempt)") { _ in
                log.all.filter { if case .rejected = $0 { true } else { false } }.count == attempt
            }
            await t.shutdown()
        }
        let refusals = lines.withLock { $0 }.filter { $0.message.contains("refused") }
        let warnings = refusals.filter { $0.level == .warning }
        #expect(warnings.count == 1, "\(refusals.map { "\($0.level): \($0.message)" })")
        #expect(warnings.first?.message.contains("expired") == true, "\(warnings.map(\.message))")
        #expect(refusals.count == 2, "the second refusal is still logged, at debug")
        await ts.shutdown()
    }

    /// Reloading certificates keeps healthy links; a peer revoked in the new
    /// revocation list is disconnected, and refused when it comes back.
    @Test func reloadingCertificatesKeepsHealthyLinksAndDropsARevokedPeer() async throws {
        let lab = try NetworkLab("reload")
        let a = try lab.node(), b = try lab.node(), c = try lab.node()
        let ta = try lab.transport(a), tb = try lab.transport(b), tc = try lab.transport(c)
        let la = EventLog(ta), lb = EventLog(tb)
        let port = try await ta.listen(host: "127.0.0.1", port: 0)
        try await tb.connect(host: "127.0.0.1", port: port)
        try await tc.connect(host: "127.0.0.1", port: port)
        try lab.revoke(c)
        let changes = try await ta.reloadCertificates()
        #expect(!changes.isEmpty, "the new revocation list is reported as a change")
        await la.wait(seconds: 60, "C dropped") { if case let .disconnected(node, reason) = $0 { node == c.nodeID && reason.contains("no longer accepted") } else { false } }
        #expect(ta.send([42], to: b.nodeID, traffic: .consensus) == .queued)
        await lb.wait(seconds: 60, "B still linked") { _ in lb.messages(from: a.nodeID) == [[42]] }
        #expect(!la.all.contains { if case let .disconnected(node, _) = $0 { node == b.nodeID } else { false } })
        await #expect(throws: LinkRejection.self) { try await tc.connect(host: "127.0.0.1", port: port) }
        for t in [ta, tb, tc] { await t.shutdown() }
    }

    /// A maintained address is retried with backoff until it answers, and
    /// again after the peer restarts.
    @Test func aMaintainedSeedIsReconnectedAfterItComesBackAndAfterARestart() async throws {
        let lab = try NetworkLab("seed")
        let seed = try lab.node(), joiner = try lab.node()
        var settings = NetworkLab.relaxed
        settings.reconnectBase = .milliseconds(20)
        settings.reconnectMax = .milliseconds(200)
        let tj = try lab.transport(joiner, settings: settings)
        let lj = EventLog(tj)
        // Find a free port, then leave it closed for a while.
        let probe = try lab.transport(seed)
        let port = try await probe.listen(host: "127.0.0.1", port: 0)
        await probe.shutdown()
        tj.maintain(host: "127.0.0.1", port: port)
        try await Task.sleep(for: .milliseconds(300))
        #expect(tj.peers.isEmpty)

        let first = try lab.transport(seed)
        try await first.listen(host: "127.0.0.1", port: port)
        await lj.wait(seconds: 60, "linked once the seed listens") { if case let .connected(info) = $0 { info.identity.nodeID == seed.nodeID } else { false } }
        await first.shutdown()
        await lj.wait(seconds: 60, "seed went away") { if case .disconnected = $0 { true } else { false } }

        let second = try lab.transport(seed)
        try await second.listen(host: "127.0.0.1", port: port)
        await lj.wait(seconds: 60, "relinked after the restart") { _ in
            lj.all.filter { if case .connected = $0 { true } else { false } }.count == 2
        }
        #expect(tj.peers.map(\.identity.nodeID) == [seed.nodeID])
        await tj.shutdown()
        await second.shutdown()
    }

    /// Messages of every size from empty to several TLS reads, on two
    /// classes at once, packed into batches and split again: each class
    /// arrives complete, byte for byte, in the order it was sent.
    @Test func mixedSizesOnTwoClassesArriveWholeAndInOrder() async throws {
        let lab = try NetworkLab("mixed")
        let a = try lab.node(), b = try lab.node()
        let ta = try lab.transport(a), tb = try lab.transport(b)
        let lb = EventLog(tb)
        let port = try await tb.listen(host: "127.0.0.1", port: 0)
        try await ta.connect(host: "127.0.0.1", port: port)
        var g = SplitMix64(seed: 0x51_2E5)
        var sent: [TrafficClass: [[UInt8]]] = [.gossip: [], .bulk: []]
        for i in 0..<240 {
            let traffic: TrafficClass = i % 3 == 0 ? .gossip : .bulk
            let size = [0, 1, 5, 4_091, 16_384, 65_536 + 3, 300_000][g.int(0...6)] + g.int(0...9)
            let payload = g.bytes(size)
            while ta.send(payload, to: b.nodeID, traffic: traffic) == .queueFull { try await Task.sleep(for: .milliseconds(5)) }
            sent[traffic]!.append(payload)
        }
        func received(_ traffic: TrafficClass) -> [[UInt8]] {
            lb.all.compactMap { if case let .message(from, t, payload) = $0, from == a.nodeID, t == traffic { payload } else { nil } }
        }
        await lb.wait(seconds: 120, "all 240 messages") { _ in received(.gossip).count + received(.bulk).count == 240 }
        #expect(received(.gossip) == sent[.gossip]!)
        #expect(received(.bulk) == sent[.bulk]!)
        await ta.shutdown()
        await tb.shutdown()
    }

    @Test func aMessageLargerThanItsQueueIsRefusedNotBuffered() async throws {
        let lab = try NetworkLab("queue")
        let a = try lab.node(), b = try lab.node()
        var settings = NetworkLab.relaxed
        settings.queueLimitBytes = [.consensus: 1_000, .gossip: 1_000, .bulk: 1_000]
        let ta = try lab.transport(a, settings: settings), tb = try lab.transport(b)
        let port = try await tb.listen(host: "127.0.0.1", port: 0)
        try await ta.connect(host: "127.0.0.1", port: port)
        #expect(ta.send([UInt8](repeating: 0, count: 2_000), to: b.nodeID, traffic: .bulk) == .queueFull)
        #expect(ta.send([UInt8](repeating: 0, count: 500), to: b.nodeID, traffic: .bulk) == .queued)
        await ta.shutdown()
        await tb.shutdown()
    }
}
