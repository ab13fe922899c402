import CivitasCodec
import CivitasGovernance
import CivitasLedger
import Foundation
import GRDB

/// The state database as a `GovernanceStore`: reads through
/// `SQLGovernanceReader`, and persists each `StateChange` with the one write
/// of its kind — a row (and its child rows) as the change gives it. Nothing
/// here decides anything: every value was decided by the transition
/// (CivitasGovernance), which the in-memory state records the same way.
struct SQLGovernanceStore: GovernanceStore {
    let db: Database
    /// Called with a transaction's position once it is recorded (tests throw
    /// from it to stop an apply half-way, as a crash would).
    var afterTransaction: ((Int) throws -> Void)? = nil

    var reader: SQLGovernanceReader { SQLGovernanceReader(db: db) }

    func apply(_ change: StateChange) throws {
        switch change {
        case let .nonceConsumed(n):
            try db.run("INSERT OR REPLACE INTO signer_nonces VALUES (?, ?, ?, ?)", n.sqlValues)
        case let .subjectRecorded(s):
            try db.run("INSERT OR REPLACE INTO subjects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", s.sqlValues)
            try db.run("DELETE FROM subject_roles WHERE subject_id = ?", [s.id.raw.sql])
            for role in s.roles.roles {
                try db.run("INSERT INTO subject_roles VALUES (?, ?)", [s.id.raw.sql, role.description])
            }
        case let .noticePublished(n):
            try db.run("INSERT INTO notices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n.sqlValues)
            for (i, digest) in n.attachments.enumerated() {
                try db.run("INSERT INTO notice_attachments VALUES (?, ?, ?)", [n.id.sql, Int64(i), digest.sql])
            }
        case let .noticeSuperseded(notice, by):
            try db.run("UPDATE notices SET superseded_by = ? WHERE id = ?", [by.sql, notice.sql])
        case let .proposalOpened(p):
            try db.run("INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", p.sqlValues)
            for (i, label) in p.options.enumerated() {
                try db.run("INSERT INTO proposal_options VALUES (?, ?, ?)", [p.id.sql, Int64(i), label])
            }
            for signer in p.endorsers {
                try db.run("INSERT INTO proposal_endorsements VALUES (?, ?)", [p.id.sql, signer.raw.sql])
            }
            for subject in p.electorate {
                try db.run("INSERT INTO proposal_electorate VALUES (?, ?)", [p.id.sql, subject.raw.sql])
            }
        case let .ballotCounted(b):
            try db.run("INSERT OR REPLACE INTO ballots VALUES (?, ?, ?, ?, ?, ?, ?)", b.sqlValues)
        case let .proposalClosed(t):
            try db.run("INSERT INTO tallies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", t.sqlValues)
            for (i, votes) in t.tally.votes.enumerated() {
                try db.run("INSERT INTO tally_options VALUES (?, ?, ?)", [t.proposal.sql, Int64(i), sqlInt(votes)])
            }
            try db.run("UPDATE proposals SET status = 'closed', closed_height = ? WHERE id = ?",
                       [sqlInt(t.closedHeight), t.proposal.sql])
        case let .serviceRequestRecorded(r):
            try db.run("INSERT OR REPLACE INTO service_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       r.sqlValues)
        case let .assignmentRecorded(a):
            try db.run("INSERT OR REPLACE INTO service_assignments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a.sqlValues)
        case let .serviceEventRecorded(e):
            try db.run("INSERT INTO service_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", e.sqlValues)
        case let .volunteerHoursRecorded(record, totals):
            try db.run("INSERT INTO volunteer_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", record.sqlValues)
            try db.run("INSERT OR REPLACE INTO volunteer_totals VALUES (?, ?, ?, ?)", totals.sqlValues)
        case let .checkpointRecorded(c):
            try db.run("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", c.sqlValues)
        case let .tamperEvidenceRecorded(e):
            try db.run("INSERT INTO tamper_evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", e.sqlValues)
        case let .federationAdopted(a):
            try db.run("INSERT INTO federation_adoptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", a.sqlValues)
        case let .referralRecorded(r):
            try db.run("INSERT OR REPLACE INTO referrals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", r.sqlValues)
        case let .incomingReferralRecorded(r):
            try db.run("INSERT OR REPLACE INTO incoming_referrals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       r.sqlValues)
        case let .draftRecorded(d):
            try db.run("INSERT OR REPLACE INTO proposal_drafts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", d.sqlValues)
            for (i, label) in d.terms.options.enumerated() {
                try db.run("INSERT OR REPLACE INTO draft_options VALUES (?, ?, ?)", [d.id.sql, Int64(i), label])
            }
        case let .draftEndorsed(e):
            try db.run("INSERT INTO draft_endorsements VALUES (?, ?, ?, ?, ?, ?)", e.sqlValues)
        case let .rewardOfferRecorded(o):
            try db.run("INSERT OR REPLACE INTO reward_offers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", o.sqlValues)
        case let .pointsRedeemed(redemption, offer, totals):
            try db.run("INSERT INTO redemptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", redemption.sqlValues)
            try db.run("INSERT OR REPLACE INTO reward_offers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", offer.sqlValues)
            try db.run("INSERT OR REPLACE INTO redeemed_totals VALUES (?, ?, ?)", totals.sqlValues)
        case let .transactionRecorded(t):
            try db.run("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", t.sqlValues)
            try afterTransaction?(t.index)
        case let .blockRecorded(b):
            try db.run("INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", b.sqlValues)
            try db.run("UPDATE meta SET applied_height = ?, applied_hash = ?, applied_time = ? WHERE id = 1",
                       [sqlInt(b.height), b.hash.sql, sqlInt(b.time)])
        }
    }
}
