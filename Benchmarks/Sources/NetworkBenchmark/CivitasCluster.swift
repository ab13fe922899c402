import CivitasGossip
import CivitasIdentity
import CivitasLedger
import CivitasNetwork
import CivitasGossipHarness
import Foundation

/// N Civitas nodes in this process on 127.0.0.1: one community CA made the
/// way `civitas ca init` makes it, node certificates issued into files the way
/// `civitas ca issue` writes them, a `Transport` per node (TLS 1.3, mutual
/// authentication against the bundle and the revocation list) and a
/// `GossipNode` per node that knows only node 0 as its seed.
@MainActor final class CivitasCluster {
    let nodes: [GossipNode]
    let transports: [Transport]

    init(count: Int, directory: String, membership: MembershipSettings, plumtree: PlumtreeSettings,
         transport settings: TransportSettings, log: LineLog?) async throws {
        let community = CommunityID("bench-net")!
        let now = Date()
        let caPath = directory + "/ca"
        let authority = try CADirectory.initialize(at: caPath, community: community, days: 2, now: now)
        let bundlePath = directory + "/bundle.pem"
        try TrustBundle([authority.ca]).pemString.write(toFile: bundlePath, atomically: true, encoding: .utf8)
        let ca = CADirectory(path: caPath)
        var nodes: [GossipNode] = []
        var transports: [Transport] = []
        var seedAddress = ""
        for i in 0..<count {
            let ledger = SigningKey.generate()
            let nodePath = directory + "/node-\(i)"
            _ = try ca.issue(nodeKey: ledger.publicKey, role: .validator, days: 2, now: now, into: nodePath)
            let paths = IdentityPaths(certificate: nodePath + "/node.pem", privateKey: nodePath + "/tls.key",
                                      trustBundle: bundlePath, revocationLists: [ca.revocationListPath])
            let store = try TLSCredentialStore(paths: paths, requirements: .sameCommunity(community))
            let transport = Transport(credentials: store, settings: settings,
                                      log: { line in log?.write("node \(i) transport: \(line)") })
            let port = try await transport.listen(host: "127.0.0.1", port: 0)
            let address = "127.0.0.1:\(port)"
            if i == 0 { seedAddress = address }
            let record = PeerRecord(key: ledger, community: community, role: .validator, addresses: [address],
                                    sequence: 1, time: Timestamp(now.timeIntervalSince1970 * 1000))
            let node = GossipNode(transport: transport, record: record, seeds: i == 0 ? [] : [seedAddress],
                                  membershipSettings: membership, plumtreeSettings: plumtree, seed: UInt64(i + 1),
                                  log: { line in log?.write("node \(i) gossip: \(line)") })
            await node.start()
            nodes.append(node)
            transports.append(transport)
        }
        self.nodes = nodes
        self.transports = transports
    }

    /// Live members known per node (each should reach count − 1).
    func knownMembers() async -> [Int] {
        var known: [Int] = []
        for node in nodes { known.append(await node.liveMembers.count) }
        return known
    }

    /// Frames and frame bytes sent, summed over all nodes.
    var frames: FrameCounters {
        var total = FrameCounters()
        for t in transports {
            let traffic = t.traffic
            total.bytes += Int64(traffic.bytesSent)
            total.frames += Int64(traffic.framesSent)
        }
        return total
    }

    /// Gossip messages and bytes sent, by kind, summed over all nodes.
    func sentByKind() async -> [String: LinkMultiplexer.MessageCount] {
        var total: [String: LinkMultiplexer.MessageCount] = [:]
        for node in nodes {
            for (kind, c) in await node.sentByKind {
                total[kind, default: .init()].messages += c.messages
                total[kind, default: .init()].bytes += c.bytes
            }
        }
        return total
    }

    /// Frame bytes sent per node (for the spread between nodes).
    var frameBytesPerNode: [Int64] { transports.map { Int64($0.traffic.bytesSent) } }

    /// Publishes `payload` from `origin` at `t0` (just before the call) and
    /// polls every node's deliveries every `pollMicros` until all have it or
    /// `deadline` passes. Returns each node's arrival time (the poll that first
    /// saw it; the origin's is the publish time), the largest hop count, and
    /// the mean time between polls of one node (the timing resolution).
    func publishAndTrack(origin: Int, payload: [UInt8], deadline: Int64, pollMicros: Int = 500)
        async -> (t0: Int64, arrivals: [Int64?], maxHops: Int, pollPeriod: Double) {
        var arrivals = [Int64?](repeating: nil, count: nodes.count)
        let t0 = realtimeNanos()
        let id = await nodes[origin].broadcast(topic: .communityTransactions, payload: payload)
        arrivals[origin] = t0
        var maxHops = 0
        var sweeps = 0
        while arrivals.contains(where: { $0 == nil }) && realtimeNanos() < deadline {
            for i in nodes.indices where arrivals[i] == nil {
                if let delivery = await nodes[i].deliveries.last(where: { $0.id == id }) {
                    arrivals[i] = realtimeNanos()
                    maxHops = max(maxHops, Int(delivery.hops))
                }
            }
            sweeps += 1
            try? await Task.sleep(for: .microseconds(pollMicros))
        }
        let period = sweeps > 0 ? Double(realtimeNanos() - t0) / 1e9 / Double(sweeps) : 0
        return (t0, arrivals, maxHops, period)
    }

    func stop() async {
        for node in nodes { await node.stop() }
    }
}
