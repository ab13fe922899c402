public import CivitasLedger
public import CivitasCodec
public import CivitasGovernance
import Foundation
import GRDB

/// Read helpers for the APIs that come later. Each runs on a reader
/// connection and sees the state as of a whole block.
extension StateDatabase {
    func read<T>(_ what: String, _ body: (Database) throws -> T) throws(StorageError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw storageError(error, path: path, operation: what)
        }
    }

    // MARK: Transactions and subjects

    /// Every record of transaction `id` (normally one; a replay is recorded again, as rejected).
    public func transactions(id: Hash) throws(StorageError) -> [TransactionRecord] {
        try read("read transaction") { db in
            try db.rows("SELECT * FROM transactions WHERE id = ? ORDER BY height, idx", [id.sql]).map(TransactionRecord.init(row:))
        }
    }

    /// The transactions of block `height`, in block order.
    public func transactions(height: UInt64) throws(StorageError) -> [TransactionRecord] {
        try read("read transactions") { db in
            try db.rows("SELECT * FROM transactions WHERE height = ? ORDER BY idx", [sqlInt(height)]).map(TransactionRecord.init(row:))
        }
    }

    /// Rejected transactions, oldest first.
    public func rejectedTransactions(limit: Int = 100) throws(StorageError) -> [TransactionRecord] {
        try read("read rejected transactions") { db in
            try db.rows("SELECT * FROM transactions WHERE status = 'rejected' ORDER BY height, idx LIMIT ?", [Int64(limit)])
                .map(TransactionRecord.init(row:))
        }
    }

    /// The signer's latest consumed nonce (0 if it has none); its next transaction must carry this + 1.
    public func latestNonce(of signer: PublicKey) throws(StorageError) -> UInt64 {
        try read("read nonce") { db in
            UInt64(clamping: try db.integer("SELECT nonce FROM signer_nonces WHERE signer = ?", [signer.raw.sql]) ?? 0)
        }
    }

    public func subject(_ id: SubjectID) throws(StorageError) -> SubjectRecord? {
        try read("read subject") { db in
            try db.row("SELECT * FROM subjects WHERE subject_id = ?", [id.raw.sql]).map(SubjectRecord.init(row:))
        }
    }

    /// Active subjects holding `role`, by subject ID.
    public func subjects(withRole role: Role) throws(StorageError) -> [SubjectRecord] {
        try read("read subjects") { db in
            try db.rows("""
                SELECT s.* FROM subjects s JOIN subject_roles r ON r.subject_id = s.subject_id
                WHERE r.role = ? AND s.status = 'active' ORDER BY s.subject_id
                """, [role.description]).map(SubjectRecord.init(row:))
        }
    }

    // MARK: Notices

    /// The current version of every notice chain (optionally of one category), newest first.
    public func currentNotices(category: Notice.Category? = nil, limit: Int = 100) throws(StorageError) -> [NoticeRecord] {
        try read("read notices") { db in
            let rows = if let category {
                try db.rows("SELECT * FROM current_notices WHERE category = ? ORDER BY height DESC, idx DESC LIMIT ?",
                            [category.description, Int64(limit)])
            } else {
                try db.rows("SELECT * FROM current_notices ORDER BY height DESC, idx DESC LIMIT ?", [Int64(limit)])
            }
            return try rows.map { try Self.noticeRecord($0, db) }
        }
    }

    /// One version of a notice.
    public func notice(_ id: Hash) throws(StorageError) -> NoticeRecord? {
        try read("read notice") { db in
            try db.row("SELECT * FROM notices WHERE id = ?", [id.sql]).map { try Self.noticeRecord($0, db) }
        }
    }

    /// Every version of the chain that `id` belongs to, first to current.
    public func noticeChain(containing id: Hash) throws(StorageError) -> [NoticeRecord] {
        try read("read notice chain") { db in
            try db.rows("""
                SELECT * FROM notices WHERE chain_root = (SELECT chain_root FROM notices WHERE id = ?) ORDER BY version
                """, [id.sql]).map { try Self.noticeRecord($0, db) }
        }
    }

    static func noticeRecord(_ row: Row, _ db: Database) throws -> NoticeRecord {
        let attachments = try db.rows("SELECT digest FROM notice_attachments WHERE notice_id = ? ORDER BY position",
                                      [try row.hash("id").sql]).map { try $0.hash("digest") }
        return try NoticeRecord(row: row, attachments: attachments)
    }

    // MARK: Proposals

    /// A proposal with its options, ballots so far and, once closed, its tally.
    public func proposal(_ id: Hash) throws(StorageError) -> ProposalRecord? {
        try read("read proposal") { db in
            guard let row = try db.row("SELECT * FROM proposals WHERE id = ?", [id.sql]) else { return nil }
            let options = try db.rows("SELECT label FROM proposal_options WHERE proposal_id = ? ORDER BY option_index", [id.sql])
                .map { try $0.text("label") }
            let cast = UInt64(clamping: try db.integer("SELECT COUNT(*) FROM ballots WHERE proposal_id = ?", [id.sql]) ?? 0)
            var tally: Tally?
            var closedTime: Timestamp?
            if let row = try db.row("SELECT * FROM tallies WHERE proposal_id = ?", [id.sql]) {
                let votes = try db.rows("SELECT votes FROM tally_options WHERE proposal_id = ? ORDER BY option_index", [id.sql])
                    .map { try $0.uint("votes") }
                let t = try TallyEntry(row: row, votes: votes)
                tally = t.tally
                closedTime = t.closedTime
            }
            return ProposalRecord(
                id: id, height: try row.uint("height"), proposer: try row.subjectID("proposer"), title: try row.text("title"),
                description: try row.text("description"), options: options,
                eligibleRoles: RoleSet.fromSQL(try row.int("eligible_roles")), closing: try ClosingRule(row: row),
                quorumBasisPoints: UInt32(clamping: try row.int("quorum_bp")), passBasisPoints: UInt32(clamping: try row.int("pass_bp")),
                endorsementCount: Int(try row.int("endorsement_count")), electorateSize: try row.uint("electorate_size"),
                electorateRoot: try row.hash("electorate_root"), ballotsCast: cast, isOpen: try row.text("status") == "open",
                closedHeight: try row.optionalUInt("closed_height"), tally: tally, closedTime: closedTime)
        }
    }

    /// IDs of open proposals, in opening order.
    public func openProposals() throws(StorageError) -> [Hash] {
        try read("read proposals") { db in
            try db.rows("SELECT id FROM proposals WHERE status = 'open' ORDER BY height, idx").map { try $0.hash("id") }
        }
    }

    // MARK: Service requests and supervision

    public func serviceRequest(_ id: Hash) throws(StorageError) -> ServiceRequestRecord? {
        try read("read service request") { db in
            try db.row("SELECT * FROM service_requests WHERE id = ?", [id.sql]).map(ServiceRequestRecord.init(row:))
        }
    }

    /// Service requests (optionally in one status), oldest first.
    public func serviceRequests(status: ServiceRequestStatus? = nil, limit: Int = 100) throws(StorageError) -> [ServiceRequestRecord] {
        try read("read service requests") { db in
            let rows = if let status {
                try db.rows("SELECT * FROM service_requests WHERE status = ? ORDER BY height, idx LIMIT ?", [status.rawValue, Int64(limit)])
            } else {
                try db.rows("SELECT * FROM service_requests ORDER BY height, idx LIMIT ?", [Int64(limit)])
            }
            return try rows.map(ServiceRequestRecord.init(row:))
        }
    }

    /// Supervision figures of every provider that has had an assignment, by
    /// subject ID; or of one provider. Computed by `ProviderSupervision.figures`
    /// (CivitasGovernance) over the assignment records, at the applied head's time.
    public func providerSupervision(_ provider: SubjectID? = nil) throws(StorageError) -> [ProviderSupervision] {
        try read("read provider supervision") { db in
            let select = """
                SELECT a.*, r.deadline_time FROM service_assignments a JOIN service_requests r ON r.id = a.request_id
                """
            let rows = if let provider {
                try db.rows(select + " WHERE a.provider = ?", [provider.raw.sql])
            } else {
                try db.rows(select)
            }
            let assignments = try rows.map { row in (assignment: try AssignmentEntry(row: row), deadline: try row.uint("deadline_time")) }
            return ProviderSupervision.figures(of: assignments, now: try Self.readHead(db).time)
        }
    }

    // MARK: Volunteers, checkpoints

    /// A volunteer's totals (zeros if none recorded).
    public func volunteerTotals(_ volunteer: SubjectID) throws(StorageError) -> VolunteerTotals {
        try read("read volunteer totals") { db in
            try SQLGovernanceReader(db: db).volunteerTotals(volunteer)
                ?? VolunteerTotals(volunteer: volunteer, records: 0, minutes: 0, points: 0)
        }
    }

    /// Volunteers by points, most first (ties by subject ID).
    public func volunteerRanking(limit: Int = 20) throws(StorageError) -> [VolunteerTotals] {
        try read("read volunteer ranking") { db in
            try db.rows("SELECT * FROM volunteer_totals ORDER BY points DESC, volunteer LIMIT ?", [Int64(limit)])
                .map(VolunteerTotals.init(row:))
        }
    }

    /// Referrals this community made, newest first; to `community` only if given.
    public func referrals(to community: CommunityID? = nil, limit: Int = 100) throws(StorageError) -> [ReferralEntry] {
        try read("read referrals") { db in
            if let community {
                return try db.rows("SELECT * FROM referrals WHERE to_community = ? ORDER BY height DESC, idx DESC LIMIT ?",
                                   [community.name, Int64(limit)]).map(ReferralEntry.init(row:))
            }
            return try db.rows("SELECT * FROM referrals ORDER BY height DESC, idx DESC LIMIT ?", [Int64(limit)]).map(ReferralEntry.init(row:))
        }
    }

    /// Neighbours' referrals to this community, newest first; from `community` only if given.
    public func incomingReferrals(from community: CommunityID? = nil, limit: Int = 100) throws(StorageError) -> [IncomingReferralEntry] {
        try read("read incoming referrals") { db in
            if let community {
                return try db.rows("""
                    SELECT * FROM incoming_referrals WHERE from_community = ? ORDER BY recorded_height DESC, recorded_idx DESC LIMIT ?
                    """, [community.name, Int64(limit)]).map(IncomingReferralEntry.init(row:))
            }
            return try db.rows("SELECT * FROM incoming_referrals ORDER BY recorded_height DESC, recorded_idx DESC LIMIT ?",
                               [Int64(limit)]).map(IncomingReferralEntry.init(row:))
        }
    }

    /// The referral this community made with transaction ID `id`.
    public func referrals(id: Hash) throws(StorageError) -> ReferralEntry? {
        try read("read a referral") { db in
            try db.rows("SELECT * FROM referrals WHERE id = ?", [id.sql]).first.map(ReferralEntry.init(row:))
        }
    }

    /// The neighbour's referral to this community with transaction ID `id`.
    public func incomingReferral(_ id: Hash) throws(StorageError) -> IncomingReferralEntry? {
        try read("read an incoming referral") { db in
            try db.rows("SELECT * FROM incoming_referrals WHERE id = ?", [id.sql]).first.map(IncomingReferralEntry.init(row:))
        }
    }

    /// Referrals this community made that are not yet answered, oldest first (what a gateway sends again).
    public func unansweredReferrals(limit: Int = 100) throws(StorageError) -> [ReferralEntry] {
        try read("read unanswered referrals") { db in
            try db.rows("SELECT * FROM referrals WHERE answered_height IS NULL ORDER BY height, idx LIMIT ?", [Int64(limit)])
                .map(ReferralEntry.init(row:))
        }
    }

    /// Recorded checkpoints of `community` (own and received), by height.
    public func checkpoints(of community: CommunityID) throws(StorageError) -> [CheckpointRecord] {
        try read("read checkpoints") { db in
            try db.rows("SELECT * FROM checkpoints WHERE community = ? ORDER BY height, header_hash", [community.name])
                .map(CheckpointRecord.init(row:))
        }
    }
}
