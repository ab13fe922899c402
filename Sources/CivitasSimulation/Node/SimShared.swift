import CivitasCodec
import CivitasGovernance
import CivitasLedger
import CivitasNodeCore

/// What the simulated nodes of one run share, so that a city of thousands
/// of nodes fits one machine (issue #17). Every node still does its own
/// work; only answers and records that are the same for every node are kept once:
///
/// - `signatures`: one signature cache (each signature is checked by Ed25519 once);
/// - each community's genesis state: every node's governance state starts as
///   a copy of it, so the changes the community's nodes record are stored once
///   (`GovernanceState` shares storage between copies and checks each change);
/// - the bytes written to the nodes' disks (the same block records on every
///   node of a community), each content once;
/// - each community's chain index (`SimChainIndex`): where each transaction
///   first appears in the chain, which every node of the community would
///   otherwise hold for itself.
final class SimShared {
    let signatures = SignatureVerifier.shared(SignatureCache())
    /// The bytes the nodes' disks hold, each content once (`SimChunkPool`).
    let chunks = SimChunkPool()
    private var geneses: [Hash: GovernanceState] = [:]
    private var indexes: [Hash: SimChainIndex] = [:]

    /// The state at height 0 of the community `genesis` founds (one per community, copied by each node).
    func genesisState(_ genesis: GenesisDocument) -> GovernanceState {
        if let known = geneses[genesis.hash] { return known }
        let state = GovernanceState(genesis: genesis)
        geneses[genesis.hash] = state
        return state
    }

    /// The chain index of the community `genesis` founds.
    func chainIndex(_ genesis: GenesisDocument) -> SimChainIndex {
        if let known = indexes[genesis.hash] { return known }
        let index = SimChainIndex()
        indexes[genesis.hash] = index
        return index
    }
}

/// Where each transaction ID first appears in a community's chain, and how
/// it was decided, recorded by the first node to store each block; a node at
/// height h sees the entries at or below h. Each node checks that the block
/// it records at a height is the one indexed there.
final class SimChainIndex {
    private(set) var hashes: [Hash] = []
    private(set) var places: [Hash: CommittedPlace] = [:]

    var height: UInt64 { UInt64(hashes.count) }

    /// Records `block` (with each transaction's rejection reason, if any, in
    /// block order) as the next one, or checks it against the one recorded at
    /// its height; false if another block is recorded there.
    func record(_ block: SealedBlock, reasons: [String?]) -> Bool {
        let height = block.height
        if height <= self.height { return hashes[Int(height - 1)] == block.header.hash }
        precondition(height == self.height + 1, "blocks are indexed in order")
        hashes.append(block.header.hash)
        for (i, tx) in block.block.transactions.enumerated() where places[tx.id] == nil {
            places[tx.id] = CommittedPlace(height: height, index: UInt32(i), applied: reasons[i] == nil, reason: reasons[i])
        }
        return true
    }

    /// Where `id` first appears at or below `height`.
    func place(of id: Hash, atOrBelow height: UInt64) -> CommittedPlace? {
        guard let place = places[id], place.height <= height else { return nil }
        return place
    }
}
