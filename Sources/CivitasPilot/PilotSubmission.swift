public import CivitasLedger
public import CivitasNode
import Foundation

/// What a node answered to a submitted transaction, decoded.
public struct PilotSubmission: Sendable, CustomStringConvertible {
    public let transaction: Transaction
    /// The HTTP status.
    public let status: Int
    /// The submission answer (`SubmitBody`), unless the node refused the request itself.
    public let answer: SubmitBody?
    /// Why the transaction was refused, or failed once committed: the answer's reason, else the error body's.
    public let reason: String?

    init(transaction: Transaction, answer http: NodeHTTPClient.Answer) {
        self.transaction = transaction
        status = http.status
        answer = try? JSONDecoder().decode(SubmitBody.self, from: http.body)
        if let answer { reason = answer.reason } else { reason = http.reason }
    }

    /// In a block (applied, or recorded as refused by the rules).
    public var committed: Bool { status == 200 && answer?.status == "committed" }
    /// In a block, and the governance rules applied it.
    public var applied: Bool { committed && answer?.applied == true }
    /// The height of the block it is in, once committed.
    public var height: UInt64? { committed ? answer?.height : nil }

    public var description: String {
        "HTTP \(status) \(answer?.status ?? "error")" + (height.map { " at height \($0)" } ?? "") + (reason.map { ": \($0)" } ?? "")
    }
}
