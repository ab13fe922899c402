public import CivitasCodec
public import CivitasGovernance
public import CivitasLedger
import Foundation
import GRDB

extension StateDatabase {
    /// The governance state in the tables, as `GovernanceSnapshot` defines it:
    /// the same lists an in-memory `GovernanceState` that applied the same
    /// blocks produces. One read, so it describes one applied height.
    public func governanceSnapshot() throws(StorageError) -> GovernanceSnapshot {
        try read("governance snapshot") { db in try Self.governanceSnapshot(db) }
    }

    /// `governanceSnapshot().digest`: comparable with `GovernanceState.digest`.
    /// (`stateDigest()` covers every table's bytes, the block and transaction
    /// log included, and is what `civitas verify` compares with a rebuild.)
    public func governanceDigest() throws(StorageError) -> Hash {
        try governanceSnapshot().digest
    }

    static func governanceSnapshot(_ db: Database) throws -> GovernanceSnapshot {
        let head = try readHead(db)
        let applied = try db.integer("SELECT COUNT(*) FROM transactions WHERE status = 'applied'") ?? 0
        let rejected = try db.integer("SELECT COUNT(*) FROM transactions WHERE status = 'rejected'") ?? 0
        let attachments = try grouped(db, "SELECT notice_id, digest FROM notice_attachments ORDER BY notice_id, position",
                                      key: "notice_id") { try $0.hash("digest") }
        let options = try grouped(db, "SELECT proposal_id, label FROM proposal_options ORDER BY proposal_id, option_index",
                                  key: "proposal_id") { try $0.text("label") }
        let endorsers = try grouped(db, "SELECT proposal_id, signer FROM proposal_endorsements ORDER BY proposal_id, signer",
                                    key: "proposal_id") { try $0.publicKey("signer") }
        let electorates = try grouped(db, "SELECT proposal_id, subject_id FROM proposal_electorate ORDER BY proposal_id, subject_id",
                                      key: "proposal_id") { try $0.subjectID("subject_id") }
        let votes = try grouped(db, "SELECT proposal_id, votes FROM tally_options ORDER BY proposal_id, option_index",
                                key: "proposal_id") { try $0.uint("votes") }
        let draftOptions = try grouped(db, "SELECT draft_id, label FROM draft_options ORDER BY draft_id, option_index",
                                       key: "draft_id") { try $0.text("label") }
        return GovernanceSnapshot(
            head: HeadEntry(height: head.height, hash: head.hash, time: head.time, appliedTransactions: UInt64(applied),
                            rejectedTransactions: UInt64(rejected)),
            nonces: try db.rows("SELECT * FROM signer_nonces ORDER BY signer").map(NonceEntry.init(row:)),
            subjects: try db.rows("SELECT * FROM subjects ORDER BY subject_id").map(SubjectEntry.init(row:)),
            notices: try db.rows("SELECT * FROM notices ORDER BY id").map { row in
                try NoticeEntry(row: row, attachments: attachments[try row.hash("id")] ?? [])
            },
            proposals: try db.rows("SELECT * FROM proposals ORDER BY id").map { row in
                let id = try row.hash("id")
                return try ProposalEntry(row: row, options: options[id] ?? [], endorsers: endorsers[id] ?? [],
                                         electorate: electorates[id] ?? [])
            },
            ballots: try db.rows("SELECT * FROM ballots ORDER BY proposal_id, voter").map(BallotEntry.init(row:)),
            tallies: try db.rows("SELECT * FROM tallies ORDER BY proposal_id").map { row in
                try TallyEntry(row: row, votes: votes[try row.hash("proposal_id")] ?? [])
            },
            serviceRequests: try db.rows("SELECT * FROM service_requests ORDER BY id").map(ServiceRequestEntry.init(row:)),
            assignments: try db.rows("SELECT * FROM service_assignments ORDER BY request_id, seq").map(AssignmentEntry.init(row:)),
            serviceEvents: try db.rows("SELECT * FROM service_events ORDER BY request_id, height, idx").map(ServiceEventEntry.init(row:)),
            volunteerRecords: try db.rows("SELECT * FROM volunteer_records ORDER BY id").map(VolunteerEntry.init(row:)),
            volunteerTotals: try db.rows("SELECT * FROM volunteer_totals ORDER BY volunteer").map(VolunteerTotals.init(row:)),
            checkpoints: try db.rows("SELECT * FROM checkpoints ORDER BY community, height, header_hash").map(CheckpointEntry.init(row:)),
            tamperEvidence: try db.rows("SELECT * FROM tamper_evidence ORDER BY community, height, conflicting_header_hash")
                .map(TamperEvidenceEntry.init(row:)),
            referrals: try db.rows("SELECT * FROM referrals ORDER BY id").map(ReferralEntry.init(row:)),
            incomingReferrals: try db.rows("SELECT * FROM incoming_referrals ORDER BY id").map(IncomingReferralEntry.init(row:)),
            drafts: try db.rows("SELECT * FROM proposal_drafts ORDER BY id").map { row in
                try DraftEntry(row: row, options: draftOptions[try row.hash("id")] ?? [])
            },
            endorsements: try db.rows("SELECT * FROM draft_endorsements ORDER BY draft_id, endorser").map(EndorsementEntry.init(row:)),
            rewardOffers: try db.rows("SELECT * FROM reward_offers ORDER BY id").map(RewardOfferEntry.init(row:)),
            redemptions: try db.rows("SELECT * FROM redemptions ORDER BY id").map(RedemptionEntry.init(row:)),
            redeemedTotals: try db.rows("SELECT * FROM redeemed_totals ORDER BY subject").map(RedeemedTotals.init(row:)),
            federationAdoptions: try db.rows("SELECT * FROM federation_adoptions ORDER BY sequence").map(FederationAdoptionEntry.init(row:)),
            appliedTransactions: try db.rows("SELECT id, kind, height, idx FROM transactions WHERE status = 'applied' ORDER BY id").map { row in
                AppliedTransaction(id: try row.hash("id"),
                                   kind: try named(try row.text("kind"), column: "transactions.kind", \TransactionKind.description),
                                   height: try row.uint("height"), index: Int(try row.int("idx")))
            })
    }

    /// The rows of `sql` grouped by their `key` column (a 32-byte hash), each group in row order.
    private static func grouped<V>(_ db: Database, _ sql: String, key: String, _ value: (Row) throws -> V) throws -> [Hash: [V]] {
        var groups: [Hash: [V]] = [:]
        for row in try db.rows(sql) { groups[try row.hash(key), default: []].append(try value(row)) }
        return groups
    }
}
