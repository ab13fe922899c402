import CivitasCodec
import CivitasLedger

/// Checkpoints: a neighbour's certified head, relayed by a genesis
/// validator's subject, the residents' committee or the street office, and
/// recorded once. This community's own heads are recorded by the state
/// itself every `checkpointInterval` blocks.
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
        if try s.state.hasCheckpoint(community: cp.community, height: StateInteger.clamp(cp.height), headerHash: cp.headerHash) {
            return "checkpoint of '\(cp.community)' at height \(cp.height) (\(cp.headerHash.hex)) is already recorded"
        }
        return nil
    }

    static func effects<R: GovernanceReader>(_ cp: Checkpoint, _ s: Submission<R>) throws(R.Failure) -> [StateChange] {
        [.checkpointRecorded(CheckpointEntry(
            community: cp.community, height: StateInteger.clamp(cp.height), headerHash: cp.headerHash,
            genesisHash: cp.genesisHash, isOwn: false, recordedHeight: s.height, recordedIndex: s.index,
            transaction: s.id, submitter: s.signerID, votes: cp.certificate.votes.count,
            certificate: cp.certificate.encoded()))]
    }

    /// This community's own head at `header`, if its height is a multiple of
    /// `checkpointInterval` (the certificate stays in the block store).
    static func ownCheckpoint(_ header: BlockHeader, genesis: GenesisDocument) -> StateChange? {
        guard header.height % max(genesis.parameters.checkpointInterval, 1) == 0 else { return nil }
        return .checkpointRecorded(CheckpointEntry(
            community: genesis.community, height: header.height, headerHash: header.hash, genesisHash: genesis.hash,
            isOwn: true, recordedHeight: header.height, recordedIndex: nil, transaction: nil, submitter: nil,
            votes: nil, certificate: nil))
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
