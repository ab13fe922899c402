public import CivitasLedger

/// The governance rules: who may submit each kind of transaction and which
/// state it needs (docs/governance.md). Each kind's rule sits with its
/// effects in one `KindTransition` (Kinds/); this type checks what every
/// kind shares — the signer must be a registered, active subject — and hands
/// the payload to its kind.
///
/// Not checked here: the community and the nonce (`NonceRule`, before the
/// rules), and the signature (checked before a transaction is admitted or a
/// block is accepted).
public enum GovernanceRules {
    /// Nil if `tx` may be applied in a block at `at` on top of the state
    /// `reader` describes; otherwise the reason it is refused (one line).
    /// The mempool refuses with this reason; a block applies a transaction
    /// only if it is nil.
    public static func check<R: GovernanceReader>(_ tx: Transaction, at: (height: UInt64, time: Timestamp),
                                                  genesis: GenesisDocument, reader: R) throws(R.Failure) -> String? {
        let context = TransactionContext(height: at.height, time: at.time, index: 0)
        switch try decide(tx, id: tx.id, context: context, genesis: genesis, state: reader, withEffects: false) {
        case let .refused(reason): return reason
        case .allowed: return nil
        }
    }

    /// What the rules make of a transaction whose nonce is in order.
    enum Decision {
        case refused(String)
        /// Allowed, with its effects (empty if they were not asked for).
        case allowed([StateChange])
    }

    /// The rules' verdict on `tx` and, if it is allowed and `withEffects`, its effects.
    static func decide<R: GovernanceReader>(_ tx: Transaction, id: Hash, context: TransactionContext, genesis: GenesisDocument,
                                            state: R, withEffects: Bool) throws(R.Failure) -> Decision {
        let signerID = tx.signer.subjectID
        guard let signer = try state.subject(signerID) else {
            return .refused("signer \(signerID) is not a registered subject")
        }
        guard signer.isActive else { return .refused("signer \(signerID) is revoked") }
        let s = Submission(tx: tx, id: id, signerID: signerID, signer: signer, context: context, genesis: genesis, state: state)
        // One line per kind: adding a kind adds its line here (docs/governance.md, "Adding a kind").
        switch tx.payload {
        case let .registration(p): return try decide(RegistrationTransition.self, p, s, withEffects)
        case let .notice(p): return try decide(NoticeTransition.self, p, s, withEffects)
        case let .proposal(p): return try decide(ProposalTransition.self, p, s, withEffects)
        case let .ballot(p): return try decide(BallotTransition.self, p, s, withEffects)
        case let .serviceRequest(p): return try decide(ServiceRequestTransition.self, p, s, withEffects)
        case let .assignment(p): return try decide(AssignmentTransition.self, p, s, withEffects)
        case let .serviceResponse(p): return try decide(ServiceResponseTransition.self, p, s, withEffects)
        case let .closure(p): return try decide(ClosureTransition.self, p, s, withEffects)
        case let .volunteerRecord(p): return try decide(VolunteerRecordTransition.self, p, s, withEffects)
        case let .checkpoint(p): return try decide(CheckpointTransition.self, p, s, withEffects)
        case let .referral(p): return try decide(ReferralTransition.self, p, s, withEffects)
        case let .proposalDraft(p): return try decide(ProposalDraftTransition.self, p, s, withEffects)
        case let .endorsement(p): return try decide(EndorsementTransition.self, p, s, withEffects)
        case let .rewardOffer(p): return try decide(RewardOfferTransition.self, p, s, withEffects)
        case let .redemption(p): return try decide(RedemptionTransition.self, p, s, withEffects)
        case let .federationAdoption(p): return try decide(FederationAdoptionTransition.self, p, s, withEffects)
        case let .referralRelay(p): return try decide(ReferralRelayTransition.self, p, s, withEffects)
        case let .referralAnswer(p): return try decide(ReferralAnswerTransition.self, p, s, withEffects)
        }
    }

    private static func decide<K: KindTransition, R: GovernanceReader>(
        _ kind: K.Type, _ payload: K.Payload, _ s: Submission<R>, _ withEffects: Bool
    ) throws(R.Failure) -> Decision {
        if let reason = try K.check(payload, s) { return .refused(reason) }
        return .allowed(withEffects ? try K.effects(payload, s) : [])
    }

    /// "a", "a or b", "a, b or c".
    static func names(_ roles: [Role]) -> String {
        let n = roles.map(\.description)
        guard n.count > 1 else { return n.first ?? "nobody" }
        return n.dropLast().joined(separator: ", ") + " or " + n.last!
    }
}

/// One transaction kind's rule and effects, side by side.
///
/// `check` returns nil if the signer may submit the payload on the state
/// `s.state` shows, else the one-line reason; `effects` returns the changes
/// applying it makes, and is called only after `check` allowed it, on the
/// same state. Both read the state only through `s.state` and decide
/// everything the changes carry.
protocol KindTransition {
    associatedtype Payload
    static func check<R: GovernanceReader>(_ payload: Payload, _ s: Submission<R>) throws(R.Failure) -> String?
    static func effects<R: GovernanceReader>(_ payload: Payload, _ s: Submission<R>) throws(R.Failure) -> [StateChange]
}

/// A transaction whose nonce is in order and whose signer is a registered,
/// active subject, with everything its kind's rule and effects read.
struct Submission<R: GovernanceReader> {
    let tx: Transaction
    let id: Hash
    let signerID: SubjectID
    let signer: SubjectEntry
    let context: TransactionContext
    let genesis: GenesisDocument
    let state: R

    /// Nil if the signer holds one of `allowed`, else the refusal naming `what`.
    func refusal(_ what: String, _ allowed: [Role]) -> String? {
        if allowed.contains(where: signer.roles.contains) { return nil }
        return "\(what) may be issued only by \(GovernanceRules.names(allowed)); signer \(signerID) holds \(signer.roles)"
    }

    /// The block's height.
    var height: UInt64 { context.height }
    /// The block's time as the state records it.
    var time: Timestamp { context.recordedTime }
    /// The transaction's position in its block.
    var index: Int { context.index }
}
