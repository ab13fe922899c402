import CivitasCodec
import CivitasLedger

/// Checkpoints: a neighbour's certified head, relayed by a genesis
/// validator's subject, the residents' committee or the street office. Every
/// replica re-verifies it against the adopted federation document: the
/// neighbour must be listed there with the checkpoint's genesis hash, and the
/// certificate must carry valid votes of a majority of the validators listed
/// for it. The first valid checkpoint at a height of a neighbour's chain is
/// anchored; a valid one with another header at that height is tamper
/// evidence (both headers and certificates recorded), never refused. This
/// community's own heads are recorded by the state itself every
/// `checkpointInterval` blocks.
enum CheckpointTransition: KindTransition {
    typealias Payload = Checkpoint

    /// Roles that may record a neighbour's checkpoint (besides genesis validator subjects).
    static let checkpointRoles: [Role] = [.residentsCommittee, .streetOffice]

    static func check<R: GovernanceReader>(_ cp: Checkpoint, _ s: Submission<R>) throws(R.Failure) -> String? {
        if !s.genesis.validators.contains(where: { $0.subject == s.tx.signer }),
           let refused = s.refusal("a checkpoint", checkpointRoles) {
            return refused + " and is not a genesis validator subject"
        }
        if cp.community == s.genesis.community {
            return "a checkpoint records another community's head, not this community's ('\(cp.community)')"
        }
        guard (1...StateInteger.max).contains(cp.height) else {
            return "a checkpoint's height must be 1 to \(StateInteger.max), not \(cp.height)"
        }
        guard let adopted = try s.state.adoptedFederation() else {
            return "no federation document is adopted: a neighbour's checkpoint is verified against the one the residents' committee adopted (kind 16)"
        }
        do {
            try adopted.document.verify(cp, using: s.state.signatureVerifier)
        } catch {
            return "checkpoint of '\(cp.community)' at height \(cp.height) does not verify against federation document \(adopted.sequence): \(error)"
        }
        if try s.state.hasCheckpoint(community: cp.community, height: cp.height, headerHash: cp.headerHash) {
            return "checkpoint of '\(cp.community)' at height \(cp.height) (\(cp.headerHash.hex)) is already recorded"
        }
        if try s.state.hasTamperEvidence(community: cp.community, height: cp.height, headerHash: cp.headerHash) {
            return "checkpoint of '\(cp.community)' at height \(cp.height) (\(cp.headerHash.hex)) is already recorded as tamper evidence"
        }
        return nil
    }

    /// The anchor, or tamper evidence against the anchor already at this height of that chain.
    static func effects<R: GovernanceReader>(_ cp: Checkpoint, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        let certificate = cp.certificate.encoded()
        if let anchor = try s.state.anchoredCheckpoint(community: cp.community, genesisHash: cp.genesisHash, height: cp.height),
           anchor.headerHash != cp.headerHash {
            return [.tamperEvidenceRecorded(TamperEvidenceEntry(
                community: cp.community, genesisHash: cp.genesisHash, height: cp.height, anchoredHeaderHash: anchor.headerHash,
                anchoredCertificate: anchor.certificate ?? [], conflictingHeaderHash: cp.headerHash,
                conflictingCertificate: certificate, recordedHeight: s.height, recordedTime: s.time, recordedIndex: s.index,
                transaction: s.id, submitter: s.signerID))]
        }
        return [.checkpointRecorded(CheckpointEntry(
            community: cp.community, height: cp.height, headerHash: cp.headerHash, genesisHash: cp.genesisHash, isOwn: false,
            recordedHeight: s.height, recordedTime: s.time, recordedIndex: s.index, transaction: s.id, submitter: s.signerID,
            votes: cp.certificate.votes.count, certificate: certificate))]
    }

    /// This community's own head at `header`, if its height is a multiple of
    /// `checkpointInterval` (the certificate stays in the block store).
    static func ownCheckpoint(_ header: BlockHeader, genesis: GenesisDocument) -> StateChange? {
        guard header.height % max(genesis.parameters.checkpointInterval, 1) == 0 else { return nil }
        return .checkpointRecorded(CheckpointEntry(
            community: genesis.community, height: header.height, headerHash: header.hash, genesisHash: genesis.hash,
            isOwn: true, recordedHeight: header.height, recordedTime: StateInteger.clamp(header.time), recordedIndex: nil,
            transaction: nil, submitter: nil, votes: nil, certificate: nil))
    }
}

/// Adopting the city's federation document (kind 16): the residents'
/// committee's decision for its community. The document must list this
/// community as its own chain is — this genesis hash and these validators —
/// so neighbours verify its checkpoints against the right keys; a later
/// version replaces the adopted one only with a higher sequence.
enum FederationAdoptionTransition: KindTransition {
    typealias Payload = FederationAdoption

    /// Roles that may adopt a federation document.
    static let adoptionRoles: [Role] = [.residentsCommittee]

    static func check<R: GovernanceReader>(_ a: FederationAdoption, _ s: Submission<R>) throws(R.Failure) -> String? {
        if let refused = s.refusal("a federation adoption", adoptionRoles) { return refused }
        let document = a.document
        let own = s.genesis.community
        guard let me = document.member(own) else {
            return "federation document \(document.sequence) does not list this community ('\(own)'), so adopting it would not join it"
        }
        guard me.genesisHash == s.genesis.hash else {
            return "federation document \(document.sequence) lists '\(own)' with genesis \(me.genesisHash.hex), not this chain's \(s.genesis.hash.hex)"
        }
        guard me.validators == s.genesis.validatorKeys else {
            return "federation document \(document.sequence) lists other validator keys for '\(own)' than its genesis document does, so neighbours would check its checkpoints against the wrong keys"
        }
        if let current = try s.state.adoptedFederation(), document.sequence <= current.sequence {
            if document.hash == current.hash { return "federation document \(document.sequence) (\(current.hash.hex)) is already adopted" }
            return "federation document sequence \(document.sequence) is not above the adopted one's (\(current.sequence))"
        }
        return nil
    }

    static func effects<R: GovernanceReader>(_ a: FederationAdoption, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        [.federationAdopted(FederationAdoptionEntry(document: a.document, height: s.height, time: s.time, index: s.index,
                                                    transaction: s.id, adopter: s.signerID))]
    }
}

/// Referrals: a request or resource passed to another community by the
/// residents' committee, the street office or a social organisation.
enum ReferralTransition: KindTransition {
    typealias Payload = Referral

    /// Roles that may refer a request or resource to another community.
    static let referralRoles: [Role] = [.residentsCommittee, .streetOffice, .socialOrganization]

    static func check<R: GovernanceReader>(_ r: Referral, _ s: Submission<R>) throws(R.Failure) -> String? {
        if let refused = s.refusal("a referral", referralRoles) { return refused }
        if r.toCommunity == s.genesis.community { return "a referral goes to another community, not to '\(r.toCommunity)'" }
        return nil
    }

    /// The referral, with the kind of the transaction it names if that was applied on this chain.
    static func effects<R: GovernanceReader>(_ r: Referral, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        var referenceKind: TransactionKind?
        if let reference = r.reference { referenceKind = try s.state.appliedKind(of: reference) }
        return [.referralRecorded(ReferralEntry(
            id: s.id, height: s.height, index: s.index, time: s.time, referrer: s.signerID, toCommunity: r.toCommunity,
            kind: r.kind, reference: r.reference, referenceKind: referenceKind, summary: r.summary))]
    }
}

/// A referral's steps recorded from a neighbour's chain (kind 17), by the
/// same subjects that record neighbours' checkpoints (a gateway's anchoring
/// key). Every replica verifies the proof against the adopted federation
/// document, then: a neighbour's referral to this community is received; for
/// a referral this community made, the neighbour's receipt marks it
/// delivered and its answer answered. Each step is recorded once.
enum ReferralRelayTransition: KindTransition {
    typealias Payload = ReferralRelay

    /// What a verified relay records.
    enum Step {
        case received(Referral, Transaction)
        case delivered(ReferralEntry, receipt: Transaction)
        case answered(ReferralEntry, ReferralAnswer, Transaction)
    }

    static func check<R: GovernanceReader>(_ relay: ReferralRelay, _ s: Submission<R>) throws(R.Failure) -> String? {
        if !s.genesis.validators.contains(where: { $0.subject == s.tx.signer }),
           let refused = s.refusal("a referral relay", CheckpointTransition.checkpointRoles) {
            return refused + " and is not a genesis validator subject"
        }
        switch try step(relay, s) {
        case let .failure(refusal): return refusal.reason
        case .success: return nil
        }
    }

    static func effects<R: GovernanceReader>(_ relay: ReferralRelay, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        guard case let .success(step) = try step(relay, s) else { return [] }
        let record = relay.record
        let here = { (theirs: Transaction) in
            ReferralStep(theirHeight: StateInteger.clamp(record.header.height), theirTransaction: theirs.id,
                         recordedHeight: s.height, recordedTime: s.time, transaction: s.id)
        }
        switch step {
        case let .received(referral, tx):
            return [.incomingReferralRecorded(IncomingReferralEntry(
                id: tx.id, fromCommunity: record.community, theirHeight: StateInteger.clamp(record.header.height),
                theirTime: StateInteger.clamp(record.header.time), referrer: tx.signer.subjectID, kind: referral.kind,
                reference: referral.reference, summary: referral.summary, recordedHeight: s.height, recordedTime: s.time,
                recordedIndex: s.index, transaction: s.id))]
        case let .delivered(entry, receipt):
            var entry = entry
            entry.delivered = here(receipt)
            return [.referralRecorded(entry)]
        case let .answered(entry, answer, tx):
            var entry = entry
            entry.answer = ReferralReply(accepted: answer.accepted, note: answer.note, answerer: tx.signer.subjectID)
            entry.answered = here(tx)
            return [.referralRecorded(entry)]
        }
    }

    /// The step `relay` records, or why it records none.
    static func step<R: GovernanceReader>(_ relay: ReferralRelay, _ s: Submission<R>) throws(R.Failure) -> Result<Step, Refusal> {
        let own = s.genesis.community
        let record = relay.record
        guard record.community != own else {
            return .failure("a referral relay records another community's record, not this community's ('\(own)')")
        }
        guard (1...StateInteger.max).contains(record.header.height) else {
            return .failure("a relayed record's height must be 1 to \(StateInteger.max), not \(record.header.height)")
        }
        guard let adopted = try s.state.adoptedFederation() else {
            return .failure("no federation document is adopted: a neighbour's record is verified against the one the residents' committee adopted (kind 16)")
        }
        let tx: Transaction
        do {
            tx = try record.verify(against: adopted.document, using: s.state.signatureVerifier)
        } catch {
            return .failure("record of '\(record.community)' at height \(record.header.height) does not verify against federation document \(adopted.sequence): \(error)")
        }
        switch tx.payload {
        case let .referral(referral):
            guard referral.toCommunity == own else {
                return .failure("the referral \(tx.id.hex) is to '\(referral.toCommunity)', not to this community")
            }
            if try s.state.incomingReferral(tx.id) != nil {
                return .failure("the referral \(tx.id.hex) of '\(record.community)' is already received")
            }
            return .success(.received(referral, tx))
        case let .referralRelay(inner):
            // The neighbour's receipt of a referral: it must carry one of ours, sent to that neighbour.
            guard inner.record.community == own, let carried = try? Transaction(encoded: inner.record.transaction),
                  case .referral = carried.payload else {
                return .failure("the relay \(tx.id.hex) of '\(record.community)' is not a receipt of a referral of this community")
            }
            guard let entry = try s.state.referral(carried.id), entry.toCommunity == record.community else {
                return .failure("this community made no referral \(carried.id.hex) to '\(record.community)'")
            }
            if entry.delivered != nil { return .failure("the referral \(carried.id.hex) is already recorded as delivered") }
            return .success(.delivered(entry, receipt: tx))
        case let .referralAnswer(answer):
            guard answer.fromCommunity == own, let entry = try s.state.referral(answer.referral),
                  entry.toCommunity == record.community else {
                return .failure("the answer \(tx.id.hex) of '\(record.community)' is not to a referral this community made to it")
            }
            if entry.answer != nil { return .failure("the referral \(answer.referral.hex) is already recorded as answered") }
            return .success(.answered(entry, answer, tx))
        default:
            return .failure("a referral relay carries a referral, a receipt of one or an answer, not a \(tx.kind)")
        }
    }

    struct Refusal: Error, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
        let reason: String
        init(stringLiteral value: String) { reason = value }
        init(stringInterpolation: DefaultStringInterpolation) { reason = String(stringInterpolation: stringInterpolation) }
    }
}

/// This community's answer to a neighbour's referral it received (kind 18):
/// accepted or declined, once, by the residents' committee, the street
/// office, a social organisation or a service provider.
enum ReferralAnswerTransition: KindTransition {
    typealias Payload = ReferralAnswer

    /// Roles that may answer a neighbour's referral.
    static let answerRoles: [Role] = [.residentsCommittee, .streetOffice, .socialOrganization, .serviceProvider]

    static func check<R: GovernanceReader>(_ a: ReferralAnswer, _ s: Submission<R>) throws(R.Failure) -> String? {
        if let refused = s.refusal("a referral answer", answerRoles) { return refused }
        guard let entry = try s.state.incomingReferral(a.referral), entry.fromCommunity == a.fromCommunity else {
            return "no referral \(a.referral.hex) of '\(a.fromCommunity)' has been received here"
        }
        if entry.answer != nil { return "the referral \(a.referral.hex) is already answered" }
        return nil
    }

    static func effects<R: GovernanceReader>(_ a: ReferralAnswer, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        guard var entry = try s.state.incomingReferral(a.referral) else { return [] }
        entry.answer = ReferralReply(accepted: a.accepted, note: a.note, answerer: s.signerID)
        entry.answerHeight = s.height
        entry.answerTime = s.time
        entry.answerTransaction = s.id
        return [.incomingReferralRecorded(entry)]
    }
}
