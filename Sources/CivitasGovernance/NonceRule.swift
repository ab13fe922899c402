public import CivitasLedger

/// The nonce rule, written once. A signer's transactions carry nonces 1, 2,
/// 3, … in order: a transaction is decided only if its nonce is the signer's
/// latest consumed nonce + 1 and it belongs to this community. Such a
/// transaction consumes its nonce whether the governance rules then allow it
/// or not, so the signer's later transactions still line up after a refusal;
/// a transaction of another community or with any other nonce is rejected
/// and consumes nothing. A transaction already in the chain that appears
/// again is therefore rejected as out of order.
///
/// Used by the transition (`GovernanceTransition`), so by both stores; by the
/// mempool's committed-nonce logic; and by the node runtime's nonce cache.
public enum NonceRule {
    /// What the rule says of a transaction in a block.
    public enum Verdict: Hashable, Sendable {
        /// The nonce is the next one: it is consumed, and the governance rules decide the rest.
        case consumes
        /// Rejected before the rules, with the one-line reason; no nonce is consumed.
        case refused(String)
    }

    /// The verdict on `tx` in a block of `community`, when its signer's latest consumed nonce is `latest`.
    public static func check(_ tx: Transaction, community: CommunityID, latest: UInt64) -> Verdict {
        guard tx.community == community else { return .refused("belongs to community '\(tx.community)'") }
        guard next(after: latest) == tx.nonce else {
            return .refused("nonce \(tx.nonce) is out of order: the signer's next nonce is \(latest &+ 1)")
        }
        return .consumes
    }

    /// The signer's latest consumed nonce once `tx` is applied in a block, given `latest` before it.
    public static func latest(after tx: Transaction, community: CommunityID, latest: UInt64) -> UInt64 {
        check(tx, community: community, latest: latest) == .consumes ? tx.nonce : latest
    }

    /// The nonce a signer's next transaction must carry after `latest` (nil
    /// once the signer used the last nonce there is).
    public static func next(after latest: UInt64) -> UInt64? {
        latest == .max ? nil : latest + 1
    }

    /// True if `nonce` can never be consumed again: it is at or below the latest consumed one.
    public static func isUsed(_ nonce: UInt64, latest: UInt64) -> Bool { nonce <= latest }
}
