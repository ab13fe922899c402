import CivitasCodec
import CivitasGossip
import CivitasLedger
import CivitasTime

/// Deterministic keys, records and chains for the gossip tests.
enum Fixtures {
    static let community = CommunityID("harbour-street")!
    static let otherCommunity = CommunityID("river-gardens")!

    static func key(_ i: Int) -> SigningKey {
        var seed = Bytes32()
        seed.withUnsafeMutableBytes { b in
            b[0] = 0x47
            b[1] = UInt8(truncatingIfNeeded: i)
            b[2] = UInt8(truncatingIfNeeded: i >> 8)
        }
        return SigningKey(seed: seed)
    }

    static func address(_ i: Int) -> String { "node-\(i).example:7400" }

    static func record(_ i: Int, community: CommunityID = community, role: NodeRole = .observer, sequence: UInt64 = 1) -> PeerRecord {
        PeerRecord(key: key(i), community: community, role: role, addresses: [address(i)], sequence: sequence, time: 1_700_000_000_000)
    }

    static func id(_ i: Int) -> NodeID { key(i).publicKey.nodeID }

    /// A certified chain of `count` empty blocks over `validators` validator keys.
    static func chain(count: Int, validators: Int = 3) -> (genesis: Hash, blocks: [SealedBlock], keys: [PublicKey]) {
        let vkeys = (0..<validators).map { key(900 + $0) }
        let genesis = Hashing.sha256(Array("genesis".utf8))
        var previous = genesis
        var blocks: [SealedBlock] = []
        for h in 1...count {
            let block = Block(community: community, height: UInt64(h), previous: previous, time: 1_700_000_000_000 + UInt64(h), proposer: 0, transactions: [])
            let hash = block.header.hash
            let votes = vkeys.prefix(validators / 2 + 1).enumerated().map { BlockVote(index: UInt32($0.offset), key: $0.element, headerHash: hash) }
            blocks.append(SealedBlock(block: block, certificate: CommitCertificate(height: UInt64(h), headerHash: hash, votes: votes)))
            previous = hash
        }
        return (genesis, blocks, vkeys.map(\.publicKey))
    }
}

/// A tiny cluster of `Membership` cores on a scripted network: fixed 5 ms
/// latency, nodes that can be stopped, and partitions. Time advances in 10 ms
/// steps. As in the network shell, a message goes out only over an open link
/// (one the sender's core counts as connected); others are dropped.
struct SwimCluster {
    struct InFlight {
        var at: MonotonicTime
        var from: Int
        var to: Int
        var message: GossipMessage
    }

    var nodes: [Membership]
    var stopped: Set<Int> = []
    /// Pairs that cannot talk (both directions).
    var cut: Set<[Int]> = []
    var now: MonotonicTime = .origin
    var inFlight: [InFlight] = []
    var wake: [MonotonicTime?]
    var events: [(node: Int, event: MembershipEvent)] = []
    var dials: [(node: Int, address: String)] = []
    /// Links closed, with the time and who asked.
    var closes: [(at: MonotonicTime, node: Int, peer: Int)] = []
    /// Messages dropped because the sender had no link to the receiver.
    var unlinkedSends = 0
    let index: [NodeID: Int]

    /// `count` nodes of one community; every node's seed is node 0 (node 0 has none).
    init(count: Int, settings: MembershipSettings = .init(), seedOf: (Int) -> [String] = { $0 == 0 ? [] : [Fixtures.address(0)] }) {
        var list: [Membership] = []
        var idx: [NodeID: Int] = [:]
        for i in 0..<count {
            list.append(Membership(selfRecord: Fixtures.record(i), seeds: seedOf(i), settings: settings, seed: UInt64(i) + 1, now: .origin))
            idx[Fixtures.id(i)] = i
        }
        nodes = list
        index = idx
        wake = Array(repeating: .origin, count: count)
    }

    func canTalk(_ a: Int, _ b: Int) -> Bool {
        !stopped.contains(a) && !stopped.contains(b) && !cut.contains([min(a, b), max(a, b)])
    }

    mutating func partition(_ a: [Int], _ b: [Int]) {
        for x in a { for y in b { cut.insert([min(x, y), max(x, y)]) } }
    }

    mutating func heal() { cut.removeAll() }

    mutating func carry(_ i: Int, _ d: MembershipDirectives) {
        for (to, message) in d.sends {
            guard let j = index[to] else { continue }
            guard nodes[i].connected.contains(to) else { unlinkedSends += 1; continue }
            inFlight.append(InFlight(at: now + .milliseconds(5), from: i, to: j, message: message))
        }
        for (address, _) in d.dials {
            dials.append((i, address))
            if let j = (0..<nodes.count).first(where: { Fixtures.address($0) == address }), canTalk(i, j),
               !nodes[i].connected.contains(Fixtures.id(j)) {
                let a = nodes[i].connected(Fixtures.id(j), address: address, now: now)
                let b = nodes[j].connected(Fixtures.id(i), address: nil, now: now)
                carry(i, a)
                carry(j, b)
            } else {
                carry(i, nodes[i].dialFailed(address: address, node: nil, now: now))
            }
        }
        for (peer, _) in d.disconnects {
            guard let j = index[peer] else { continue }
            closes.append((now, i, j))
            if !stopped.contains(j) { carry(j, nodes[j].disconnected(Fixtures.id(i), now: now)) }
        }
        events += d.events.map { (i, $0) }
        if let w = d.nextWakeup { wake[i] = min(wake[i] ?? w, w) }
    }

    /// Runs the cluster until `until` (absolute time).
    mutating func run(until: MonotonicTime) {
        while now < until {
            now += .milliseconds(10)
            let due = inFlight.filter { $0.at <= now }
            inFlight.removeAll { $0.at <= now }
            for m in due where canTalk(m.from, m.to) {
                carry(m.to, nodes[m.to].receive(m.message, from: Fixtures.id(m.from), now: now))
            }
            for i in nodes.indices where !stopped.contains(i) {
                if let w = wake[i], w <= now {
                    wake[i] = nil
                    carry(i, nodes[i].tick(now: now))
                }
            }
        }
    }

    mutating func run(for duration: Duration) { run(until: now + duration) }

    /// The state node `observer` holds about node `subject`.
    func state(_ observer: Int, of subject: Int) -> MemberState? { nodes[observer].state(of: Fixtures.id(subject)) }
}
