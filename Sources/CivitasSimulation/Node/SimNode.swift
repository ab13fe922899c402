import CivitasCodec
import CivitasLedger
import CivitasNodeCore
import CivitasRaft

/// One simulated node: its core while it runs, and what survives a crash
/// (the Raft log and the block store, both durable at once here).
struct SimNode {
    let index: Int
    let key: SigningKey
    let id: NodeID
    let role: NodeCoreRole
    var core: NodeCore?
    var ledger: SimLedger
    var restarts: UInt64 = 0

    // Durable.
    var hardState = HardState()
    var snapshot: Snapshot?
    var entries: [Entry] = []
    var hasRaftLog = false
    var blocks: [SealedBlock] = []
    /// Where each transaction ID first appears in the stored chain (height, index).
    var locations: [Hash: ChainPlace] = [:]

    init(index: Int, key: SigningKey, role: NodeCoreRole, genesis: GenesisDocument) {
        self.index = index
        self.key = key
        self.role = role
        id = NodeID(deriving: key.publicKey)
        ledger = SimLedger(genesis: genesis)
    }

    var alive: Bool { core != nil }
    var storedHeight: UInt64 { UInt64(blocks.count) }

    /// Starts (or restarts) from what is durable: the state is rebuilt by
    /// applying the stored blocks again.
    mutating func restart(configuration: NodeCoreConfiguration, genesis: GenesisDocument, now: Timestamp, seed: UInt64) {
        restarts += 1
        ledger = SimLedger(genesis: genesis)
        for block in blocks { ledger.apply(block.block) }
        let position = blocks.last.map { ChainPosition(height: $0.height, hash: $0.header.hash, time: $0.header.time) }
            ?? .genesis(genesis)
        let restore = hasRaftLog ? NodeCore.RaftRestore(hardState: hardState, snapshot: snapshot, entries: entries) : nil
        core = NodeCore(configuration: configuration, applied: position, restoring: restore, now: now, seed: seed)
    }

    mutating func crash() {
        core = nil
    }

    /// The persistence contract: entries overwrite from their first index.
    mutating func persist(_ ready: Ready) {
        hasRaftLog = true
        if let s = ready.snapshot {
            snapshot = s
            entries.removeAll { $0.index <= s.index }
        }
        if let first = ready.entries.first {
            entries.removeAll { $0.index >= first.index }
            entries += ready.entries
        }
        if let h = ready.hardState { hardState = h }
    }

    mutating func persistCompaction(_ s: Snapshot) {
        guard s.index > (snapshot?.index ?? 0) else { return }
        snapshot = s
        entries.removeAll { $0.index <= s.index }
    }

    mutating func store(_ block: SealedBlock, genesis: GenesisDocument) {
        blocks.append(block)
        for (i, tx) in block.block.transactions.enumerated() where locations[tx.id] == nil {
            locations[tx.id] = ChainPlace(height: block.height, index: i)
        }
        if !ledger.apply(block.block) {
            preconditionFailure("block \(block.height) does not extend the node's state (the shell applies in order)")
        }
    }

    func blocks(from start: UInt64, count: Int) -> [SealedBlock] {
        guard start >= 1, start <= storedHeight, count > 0 else { return [] }
        let first = Int(start - 1)
        return Array(blocks[first..<min(blocks.count, first + count)])
    }

    func location(of id: Hash) -> ChainPlace? { locations[id] }
}

/// A transaction's place in a chain.
struct ChainPlace: Hashable, CustomStringConvertible {
    var height: UInt64
    var index: Int
    var description: String { "\(height)#\(index)" }
}
