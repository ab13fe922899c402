import CivitasRaft

/// The client load: batches of numbered payloads proposed to the leader
/// (usually) or to any live replica.
extension RaftSimulation {
    mutating func proposeWorkload() {
        let live = replicas.indices.filter { replicas[$0].alive }.map { replicas[$0].id }
        guard !live.isEmpty else { return }
        let leader = currentLeader()
        let target = (leader != nil && random.chance(0.7)) ? leader! : random.pick(live)
        let count = 1 + Int(random.below(UInt64(options.maxBatch)))
        let batch = (0..<count).map { _ -> [UInt8] in
            nextPayload += 1
            return payload(nextPayload)
        }
        do {
            try replicas[index(target)].core.propose(batch)
        } catch {
            report.proposalsRefused += 1
        }
        afterStep(target)
    }
}

/// Payload number `id`: the number (8 bytes, little-endian), then 24 filler bytes.
func payload(_ id: UInt64) -> [UInt8] {
    var bytes = withUnsafeBytes(of: id.littleEndian, Array.init)
    bytes.append(contentsOf: repeatElement(UInt8(truncatingIfNeeded: id), count: 24))
    return bytes
}

/// The number of a payload made by `payload(_:)` (0 for a shorter one).
func payloadID(_ d: [UInt8]) -> UInt64 {
    guard d.count >= 8 else { return 0 }
    return d.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
}
