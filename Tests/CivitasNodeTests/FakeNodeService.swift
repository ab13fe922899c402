import CivitasCodec
import CivitasLedger
import CivitasNodeCore
import CivitasNode
import CivitasStorage
import Foundation
import Synchronization

/// A `NodeService` over a fixed chain applied to a real state database. It
/// records every submission it receives and answers with a chosen outcome.
final class FakeNodeService: NodeService {
    let state: StateDatabase
    let blocks: [SealedBlock]
    let directory: URL
    private let submitted = Mutex<[Transaction]>([])
    private let answer: Mutex<@Sendable (Transaction) -> SubmitOutcome>
    private let currentReport: Mutex<NodeStatusReport>
    let pending: Set<Hash>

    init(chain: TestChain, pending: Set<Hash> = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("civitas-node-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        state = try StateDatabase.open(path: directory.appendingPathComponent("state.sqlite").path, genesis: chain.genesis)
        for block in chain.blocks { _ = try state.apply(block) }
        blocks = chain.blocks
        self.pending = pending
        answer = Mutex({ @Sendable tx in .accepted(id: tx.id) })
        currentReport = Mutex(FakeNodeService.healthyReport(height: UInt64(chain.blocks.count)))
    }

    deinit {
        try? state.close()
        try? FileManager.default.removeItem(at: directory)
    }

    var submissions: [Transaction] { submitted.withLock { $0 } }

    func answer(with outcome: @escaping @Sendable (Transaction) -> SubmitOutcome) { answer.withLock { $0 = outcome } }

    func setReport(_ change: (inout NodeStatusReport) -> Void) { currentReport.withLock { change(&$0) } }

    func submit(_ transaction: Transaction, waitForCommit: Duration?) async -> SubmitOutcome {
        submitted.withLock { $0.append(transaction) }
        return answer.withLock { $0 }(transaction)
    }

    func transactionStatus(_ id: Hash) async -> TransactionStatusReport {
        for block in blocks {
            if let index = block.block.transactions.firstIndex(where: { $0.id == id }) {
                let record = try? state.transactions(id: id).first
                return .committed(height: block.height, index: UInt32(index), applied: record?.isApplied ?? true,
                                  reason: record?.rejectionReason, blockHash: block.header.hash,
                                  transactionRoot: block.header.transactionRoot, proof: block.block.inclusionProof(index: index))
            }
        }
        return pending.contains(id) ? .pending : .unknown
    }

    func status() async -> NodeStatusReport { currentReport.withLock { $0 } }

    func block(at height: UInt64) async -> SealedBlock? {
        height >= 1 && height <= UInt64(blocks.count) ? blocks[Int(height - 1)] : nil
    }

    static func healthyReport(height: UInt64) -> NodeStatusReport {
        NodeStatusReport(
            identity: .init(nodeID: "node_00112233445566778899aabbccddeeff", community: "lianhua-east", role: "validator", version: "0.6.0"),
            raft: .init(term: 3, role: "leader", leader: "node_00112233445566778899aabbccddeeff", commitIndex: 42, appliedIndex: 42),
            chain: .init(height: height, headHash: String(repeating: "ab", count: 32), headAgeMillis: 1_500, bestPeerHeight: height),
            peers: [
                .init(nodeID: "node_11", community: "lianhua-east", role: "validator", address: "10.0.0.2:7000", roundTripMillis: 0.8),
                .init(nodeID: "node_22", community: "hehua-north", role: "gateway", address: "10.1.0.2:7000", roundTripMillis: 12.5),
            ],
            gossip: ["blockSent": 10, "txSent": 200],
            mempool: .init(transactions: 3, bytes: 900, signers: 2),
            disk: .init(dataDirectory: "/var/lib/civitas", usedBytes: 1 << 20, freeBytes: 50 << 30, totalBytes: 100 << 30),
            certificate: .init(notAfter: "2027-12-01T00:00:00Z", secondsLeft: 30_000_000),
            checkpoints: [.init(community: "hehua-north", height: 40, headerHash: String(repeating: "cd", count: 32))],
            health: HealthReport(level: .healthy, reasons: []))
    }
}
