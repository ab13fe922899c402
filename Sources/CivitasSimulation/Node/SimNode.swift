import CivitasCodec
import CivitasLedger
import CivitasNodeCore
import CivitasStorage
import CivitasTime

/// One simulated node: its disk, which outlives crashes, and while it runs,
/// its driver over a `SimNodeEnvironment` on that disk.
struct SimNode {
    let index: Int
    let key: SigningKey
    let id: NodeID
    let role: NodeCoreRole
    /// The community it belongs to (its index in the city; 0 in a one-community run).
    let community: Int
    /// The node's disk: a crash loses its unsynced writes.
    let fs: SimFileSystem
    /// While the node runs: its driver and the environment it runs in.
    private(set) var process: SimProcess?
    var restarts: UInt64 = 0
    /// The node's wall clock against true time (ms): its skew, changed by clock steps; survives restarts.
    var wallOffsetMillis: Int64 = 0
    /// Submissions waiting on this node, by ticket: the transaction each is for.
    var tickets: [SubmissionTicket: Hash] = [:]
    /// The last block this run saw the node apply (the order check).
    var appliedHeight: UInt64 = 0
    /// What every node of the run shares (the signature cache, the communities' states and chain indexes).
    let shared: SimShared

    init(index: Int, key: SigningKey, role: NodeCoreRole, community: Int = 0, seed: UInt64, shared: SimShared) {
        self.index = index
        self.shared = shared
        self.key = key
        self.role = role
        self.community = community
        id = NodeID(deriving: key.publicKey)
        fs = SimFileSystem(seed: seed, pool: shared.chunks)
    }

    var alive: Bool { process != nil }
    var environment: SimNodeEnvironment? { process?.environment }
    var storedHeight: UInt64 { environment?.storedHeight ?? 0 }
    var ledger: SimLedger? { environment?.ledger }

    /// Starts (or restarts) from what its disk holds: the Raft log and the
    /// blocks recovered by the real storage code, the state rebuilt from the blocks.
    mutating func start(configuration: NodeCoreConfiguration, genesis: GenesisDocument, virtualTime: SimTime,
                        seed: UInt64, anchoringKey: SigningKey? = nil) throws(StorageError) {
        restarts += 1
        var configuration = configuration
        configuration.signatureVerifier = shared.signatures
        let environment = try SimNodeEnvironment(
            fs: fs, genesis: genesis, shared: shared, runsRaft: configuration.replicaID != nil,
            monotonicOrigin: .origin + .milliseconds(10_000 + UInt64(index) * 7_919 + restarts * 104_729), wallOffsetMillis: wallOffsetMillis,
            virtualTime: virtualTime, anchoringKey: anchoringKey)
        process = SimProcess(driver: NodeDriver(configuration: configuration, environment: environment, applied: try environment.head(),
                                                restoring: environment.raftRestore, seed: seed), environment: environment)
    }

    /// Power loss: the driver and everything in memory are gone; the disk keeps what was synced.
    mutating func crash() {
        process = nil
        tickets = [:]
        fs.crash()
    }

    func location(of id: Hash) -> CommittedPlace? { environment?.committedPlace(of: id) }
}

/// A running simulated node: its driver and the environment it runs in. A
/// class, so the driver (several KiB of state) is used in place: through an
/// optional array element, each call copied it out and back.
final class SimProcess {
    var driver: NodeDriver<SimNodeEnvironment>
    let environment: SimNodeEnvironment

    init(driver: NodeDriver<SimNodeEnvironment>, environment: SimNodeEnvironment) {
        self.driver = driver
        self.environment = environment
    }
}

/// A transaction's place in a chain.
struct ChainPlace: Hashable, CustomStringConvertible {
    var height: UInt64
    var index: Int
    var description: String { "\(height)#\(index)" }
}
