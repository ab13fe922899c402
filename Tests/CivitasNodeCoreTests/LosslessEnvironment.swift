import CivitasCodec
import CivitasGossip
import CivitasGovernance
import CivitasLedger
import CivitasNodeCore
import CivitasRaft
import CivitasTime

/// The node driver's environment for the node-level tests: a lossless
/// in-memory world. Storage is durable at once, every rule lets every
/// transaction through (the rules are tested on their own), and what the
/// node sends, dials and closes waits in an outbox that the test community
/// delivers at once.
final class LosslessEnvironment: NodeEnvironment {
    enum Outgoing {
        case consensus(NodeID, [UInt8])
        case gossip(NodeID, GossipMessage)
        case dial(String, NodeID?)
        case disconnect(NodeID)
        case finished(SubmissionTicket, SubmitOutcome?)
    }

    /// Shared by every node of a test community: milliseconds since it began.
    final class Clock { var millis: Timestamp = 1_000_000 }

    let clock: Clock
    let community: CommunityID
    var blocks: [SealedBlock] = []
    var nonces: [PublicKey: UInt64] = [:]
    var places: [Hash: CommittedPlace] = [:]
    var hardState = HardState()
    var entries: [Entry] = []
    var snapshot: Snapshot?
    var outbox: [Outgoing] = []
    var events: [NodeEvent] = []
    /// Every gossip message this node was handed (for tests that look at how a payload arrived).
    var gossipReceived: [GossipMessage] = []

    init(clock: Clock, community: CommunityID) {
        self.clock = clock
        self.community = community
    }

    var monotonicNow: MonotonicTime { .origin + .milliseconds(clock.millis) }
    var wallMillis: Timestamp { clock.millis }

    /// The federation document a test says this community adopted, and a gateway's anchoring key.
    var federation: FederationDocument?
    var anchoringKey: SigningKey?
    func adoptedFederation() -> FederationDocument? { federation }
    /// Referrals as a test sets them (the rules are tested on their own).
    var referrals: [Hash: ReferralEntry] = [:]
    var incomingReferrals: [Hash: IncomingReferralEntry] = [:]
    func referral(_ id: Hash) -> ReferralEntry? { referrals[id] }
    func incomingReferral(_ id: Hash) -> IncomingReferralEntry? { incomingReferrals[id] }
    func unansweredReferrals() -> [ReferralEntry] { referrals.values.filter { $0.answer == nil }.sorted { $0.height < $1.height } }

    func persist(_ ready: Ready) throws {
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

    func persistCompaction(_ s: Snapshot) throws {
        snapshot = s
        entries.removeAll { $0.index <= s.index }
    }

    var storedHeight: UInt64 { UInt64(blocks.count) }
    func storeBlocks(_ sealed: [SealedBlock]) throws { blocks += sealed }
    func readBlocks(from: UInt64, through: UInt64, maxBytes: Int) throws -> [SealedBlock] {
        Array(blocks[Int(from - 1)..<Int(through)])
    }

    func apply(_ block: SealedBlock) throws -> [Hash: String] {
        for (i, tx) in block.block.transactions.enumerated() {
            if tx.nonce == nonces[tx.signer, default: 0] + 1 { nonces[tx.signer] = tx.nonce }
            if places[tx.id] == nil { places[tx.id] = CommittedPlace(height: block.height, index: UInt32(i), applied: true, reason: nil) }
        }
        return [:]
    }

    func storedNonce(of signer: PublicKey) -> UInt64 { nonces[signer] ?? 0 }
    func permission(for transaction: Transaction) -> String? { nil }
    func committedPlace(of id: Hash) -> CommittedPlace? { places[id] }

    func send(_ message: ConsensusMessage, to node: NodeID) { outbox.append(.consensus(node, message.encoded())) }
    func send(_ message: GossipMessage, to node: NodeID, lane: GossipLane) { outbox.append(.gossip(node, message)) }
    func dial(_ address: String, expecting node: NodeID?) { outbox.append(.dial(address, node)) }
    func disconnect(_ node: NodeID, reason: NodeDisconnect) { outbox.append(.disconnect(node)) }
    func note(_ event: NodeEvent) { events.append(event) }
    func submissionFinished(_ ticket: SubmissionTicket, _ outcome: SubmitOutcome?) { outbox.append(.finished(ticket, outcome)) }
}
