public import CivitasLedger

/// The answer to a submission. The HTTP API maps it to a status code.
public enum SubmitOutcome: Sendable, Hashable {
    /// Admitted to the mempool (HTTP 202).
    case accepted(id: Hash)
    /// The same transaction is already pending: resubmission is idempotent (HTTP 202).
    case alreadyKnown(id: Hash)
    /// Waited and still pending when the wait ended (HTTP 202).
    case pending(id: Hash)
    /// In a sealed block applied here (HTTP 200). `applied` false: the block
    /// recorded it as rejected, with `reason`.
    case committed(id: Hash, height: UInt64, index: UInt32, applied: Bool, reason: String?)
    /// Refused by the mempool or the rules; nothing stored (HTTP 422; `replay`:
    /// another transaction already used the nonce on the chain, HTTP 409).
    case rejected(id: Hash?, reason: String, replay: Bool)
    /// The node cannot take it now: behind the chain, mempool full, shutting down (HTTP 503).
    case unavailable(reason: String)
}

