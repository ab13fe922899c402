public import CivitasCodec
public import CivitasLedger
import CivitasNetwork
import CivitasNodeCore
import CivitasStorage
import Foundation

/// What the node reports: where a transaction is, a block, and the status report (`/status`, `civitas status`).
extension NodeRuntime {
    public func transactionStatus(_ id: Hash) async -> TransactionStatusReport {
        if let record = try? state.transactions(id: id).first, let block = try? environment.blocks.block(at: record.height) {
            return .committed(height: record.height, index: UInt32(record.index), applied: record.isApplied,
                              reason: record.rejectionReason, blockHash: block.header.hash,
                              transactionRoot: block.header.transactionRoot, proof: block.block.inclusionProof(index: record.index))
        }
        return core.mempool.contains(id) ? .pending : .unknown
    }

    public func block(at height: UInt64) async -> SealedBlock? {
        try? environment.blocks.block(at: height)
    }

    public func status() async -> NodeStatusReport {
        let nodeID = NodeID(deriving: parameters.nodeKey.publicKey)
        let genesis = parameters.genesis
        let now = WallClock.nowMillis
        let raft = core.raft.map {
            NodeStatusReport.Raft(term: $0.term, role: $0.role.rawValue, leader: core.leaderNode?.description,
                                  commitIndex: $0.commitIndex, appliedIndex: $0.appliedIndex)
        }
        let applied = core.applied
        let chain = NodeStatusReport.Chain(height: applied.height, headHash: applied.hash.hex,
                                           headAgeMillis: applied.height == 0 ? nil : now > applied.time ? now - applied.time : 0,
                                           bestPeerHeight: core.bestKnownHeight)
        let peers = transport.peers.map {
            NodeStatusReport.Peer(nodeID: $0.identity.nodeID.description, community: $0.identity.community.name,
                                  role: $0.identity.role.description,
                                  address: $0.listenAddress.isEmpty ? $0.remoteAddress : $0.listenAddress,
                                  roundTripMillis: transport.roundTrip(to: $0.identity.nodeID).map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1e3 })
        }.sorted { ($0.community, $0.nodeID) < ($1.community, $1.nodeID) }
        var counters: [String: UInt64] = [:]
        for (kind, count) in links.sentByKind {
            counters["\(kind)_messages"] = UInt64(count.messages)
            counters["\(kind)_bytes"] = UInt64(count.bytes)
        }
        let traffic = transport.traffic
        counters["frames_sent"] = UInt64(traffic.framesSent)
        // Every frame's bytes (its 4-byte length and the message; TLS and TCP not counted).
        counters["bytes_sent"] = UInt64(traffic.bytesSent)
        counters["frames_received"] = UInt64(traffic.framesReceived)
        // What the core's membership knows: live members (not this node) and address-book entries.
        counters["members_alive"] = UInt64(core.liveMembers.count)
        counters["address_book_entries"] = UInt64(core.addressBook.entries.count)
        let mempool = NodeStatusReport.Mempool(transactions: core.mempool.count, bytes: core.mempool.bytes,
                                               signers: core.mempool.signerCount)
        let disk = diskUsage.report(directory: parameters.dataDirectory)
        let secondsLeft = Int64(parameters.certificateNotAfter.timeIntervalSinceNow)
        let certificate = NodeStatusReport.Certificate(notAfter: ISO8601DateFormatter().string(from: parameters.certificateNotAfter),
                                                       secondsLeft: secondsLeft)
        let checkpoints = ((try? state.neighbourAnchors()) ?? []).map {
            NodeStatusReport.FederationCheckpoint(community: $0.community.name, height: $0.height, headerHash: $0.headerHash.hex,
                                                  ageMillis: now > $0.recordedTime ? now - $0.recordedTime : 0)
        }
        var evidence = ((try? state.tamperEvidence()) ?? []).map {
            NodeStatusReport.TamperEvidence(community: $0.community.name, height: $0.height, anchoredHeaderHash: $0.anchoredHeaderHash.hex,
                                            conflictingHeaderHash: $0.conflictingHeaderHash.hex, recordedHeight: $0.recordedHeight)
        }
        // This chain against the checkpoints of it the city anchored (a gateway hears them): not recorded in the chain (height 0).
        evidence += core.anchorContradictions.map {
            NodeStatusReport.TamperEvidence(community: genesis.community.name, height: $0.height, anchoredHeaderHash: $0.anchored.hex,
                                            conflictingHeaderHash: $0.chain.hex, recordedHeight: 0)
        }
        let communityPeers = transport.peers.filter { $0.identity.community == genesis.community }.count
        let health = HealthReport.evaluate(HealthInputs(
            hasLeader: core.raft.map { $0.leader != nil }, height: applied.height, bestPeerHeight: core.bestKnownHeight,
            communityPeers: communityPeers, diskFreeBytes: disk.freeBytes, diskTotalBytes: disk.totalBytes,
            certificateSecondsLeft: secondsLeft,
            tamperEvidence: evidence.map { "\($0.community) at height \($0.height)" }), thresholds: parameters.health)
        return NodeStatusReport(
            identity: .init(nodeID: nodeID.description, community: genesis.community.name, role: parameters.role.rawValue,
                            version: parameters.version),
            raft: raft, chain: chain, peers: peers, gossip: counters, mempool: mempool, disk: disk, certificate: certificate,
            checkpoints: checkpoints, tamperEvidence: evidence, health: health)
    }
}

/// The data directory's size, walked at most every 30 s (a status request
/// must stay cheap on a big chain), and its file system's free space, read each time.
struct DiskUsageCache {
    private var lastWalk: ContinuousClock.Instant?
    private var used: UInt64 = 0

    mutating func report(directory: String) -> NodeStatusReport.Disk {
        if lastWalk.map({ ContinuousClock.now - $0 > .seconds(30) }) ?? true {
            lastWalk = ContinuousClock.now
            used = DiskUsage.used(by: directory)
        }
        let space = DiskUsage.fileSystem(of: directory)
        return NodeStatusReport.Disk(dataDirectory: directory, usedBytes: used, freeBytes: space?.free ?? 0, totalBytes: space?.total ?? 0)
    }
}

/// The process's wall clock in milliseconds since the Unix epoch: stamped
/// into records and reports, never used for timers.
enum WallClock {
    static var nowMillis: Timestamp { Timestamp(max(0, Date().timeIntervalSince1970 * 1_000)) }
}
