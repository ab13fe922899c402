public import CivitasLedger
public import CivitasCodec
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
            try db.rows("SELECT * FROM transactions WHERE id = ? ORDER BY height, idx", [id.sql]).map(Self.transactionRecord)
        }
    }

    /// The transactions of block `height`, in block order.
    public func transactions(height: UInt64) throws(StorageError) -> [TransactionRecord] {
        try read("read transactions") { db in
            try db.rows("SELECT * FROM transactions WHERE height = ? ORDER BY idx", [sqlInt(height)]).map(Self.transactionRecord)
        }
    }

    /// Rejected transactions, oldest first.
    public func rejectedTransactions(limit: Int = 100) throws(StorageError) -> [TransactionRecord] {
        try read("read rejected transactions") { db in
            try db.rows("SELECT * FROM transactions WHERE status = 'rejected' ORDER BY height, idx LIMIT ?", [Int64(limit)])
                .map(Self.transactionRecord)
        }
    }

    static func transactionRecord(_ row: Row) throws -> TransactionRecord {
        let kindName = try row.text("kind")
        guard let kind = CivitasLedger.TransactionKind.allCases.first(where: { $0.description == kindName }) else {
            throw UnexpectedValue(column: "transactions.kind", detail: kindName)
        }
        return TransactionRecord(height: try row.uint("height"), index: Int(try row.int("idx")), id: try row.hash("id"),
                                 kind: kind, signer: try row.publicKey("signer"), nonce: try row.uint("nonce"),
                                 time: try row.uint("time"), rejectionReason: try row.optionalText("reason"))
    }

    /// The signer's latest consumed nonce (0 if it has none); its next transaction must carry this + 1.
    public func latestNonce(of signer: PublicKey) throws(StorageError) -> UInt64 {
        try read("read nonce") { db in
            UInt64(clamping: try db.integer("SELECT nonce FROM signer_nonces WHERE signer = ?", [signer.raw.sql]) ?? 0)
        }
    }

    public func subject(_ id: SubjectID) throws(StorageError) -> SubjectRecord? {
        try read("read subject") { db in
            try db.row("SELECT * FROM subjects WHERE subject_id = ?", [id.raw.sql]).map(Self.subjectRecord)
        }
    }

    /// Active subjects holding `role`, by subject ID.
    public func subjects(withRole role: Role) throws(StorageError) -> [SubjectRecord] {
        try read("read subjects") { db in
            try db.rows("""
                SELECT s.* FROM subjects s JOIN subject_roles r ON r.subject_id = s.subject_id
                WHERE r.role = ? AND s.status = 'active' ORDER BY s.subject_id
                """, [role.description]).map(Self.subjectRecord)
        }
    }

    static func subjectRecord(_ row: Row) throws -> SubjectRecord {
        let mask = try row.int("roles")
        return SubjectRecord(
            id: try row.subjectID("subject_id"), publicKey: try row.publicKey("public_key"),
            displayName: try row.text("display_name"), unit: try row.text("unit"),
            roles: RoleSet(Role.allCases.filter { mask & (1 << Int64($0.rawValue)) != 0 }),
            isActive: try row.text("status") == "active",
            registeredHeight: try row.uint("registered_height"), updatedHeight: try row.uint("updated_height"))
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
        let id = try row.hash("id")
        let categoryName = try row.text("category")
        guard let category = Notice.Category.allCases.first(where: { $0.description == categoryName }) else {
            throw UnexpectedValue(column: "notices.category", detail: categoryName)
        }
        let attachments = try db.rows("SELECT digest FROM notice_attachments WHERE notice_id = ? ORDER BY position", [id.sql])
            .map { try $0.hash("digest") }
        return NoticeRecord(
            id: id, height: try row.uint("height"), time: try row.uint("time"), issuer: try row.subjectID("issuer"),
            category: category, title: try row.text("title"), body: try row.text("body"), attachments: attachments,
            supersedes: try row.optionalHash("supersedes"), supersededBy: try row.optionalHash("superseded_by"),
            chainRoot: try row.hash("chain_root"), version: Int(try row.int("version")))
    }

    // MARK: Proposals

    /// A proposal with its options, ballots so far and, once closed, its tally.
    public func proposal(_ id: Hash) throws(StorageError) -> ProposalRecord? {
        try read("read proposal") { db in
            guard let row = try db.row("SELECT * FROM proposals WHERE id = ?", [id.sql]) else { return nil }
            let options = try db.rows("SELECT label FROM proposal_options WHERE proposal_id = ? ORDER BY option_index", [id.sql])
                .map { try $0.text("label") }
            let cast = UInt64(clamping: try db.integer("SELECT COUNT(*) FROM ballots WHERE proposal_id = ?", [id.sql]) ?? 0)
            let closingValue = try row.uint("closing_value")
            let closing: ClosingRule = try row.text("closing_kind") == "height" ? .height(closingValue) : .time(closingValue)
            let mask = try row.int("eligible_roles")
            var tally: Tally?
            var closedTime: Timestamp?
            if let t = try db.row("SELECT * FROM tallies WHERE proposal_id = ?", [id.sql]) {
                let votes = try db.rows("SELECT votes FROM tally_options WHERE proposal_id = ? ORDER BY option_index", [id.sql])
                    .map { try $0.uint("votes") }
                let outcomeName = try t.text("outcome")
                guard let outcome = TallyOutcome(rawValue: outcomeName) else {
                    throw UnexpectedValue(column: "tallies.outcome", detail: outcomeName)
                }
                tally = Tally(votes: votes, electorateSize: try t.uint("electorate_size"), ballotsCast: try t.uint("ballots_cast"),
                              quorumMet: try t.int("quorum_met") != 0, leadingOption: try t.optionalInt("leading_option").map { Int($0) },
                              outcome: outcome)
                closedTime = try t.uint("closed_time")
            }
            return ProposalRecord(
                id: id, height: try row.uint("height"), proposer: try row.subjectID("proposer"), title: try row.text("title"),
                description: try row.text("description"), options: options,
                eligibleRoles: RoleSet(Role.allCases.filter { mask & (1 << Int64($0.rawValue)) != 0 }),
                closing: closing, quorumBasisPoints: UInt32(clamping: try row.int("quorum_bp")),
                passBasisPoints: UInt32(clamping: try row.int("pass_bp")),
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
            try db.row("SELECT * FROM service_requests WHERE id = ?", [id.sql]).map(Self.serviceRequestRecord)
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
            return try rows.map(Self.serviceRequestRecord)
        }
    }

    static func serviceRequestRecord(_ row: Row) throws -> ServiceRequestRecord {
        let statusName = try row.text("status")
        guard let status = ServiceRequestStatus(rawValue: statusName) else {
            throw UnexpectedValue(column: "service_requests.status", detail: statusName)
        }
        let resolution = try row.optionalText("resolution").map { name throws -> ServiceResolution in
            guard let r = ServiceResolution(rawValue: name) else { throw UnexpectedValue(column: "service_requests.resolution", detail: name) }
            return r
        }
        return ServiceRequestRecord(
            id: try row.hash("id"), height: try row.uint("height"), requestedTime: try row.uint("requested_time"),
            requester: try row.subjectID("requester"), serviceCode: try row.text("service_code"),
            description: try row.text("description"), location: try row.text("location"),
            deadline: try row.uint("deadline_time"), status: status, resolution: resolution,
            provider: try row.optionalSubjectID("provider"), assignmentCount: Int(try row.int("assignment_count")),
            firstResponseTime: try row.optionalUInt("first_response_time"), resolvedTime: try row.optionalUInt("resolved_time"),
            closedTime: try row.optionalUInt("closed_time"), rating: try row.optionalInt("rating").map { UInt8(clamping: $0) },
            reopenCount: Int(try row.int("reopen_count")))
    }

    /// Supervision figures of every provider that has had an assignment, by
    /// subject ID; or of one provider.
    public func providerSupervision(_ provider: SubjectID? = nil) throws(StorageError) -> [ProviderSupervision] {
        try read("read provider supervision") { db in
            let rows = if let provider {
                try db.rows("SELECT * FROM provider_supervision WHERE provider = ?", [provider.raw.sql])
            } else {
                try db.rows("SELECT * FROM provider_supervision ORDER BY provider")
            }
            return try rows.map { row in
                ProviderSupervision(
                    provider: try row.subjectID("provider"), assignments: try row.uint("assignments"),
                    responded: try row.uint("responded"), averageResponseMillis: try row.optionalUInt("average_response_ms"),
                    resolved: try row.uint("resolved"), fixed: try row.uint("fixed"),
                    averageResolveMillis: try row.optionalUInt("average_resolve_ms"),
                    resolutionRateBasisPoints: try row.uint("resolution_rate_bp"), breaches: try row.uint("breaches"),
                    ratings: try row.uint("ratings"), averageRatingHundredths: try row.optionalUInt("average_rating_x100"))
            }
        }
    }

    // MARK: Volunteers, checkpoints

    /// A volunteer's totals (zeros if none recorded).
    public func volunteerTotals(_ volunteer: SubjectID) throws(StorageError) -> VolunteerTotals {
        try read("read volunteer totals") { db in
            guard let row = try db.row("SELECT * FROM volunteer_totals WHERE volunteer = ?", [volunteer.raw.sql]) else {
                return VolunteerTotals(volunteer: volunteer, records: 0, minutes: 0, points: 0)
            }
            return VolunteerTotals(volunteer: volunteer, records: try row.uint("records"), minutes: try row.uint("minutes"),
                                   points: try row.uint("points"))
        }
    }

    /// Volunteers by points, most first (ties by subject ID).
    public func volunteerRanking(limit: Int = 20) throws(StorageError) -> [VolunteerTotals] {
        try read("read volunteer ranking") { db in
            try db.rows("SELECT * FROM volunteer_totals ORDER BY points DESC, volunteer LIMIT ?", [Int64(limit)]).map { row in
                VolunteerTotals(volunteer: try row.subjectID("volunteer"), records: try row.uint("records"),
                                minutes: try row.uint("minutes"), points: try row.uint("points"))
            }
        }
    }

    /// Recorded checkpoints of `community` (own and received), by height.
    public func checkpoints(of community: CommunityID) throws(StorageError) -> [CheckpointRecord] {
        try read("read checkpoints") { db in
            try db.rows("SELECT * FROM checkpoints WHERE community = ? ORDER BY height, header_hash", [community.name]).map { row in
                CheckpointRecord(community: community, height: try row.uint("height"), headerHash: try row.hash("header_hash"),
                                 genesisHash: try row.hash("genesis_hash"), isOwn: try row.text("source") == "own",
                                 recordedHeight: try row.uint("recorded_height"))
            }
        }
    }
}
