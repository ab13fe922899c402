import CivitasCodec
import CivitasLedger
import CivitasNodeCore

/// Keys, transactions and a committed-state stub for the mempool tests.
enum Fixtures {
    static let community = CommunityID("maple-court")!
    static let otherCommunity = CommunityID("birch-lane")!

    /// A deterministic key: seed bytes all `n`.
    static func key(_ n: UInt8) -> SigningKey { SigningKey(seed: Bytes32(Array(repeating: n, count: 32))!) }

    /// A service request whose description is `text` (its length sets the transaction's size).
    static func request(_ text: String = "street light out") -> TransactionPayload {
        .serviceRequest(ServiceRequest(serviceCode: "lighting", description: text, location: "block 3"))
    }

    /// A notice in `category`.
    static func notice(_ category: Notice.Category) -> TransactionPayload {
        .notice(Notice(category: category, title: "Minutes", body: "of the March meeting"))
    }

    /// `key`'s signed transaction with `nonce`.
    static func tx(_ key: SigningKey, _ nonce: UInt64, _ payload: TransactionPayload = request(),
                   community: CommunityID = community) -> Transaction {
        UnsignedTransaction(community: community, signer: key.publicKey, nonce: nonce, time: 1_000, payload: payload)
            .signed(with: key)
    }

    /// The same content as `tx` with a signature made for other content.
    static func forged(_ tx: Transaction, by key: SigningKey) -> Transaction {
        var other = tx.body
        other.nonce &+= 1
        return Transaction(tx.body, signature: other.signed(with: key).signature)
    }

    /// Settings small enough to reach every bound in a test.
    static func small(transactions: Int = 10, perSigner: Int = 10, bytes: Int = 1 << 20,
                      transactionBytes: Int = 4_096, nonceGap: UInt64 = 64, staleAfter: Timestamp = 60_000) -> MempoolSettings {
        var s = MempoolSettings()
        s.maxTransactions = transactions
        s.maxPerSigner = perSigner
        s.maxBytes = bytes
        s.maxTransactionBytes = transactionBytes
        s.maxNonceGap = nonceGap
        s.staleAfter = .milliseconds(staleAfter)
        return s
    }
}

/// Counts the rule look-ups a view serves (to show which checks ran).
final class LookupCounter: @unchecked Sendable {
    var permissions = 0
}

/// The committed state as the mempool sees it: nonces, roles, and two real
/// rules of the design's governance model — who may issue each notice
/// category, and that only the residents' committee registers subjects.
struct StubView: MempoolView {
    var community = Fixtures.community
    var nonces: [PublicKey: UInt64] = [:]
    var roles: [PublicKey: RoleSet] = [:]
    let lookups = LookupCounter()

    func committedNonce(of signer: PublicKey) -> UInt64 { nonces[signer] ?? 0 }

    func permission(for transaction: Transaction) -> String? {
        lookups.permissions += 1
        let held = roles[transaction.signer] ?? RoleSet()
        switch transaction.payload {
        case let .notice(notice):
            let issuers: [Role]
            switch notice.category {
            case .partyAffairs: issuers = [.partyBranch]
            case .housingAffairs: issuers = [.ownersCommittee, .propertyManager]
            case .finance: issuers = [.residentsCommittee, .ownersCommittee]
            case .services: issuers = [.residentsCommittee, .streetOffice, .serviceProvider]
            case .general: issuers = [.residentsCommittee, .partyBranch, .ownersCommittee, .streetOffice]
            }
            guard issuers.contains(where: held.contains) else {
                return "a \(notice.category) notice is issued only by " + issuers.map(\.description).joined(separator: " or ")
            }
            return nil
        case .registration:
            return held.contains(.residentsCommittee) ? nil : "only the residents' committee registers subjects"
        default:
            return nil
        }
    }

    /// Records `transactions` as applied: each signer's nonce moves to the highest applied.
    mutating func apply(_ transactions: [Transaction]) {
        for tx in transactions { nonces[tx.signer] = max(nonces[tx.signer] ?? 0, tx.nonce) }
    }
}

extension Admission {
    /// The ID if admitted.
    var admittedID: Hash? {
        if case let .admitted(id, _) = self { return id }
        return nil
    }
    /// The transactions displaced to admit this one.
    var displaced: [EvictedTransaction] {
        if case let .admitted(_, displaced) = self { return displaced }
        return []
    }
    /// The reason if rejected.
    var rejection: MempoolRejection? {
        if case let .rejected(reason) = self { return reason }
        return nil
    }
}

extension Transaction {
    /// (signer seed byte, nonce): compact for expectations.
    func tag(_ keys: [SigningKey]) -> String {
        let i = keys.firstIndex { $0.publicKey == signer }.map { String(UnicodeScalar(UInt8(65 + $0))) } ?? "?"
        return "\(i)\(nonce)"
    }
}
