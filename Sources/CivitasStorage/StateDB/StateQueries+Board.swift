public import CivitasLedger
public import CivitasCodec
public import CivitasGovernance
import Foundation
import GRDB

/// One step of a service request's timeline, as the `service_events` table
/// records it: the request itself, each assignment, response and closure.
public struct ServiceEventRecord: Hashable, Sendable {
    public var height: UInt64
    public var index: Int
    /// The transaction that made the step.
    public var transaction: Hash
    /// request, assignment, response or closure.
    public var kind: String
    /// Who signed it.
    public var actor: SubjectID
    /// The request's status after this step (a response's own status, e.g. `resolved(fixed)`).
    public var status: String
    public var note: String
    public var rating: UInt8?
    /// For an assignment: the provider it names.
    public var provider: SubjectID?
    /// Block time of the step.
    public var time: Timestamp
}

/// One applied block, as the `blocks` table records it.
public struct BlockRecord: Hashable, Sendable {
    public var height: UInt64
    public var hash: Hash
    public var time: Timestamp
    public var transactionCount: Int
    public var rejectedCount: Int
}

/// Which service requests a query wants (every field optional): the board's
/// list and the Open311 `requests` endpoint. Newest first.
public struct ServiceRequestFilter: Hashable, Sendable {
    /// Only these requests (empty: any).
    public var ids: [Hash]
    /// Only these statuses (empty: any).
    public var statuses: [ServiceRequestStatus]
    /// Only this service code.
    public var serviceCode: String?
    /// Requested (block time) at or after / at or before.
    public var from: Timestamp?
    public var through: Timestamp?
    public var limit: Int

    public init(ids: [Hash] = [], statuses: [ServiceRequestStatus] = [], serviceCode: String? = nil, from: Timestamp? = nil,
                through: Timestamp? = nil, limit: Int = 100) {
        self.ids = ids
        self.statuses = statuses
        self.serviceCode = serviceCode
        self.from = from
        self.through = through
        self.limit = limit
    }
}

/// Read queries for the community board: names for IDs, timelines, live tallies, recent blocks.
extension StateDatabase {
    /// The subjects among `ids` that are registered (active or revoked), by ID.
    public func subjects(ids: Set<SubjectID>) throws(StorageError) -> [SubjectID: SubjectRecord] {
        guard !ids.isEmpty else { return [:] }
        return try read("read subjects") { db in
            var found: [SubjectID: SubjectRecord] = [:]
            // SQLite binds at most 32,766 parameters per statement; chunks stay far below.
            let sorted = ids.sorted()
            for start in stride(from: 0, to: sorted.count, by: 500) {
                let chunk = sorted[start..<min(start + 500, sorted.count)]
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM subjects WHERE subject_id IN (\(marks))",
                                            arguments: StatementArguments(chunk.map { $0.raw.sql }))
                for row in rows {
                    let record = try SubjectRecord(row: row)
                    found[record.id] = record
                }
            }
            return found
        }
    }

    /// Registered subjects (optionally only active ones holding `role`), by display name then ID.
    public func subjectDirectory(role: Role? = nil, limit: Int = 1_000) throws(StorageError) -> [SubjectRecord] {
        try read("read subject directory") { db in
            let rows = if let role {
                try db.rows("""
                    SELECT s.* FROM subjects s JOIN subject_roles r ON r.subject_id = s.subject_id
                    WHERE r.role = ? AND s.status = 'active' ORDER BY s.display_name, s.subject_id LIMIT ?
                    """, [role.description, Int64(limit)])
            } else {
                try db.rows("SELECT * FROM subjects ORDER BY display_name, subject_id LIMIT ?", [Int64(limit)])
            }
            return try rows.map(SubjectRecord.init(row:))
        }
    }

    /// The timeline of service request `request`, in chain order.
    public func serviceEvents(request: Hash) throws(StorageError) -> [ServiceEventRecord] {
        try read("read service events") { db in
            try db.rows("""
                SELECT e.*, b.time AS block_time, a.provider AS assigned_provider
                FROM service_events e
                JOIN blocks b ON b.height = e.height
                LEFT JOIN service_assignments a ON a.request_id = e.request_id AND a.tx_id = e.tx_id
                WHERE e.request_id = ? ORDER BY e.height, e.idx
                """, [request.sql]).map { row in
                ServiceEventRecord(
                    height: try row.uint("height"), index: Int(try row.int("idx")), transaction: try row.hash("tx_id"),
                    kind: try row.text("kind"), actor: try row.subjectID("actor"), status: try row.text("status"),
                    note: try row.text("note"), rating: try row.optionalInt("rating").map { UInt8(clamping: $0) },
                    provider: try row.optionalSubjectID("assigned_provider"), time: try row.uint("block_time"))
            }
        }
    }

    /// The service requests `filter` selects, newest first.
    public func serviceRequests(matching filter: ServiceRequestFilter) throws(StorageError) -> [ServiceRequestRecord] {
        try read("read service requests") { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if !filter.ids.isEmpty {
                conditions.append("id IN (" + Array(repeating: "?", count: filter.ids.count).joined(separator: ",") + ")")
                arguments += filter.ids.map(\.sql)
            }
            if !filter.statuses.isEmpty {
                conditions.append("status IN (" + Array(repeating: "?", count: filter.statuses.count).joined(separator: ",") + ")")
                arguments += filter.statuses.map(\.rawValue)
            }
            if let code = filter.serviceCode { conditions.append("service_code = ?"); arguments.append(code) }
            if let from = filter.from { conditions.append("requested_time >= ?"); arguments.append(sqlInt(from)) }
            if let through = filter.through { conditions.append("requested_time <= ?"); arguments.append(sqlInt(through)) }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments.append(Int64(filter.limit))
            return try Row.fetchAll(db, sql: "SELECT * FROM service_requests \(whereClause) ORDER BY height DESC, idx DESC LIMIT ?",
                                    arguments: StatementArguments(arguments)).map(ServiceRequestRecord.init(row:))
        }
    }

    /// The block time of each request's latest step (request, assignment, response or closure).
    public func serviceRequestUpdateTimes(_ ids: [Hash]) throws(StorageError) -> [Hash: Timestamp] {
        guard !ids.isEmpty else { return [:] }
        return try read("read service request update times") { db in
            var times: [Hash: Timestamp] = [:]
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = ids[start..<min(start + 500, ids.count)]
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(db, sql: """
                    SELECT e.request_id AS request_id, MAX(b.time) AS updated FROM service_events e
                    JOIN blocks b ON b.height = e.height WHERE e.request_id IN (\(marks)) GROUP BY e.request_id
                    """, arguments: StatementArguments(chunk.map(\.sql)))
                for row in rows { times[try row.hash("request_id")] = try row.uint("updated") }
            }
            return times
        }
    }

    /// Service codes that requests have used, in byte order.
    public func serviceCodesInUse() throws(StorageError) -> [String] {
        try read("read service codes") { db in
            try db.rows("SELECT DISTINCT service_code FROM service_requests ORDER BY service_code").map { try $0.text("service_code") }
        }
    }

    /// Counted ballots per option of proposal `id` so far (a later ballot replaces a voter's earlier one).
    public func ballotCounts(proposal id: Hash, options: Int) throws(StorageError) -> [UInt64] {
        try read("read ballot counts") { db in
            var counts = Array(repeating: UInt64(0), count: max(options, 0))
            for row in try db.rows("SELECT choice, COUNT(*) AS n FROM ballots WHERE proposal_id = ? GROUP BY choice", [id.sql]) {
                let choice = Int(try row.int("choice"))
                if counts.indices.contains(choice) { counts[choice] = try row.uint("n") }
            }
            return counts
        }
    }

    /// The keys that endorsed proposal `id` (carried in it, or given to its draft), ascending.
    public func proposalEndorsers(_ id: Hash) throws(StorageError) -> [PublicKey] {
        try read("read proposal endorsers") { db in
            try db.rows("SELECT signer FROM proposal_endorsements WHERE proposal_id = ? ORDER BY signer", [id.sql]).map { try $0.publicKey("signer") }
        }
    }

    /// True if `subject` is in the electorate fixed when proposal `id` opened.
    public func isInElectorate(_ subject: SubjectID, proposal id: Hash) throws(StorageError) -> Bool {
        try read("read electorate") { db in
            try db.integer("SELECT 1 FROM proposal_electorate WHERE proposal_id = ? AND subject_id = ?",
                           [id.sql, subject.raw.sql]) != nil
        }
    }

    /// Proposal IDs, open ones first (in opening order), then closed ones, newest first.
    public func proposalIDs(limit: Int = 100) throws(StorageError) -> [Hash] {
        try read("read proposals") { db in
            try db.rows("""
                SELECT id FROM proposals ORDER BY status = 'open' DESC,
                    CASE WHEN status = 'open' THEN height ELSE -height END, idx LIMIT ?
                """, [Int64(limit)]).map { try $0.hash("id") }
        }
    }

    /// Applied blocks, newest first, at or below `height` (default: the head).
    public func recentBlocks(limit: Int = 20, atOrBelow height: UInt64? = nil) throws(StorageError) -> [BlockRecord] {
        try read("read blocks") { db in
            try db.rows("SELECT * FROM blocks WHERE height <= ? ORDER BY height DESC LIMIT ?",
                        [sqlInt(height ?? UInt64(Int64.max)), Int64(limit)]).map { row in
                BlockRecord(height: try row.uint("height"), hash: try row.hash("hash"), time: try row.uint("time"),
                            transactionCount: Int(try row.int("tx_count")), rejectedCount: Int(try row.int("rejected_count")))
            }
        }
    }

    // MARK: Drafts, rewards and the points supply

    /// Drafts still gathering endorsements (not opened), newest first, each with its endorsements in chain order.
    public func openDrafts(limit: Int = 50) throws(StorageError) -> [(draft: DraftEntry, endorsements: [EndorsementEntry])] {
        try read("read drafts") { db in
            let reader = SQLGovernanceReader(db: db)
            return try db.rows("SELECT id FROM proposal_drafts WHERE opened_height IS NULL ORDER BY height DESC, idx DESC LIMIT ?",
                               [Int64(limit)]).compactMap { row in
                let id = try row.hash("id")
                guard let draft = try reader.draft(id) else { return nil }
                let endorsements = try reader.endorsements(draft: id).sorted { ($0.height, $0.index) < ($1.height, $1.index) }
                return (draft, endorsements)
            }
        }
    }

    /// The endorsements of draft `id` (also a proposal's, once it opened), in chain order.
    public func endorsements(draft id: Hash) throws(StorageError) -> [EndorsementEntry] {
        try read("read endorsements") { db in
            try db.rows("SELECT * FROM draft_endorsements WHERE draft_id = ? ORDER BY height, idx", [id.sql]).map(EndorsementEntry.init(row:))
        }
    }

    /// The points `subject` has spent on rewards; nil before its first redemption.
    public func redeemedTotals(_ subject: SubjectID) throws(StorageError) -> RedeemedTotals? {
        try read("read redeemed totals") { db in try SQLGovernanceReader(db: db).redeemedTotals(subject) }
    }

    /// Reward offers, newest first.
    public func rewardOffers(limit: Int = 50) throws(StorageError) -> [RewardOfferEntry] {
        try read("read reward offers") { db in
            try db.rows("SELECT * FROM reward_offers ORDER BY height DESC, idx DESC LIMIT ?", [Int64(limit)]).map(RewardOfferEntry.init(row:))
        }
    }

    /// Redemptions, newest first, each with its offer's title.
    public func redemptions(limit: Int = 50) throws(StorageError) -> [(redemption: RedemptionEntry, title: String)] {
        try read("read redemptions") { db in
            try db.rows("""
                SELECT r.*, o.title AS offer_title FROM redemptions r JOIN reward_offers o ON o.id = r.offer
                ORDER BY r.height DESC, r.idx DESC LIMIT ?
                """, [Int64(limit)]).map { (try RedemptionEntry(row: $0), try $0.text("offer_title")) }
        }
    }

    /// What each volunteer earned and spent, by points earned, most first.
    public func pointsBalances(limit: Int = 50) throws(StorageError) -> [(totals: VolunteerTotals, spent: UInt64)] {
        try read("read points balances") { db in
            try db.rows("""
                SELECT v.*, COALESCE(r.points, 0) AS spent FROM volunteer_totals v LEFT JOIN redeemed_totals r ON r.subject = v.volunteer
                ORDER BY v.points DESC, v.volunteer LIMIT ?
                """, [Int64(limit)]).map { (try VolunteerTotals(row: $0), try $0.uint("spent")) }
        }
    }

    /// The points supply, each figure by its own sum: issued (every volunteer
    /// record's points), redeemed (every redemption's), and the sum of every
    /// subject's balance — which must equal issued − redeemed.
    public func pointsSupply() throws(StorageError) -> PointsSupply {
        try read("read points supply") { db in
            let issued = try db.integer("SELECT COALESCE(SUM(points), 0) FROM volunteer_records") ?? 0
            let redeemed = try db.integer("SELECT COALESCE(SUM(points), 0) FROM redemptions") ?? 0
            let balances = try db.integer("""
                SELECT COALESCE(SUM(v.points - COALESCE(r.points, 0)), 0) FROM volunteer_totals v
                LEFT JOIN redeemed_totals r ON r.subject = v.volunteer
                """) ?? 0
            let holders = try db.integer("""
                SELECT COUNT(*) FROM volunteer_totals v LEFT JOIN redeemed_totals r ON r.subject = v.volunteer
                WHERE v.points > COALESCE(r.points, 0)
                """) ?? 0
            return PointsSupply(issued: UInt64(clamping: issued), redeemed: UInt64(clamping: redeemed),
                                balances: UInt64(clamping: balances), holders: Int(holders))
        }
    }
}

/// The volunteer points in circulation, each figure summed on its own.
public struct PointsSupply: Hashable, Sendable {
    /// Points every volunteer record earned.
    public var issued: UInt64
    /// Points every redemption spent.
    public var redeemed: UInt64
    /// The sum of every subject's balance (earned − spent): the points outstanding, issued − redeemed.
    public var balances: UInt64
    /// Subjects holding points.
    public var holders: Int
}
