import CivitasGovernance
public import CivitasLedger
import CivitasCodec
import Foundation
import GRDB

/// `GovernanceReader` over the state database's tables on one connection:
/// `applyBlock` runs the governance transition through it, inside the block's
/// SQLite transaction, so a transaction sees the effects of the ones before
/// it in the same block. It only looks rows up; the transition decides.
struct SQLGovernanceReader: GovernanceReader {
    typealias Failure = any Error
    let db: Database

    func subject(_ id: SubjectID) throws -> SubjectEntry? {
        try db.row("SELECT * FROM subjects WHERE subject_id = ?", [id.raw.sql]).map(SubjectEntry.init(row:))
    }

    func subjects(holdingAnyOf roles: RoleSet) throws -> [SubjectEntry] {
        try db.rows("SELECT * FROM subjects WHERE (roles & ?) != 0", [Int64(roles.mask)]).map(SubjectEntry.init(row:))
    }

    func notice(_ id: Hash) throws -> GovernanceNotice? {
        guard let row = try db.row("SELECT issuer, category, superseded_by, chain_root, version FROM notices WHERE id = ?",
                                   [id.sql]) else { return nil }
        return GovernanceNotice(author: try row.subjectID("issuer"),
                                category: try named(try row.text("category"), column: "notices.category", \Notice.Category.description),
                                supersededBy: try row.optionalHash("superseded_by"), chainRoot: try row.hash("chain_root"),
                                version: Int(try row.int("version")))
    }

    func proposal(_ id: Hash) throws -> GovernanceProposal? {
        try db.row("SELECT * FROM proposals WHERE id = ?", [id.sql]).map(GovernanceProposal.init(row:))
    }

    func openProposals() throws -> [GovernanceProposal] {
        try db.rows("SELECT * FROM proposals WHERE status = 'open'").map(GovernanceProposal.init(row:))
    }

    func isInElectorate(_ subject: SubjectID, proposal: Hash) throws -> Bool {
        try db.integer("SELECT 1 FROM proposal_electorate WHERE proposal_id = ? AND subject_id = ?",
                       [proposal.sql, subject.raw.sql]) != nil
    }

    func ballot(proposal: Hash, voter: SubjectID) throws -> BallotEntry? {
        try db.row("SELECT * FROM ballots WHERE proposal_id = ? AND voter = ?", [proposal.sql, voter.raw.sql]).map(BallotEntry.init(row:))
    }

    func ballotChoices(proposal: Hash) throws -> [UInt32] {
        try db.rows("SELECT choice FROM ballots WHERE proposal_id = ?", [proposal.sql]).map { UInt32(clamping: try $0.int("choice")) }
    }

    func serviceRequest(_ id: Hash) throws -> ServiceRequestEntry? {
        try db.row("SELECT * FROM service_requests WHERE id = ?", [id.sql]).map(ServiceRequestEntry.init(row:))
    }

    func assignment(request: Hash, seq: Int) throws -> AssignmentEntry? {
        try db.row("SELECT * FROM service_assignments WHERE request_id = ? AND seq = ?", [request.sql, Int64(seq)])
            .map(AssignmentEntry.init(row:))
    }

    func volunteerTotals(_ volunteer: SubjectID) throws -> VolunteerTotals? {
        try db.row("SELECT * FROM volunteer_totals WHERE volunteer = ?", [volunteer.raw.sql]).map(VolunteerTotals.init(row:))
    }

    func draft(_ id: Hash) throws -> DraftEntry? {
        guard let row = try db.row("SELECT * FROM proposal_drafts WHERE id = ?", [id.sql]) else { return nil }
        let options = try db.rows("SELECT label FROM draft_options WHERE draft_id = ? ORDER BY option_index", [id.sql])
            .map { try $0.text("label") }
        return try DraftEntry(row: row, options: options)
    }

    func endorsements(draft: Hash) throws -> [EndorsementEntry] {
        try db.rows("SELECT * FROM draft_endorsements WHERE draft_id = ?", [draft.sql]).map(EndorsementEntry.init(row:))
    }

    func rewardOffer(_ id: Hash) throws -> RewardOfferEntry? {
        try db.row("SELECT * FROM reward_offers WHERE id = ?", [id.sql]).map(RewardOfferEntry.init(row:))
    }

    func redeemedTotals(_ subject: SubjectID) throws -> RedeemedTotals? {
        try db.row("SELECT * FROM redeemed_totals WHERE subject = ?", [subject.raw.sql]).map(RedeemedTotals.init(row:))
    }

    func hasCheckpoint(community: CommunityID, height: UInt64, headerHash: Hash) throws -> Bool {
        try db.integer("SELECT 1 FROM checkpoints WHERE community = ? AND height = ? AND header_hash = ?",
                       [community.name, sqlInt(height), headerHash.sql]) != nil
    }

    func anchoredCheckpoint(community: CommunityID, genesisHash: Hash, height: UInt64) throws -> CheckpointEntry? {
        try db.row("""
            SELECT * FROM checkpoints WHERE community = ? AND genesis_hash = ? AND height = ?
            ORDER BY recorded_height, recorded_idx LIMIT 1
            """, [community.name, genesisHash.sql, sqlInt(height)]).map(CheckpointEntry.init(row:))
    }

    func hasTamperEvidence(community: CommunityID, height: UInt64, headerHash: Hash) throws -> Bool {
        try db.integer("SELECT 1 FROM tamper_evidence WHERE community = ? AND height = ? AND conflicting_header_hash = ?",
                       [community.name, sqlInt(height), headerHash.sql]) != nil
    }

    func adoptedFederation() throws -> FederationAdoptionEntry? {
        try db.row("SELECT * FROM federation_adoptions ORDER BY sequence DESC LIMIT 1").map(FederationAdoptionEntry.init(row:))
    }

    func referral(_ id: Hash) throws -> ReferralEntry? {
        try db.rows("SELECT * FROM referrals WHERE id = ?", [id.sql]).first.map(ReferralEntry.init(row:))
    }

    func incomingReferral(_ id: Hash) throws -> IncomingReferralEntry? {
        try db.rows("SELECT * FROM incoming_referrals WHERE id = ?", [id.sql]).first.map(IncomingReferralEntry.init(row:))
    }

    func appliedKind(of transaction: Hash) throws -> TransactionKind? {
        try optionalNamed(try String.fetchOne(db.cachedStatement(sql: """
            SELECT kind FROM transactions WHERE id = ? AND status = 'applied' LIMIT 1
            """), arguments: [transaction.sql]), column: "transactions.kind", \TransactionKind.description)
    }

    func latestNonce(of signer: PublicKey) throws -> UInt64 {
        UInt64(clamping: try db.integer("SELECT nonce FROM signer_nonces WHERE signer = ?", [signer.raw.sql]) ?? 0)
    }

    func currentHead() throws -> GovernanceHead {
        let h = try StateDatabase.readHead(db)
        return GovernanceHead(height: h.height, time: h.time)
    }
}

extension RoleSet {
    /// The set stored in a `roles` column (unknown bits dropped).
    static func fromSQL(_ mask: Int64) -> RoleSet {
        RoleSet(Role.allCases.filter { mask & (1 << Int64($0.rawValue)) != 0 })
    }
}

extension StateDatabase {
    /// `GovernanceRules.check` against the committed state, for a transaction
    /// in the next block (at the head's time), in one read: what the next block
    /// would decide, unless transactions before it change the state. The node's
    /// mempool consults it.
    public func check(_ tx: Transaction) throws(StorageError) -> String? {
        try read("check transaction") { db in
            let reader = SQLGovernanceReader(db: db)
            let h = try reader.currentHead()
            return try GovernanceRules.check(tx, at: (h.height + 1, h.time), genesis: genesis, reader: reader)
        }
    }
}
