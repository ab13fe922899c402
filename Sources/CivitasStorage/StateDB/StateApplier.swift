import CivitasCodec
import CivitasLedger
import Foundation
import GRDB

/// One transaction being applied: where it sits and who signed it.
struct TransactionContext {
    let height: Int64
    let index: Int64
    let id: Hash
    let idSQL: Data
    /// Block time: every time the state records is the block's.
    let time: Int64
    let signer: PublicKey
    let signerID: SubjectID
    let signerSQL: Data
}

extension StateDatabase {
    /// Applies `sealed`, which `checkNext` accepted, inside the caller's SQLite
    /// transaction, and advances `head`.
    ///
    /// Per transaction, in block order:
    /// 1. another community's transaction is rejected;
    /// 2. the nonce must be the signer's latest + 1 (the first is 1), else the
    ///    transaction is rejected and the nonce is not consumed;
    /// 3. the nonce is consumed, and `GovernanceRules.check` decides (reading
    ///    the tables through `SQLGovernanceReader`, so it sees the transactions
    ///    before it in this block); a refused transaction leaves the state as it
    ///    was, but the nonce stays consumed, so the signer's later transactions
    ///    still line up; an allowed one is written by its handler, which decides nothing;
    /// 4. a `transactions` row records it, applied or rejected with the reason.
    /// Then proposals due to close are tallied, an own checkpoint is recorded
    /// every `checkpointInterval` blocks, and the block and the applied head are recorded.
    func applyBlock(_ sealed: SealedBlock, head: inout AppliedHead, db: Database,
                    hook: ((Int) throws -> Void)?) throws -> BlockApplication {
        let block = sealed.block
        let header = block.header
        let hash = header.hash
        let height = sqlInt(header.height)
        let time = sqlInt(header.time)
        var rejections: [TransactionRejection] = []
        for (i, tx) in block.transactions.enumerated() {
            let id = tx.id
            let signerID = tx.signer.subjectID
            let context = TransactionContext(
                height: height, index: Int64(i), id: id, idSQL: id.sql, time: time,
                signer: tx.signer, signerID: signerID, signerSQL: signerID.raw.sql)
            var reason: String?
            if tx.community != genesis.community {
                reason = "belongs to community '\(tx.community)'"
            } else {
                let latest = UInt64(clamping: try db.integer("SELECT nonce FROM signer_nonces WHERE signer = ?", [tx.signer.raw.sql]) ?? 0)
                if tx.nonce != latest &+ 1 {
                    reason = "nonce \(tx.nonce) is out of order: the signer's next nonce is \(latest &+ 1)"
                } else {
                    try db.run("""
                        INSERT INTO signer_nonces VALUES (?, ?, ?, ?)
                        ON CONFLICT (signer) DO UPDATE SET nonce = excluded.nonce, height = excluded.height
                        """, [tx.signer.raw.sql, context.signerSQL, sqlInt(tx.nonce), height])
                    // The rules decide before anything is written, so a refusal
                    // needs no rollback (a savepoint per transaction would copy
                    // each page it touches into a sub-journal).
                    reason = try GovernanceRules.check(tx, at: (header.height, header.time), genesis: genesis,
                                                       reader: SQLGovernanceReader(db: db))
                    if reason == nil { try applyPayload(tx.payload, context, db) }
                }
            }
            try db.run("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                height, Int64(i), context.idSQL, tx.kind.description, tx.signer.raw.sql, context.signerSQL,
                sqlInt(tx.nonce), sqlInt(tx.time), reason == nil ? "applied" : "rejected", reason,
            ])
            if let reason { rejections.append(TransactionRejection(index: i, id: id, reason: reason)) }
            try hook?(i)
        }
        let closed = try closeDueProposals(height: height, time: time, db: db)
        if header.height % max(genesis.parameters.checkpointInterval, 1) == 0 {
            try db.run("""
                INSERT OR IGNORE INTO checkpoints VALUES (?, ?, ?, ?, 'own', ?, NULL, NULL, NULL, NULL, NULL)
                """, [genesis.community.name, height, hash.sql, genesis.hash.sql, height])
        }
        try db.run("INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            height, hash.sql, header.previous.sql, time, Int64(header.proposer), Int64(block.transactions.count),
            Int64(rejections.count), header.transactionRoot.sql,
        ])
        try db.run("UPDATE meta SET applied_height = ?, applied_hash = ?, applied_time = ? WHERE id = 1",
                   [height, hash.sql, time])
        head = AppliedHead(height: header.height, hash: hash, time: header.time)
        return BlockApplication(height: header.height, hash: hash, appliedCount: block.transactions.count - rejections.count,
                                rejections: rejections, closedProposals: closed)
    }

    func applyPayload(_ payload: TransactionPayload, _ c: TransactionContext, _ db: Database) throws {
        switch payload {
        case let .registration(r): try applyRegistration(r, c, db)
        case let .notice(n): try applyNotice(n, c, db)
        case let .proposal(p): try applyProposal(p, c, db)
        case let .ballot(b): try applyBallot(b, c, db)
        case let .serviceRequest(r): try applyServiceRequest(r, c, db)
        case let .assignment(a): try applyAssignment(a, c, db)
        case let .serviceResponse(r): try applyServiceResponse(r, c, db)
        case let .closure(cl): try applyClosure(cl, c, db)
        case let .volunteerRecord(v): try applyVolunteerRecord(v, c, db)
        case let .checkpoint(cp): try applyCheckpoint(cp, c, db)
        case let .referral(r): try applyReferral(r, c, db)
        }
    }

    // MARK: Registration

    func applyRegistration(_ r: Registration, _ c: TransactionContext, _ db: Database) throws {
        let sid = r.subject.subjectID
        let sidSQL = sid.raw.sql
        let status = try db.row("SELECT status FROM subjects WHERE subject_id = ?", [sidSQL]).map { try $0.text("status") }
        switch r.action {
        case .register:
            if status == nil {
                try db.run("INSERT INTO subjects VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?)", [
                    sidSQL, r.subject.raw.sql, r.displayName, r.unit, Int64(r.roles.mask), c.height, c.height, c.idSQL,
                ])
            } else {
                // A revoked subject registered again keeps its first registration height.
                try db.run("""
                    UPDATE subjects SET display_name = ?, unit = ?, roles = ?, status = 'active', updated_height = ?, last_tx = ?
                    WHERE subject_id = ?
                    """, [r.displayName, r.unit, Int64(r.roles.mask), c.height, c.idSQL, sidSQL])
            }
            try replaceRoles(sidSQL, r.roles, db)
        case .update:
            try db.run("""
                UPDATE subjects SET display_name = ?, unit = ?, roles = ?, updated_height = ?, last_tx = ? WHERE subject_id = ?
                """, [r.displayName, r.unit, Int64(r.roles.mask), c.height, c.idSQL, sidSQL])
            try replaceRoles(sidSQL, r.roles, db)
        case .revoke:
            try db.run("""
                UPDATE subjects SET roles = 0, status = 'revoked', updated_height = ?, last_tx = ? WHERE subject_id = ?
                """, [c.height, c.idSQL, sidSQL])
            try replaceRoles(sidSQL, RoleSet(), db)
        }
    }

    func replaceRoles(_ subject: Data, _ roles: RoleSet, _ db: Database) throws {
        try db.run("DELETE FROM subject_roles WHERE subject_id = ?", [subject])
        for role in roles.roles {
            try db.run("INSERT INTO subject_roles VALUES (?, ?)", [subject, role.description])
        }
    }

    // MARK: Notice

    func applyNotice(_ n: Notice, _ c: TransactionContext, _ db: Database) throws {
        var chainRoot = c.idSQL
        var version: Int64 = 1
        if let earlier = n.supersedes {
            guard let row = try db.row("SELECT chain_root, version FROM notices WHERE id = ?", [earlier.sql]) else {
                throw UnexpectedValue(column: "notices.id", detail: "the rules let a notice supersede unknown notice \(earlier.hex)")
            }
            chainRoot = try row.hash("chain_root").sql
            version = try row.int("version") + 1
            try db.run("UPDATE notices SET superseded_by = ? WHERE id = ?", [c.idSQL, earlier.sql])
        }
        try db.run("INSERT INTO notices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)", [
            c.idSQL, c.height, c.index, c.time, c.signerSQL, n.category.description, n.title, n.body,
            n.supersedes?.sql, chainRoot, version,
        ])
        for (i, digest) in n.attachments.enumerated() {
            try db.run("INSERT INTO notice_attachments VALUES (?, ?, ?)", [c.idSQL, Int64(i), digest.sql])
        }
    }

    // MARK: Proposal and ballot

    func applyProposal(_ p: Proposal, _ c: TransactionContext, _ db: Database) throws {
        let t = p.terms
        let mask = Int64(t.eligibleRoles.mask)
        // The electorate: active subjects holding any eligible role when the proposal is applied.
        let electorate = try Data.fetchAll(db.cachedStatement(sql: """
            SELECT subject_id FROM subjects WHERE status = 'active' AND (roles & ?) != 0 ORDER BY subject_id
            """), arguments: [mask])
        let root = Merkle.root(electorate.map { Merkle.leafHash(Array($0)) })
        let (closingKind, closingValue): (String, Int64) = switch t.closing {
        case let .height(h): ("height", sqlInt(h))
        case let .time(ms): ("time", sqlInt(ms))
        }
        try db.run("INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL)", [
            c.idSQL, c.height, c.index, c.time, c.signerSQL, t.title, t.description, mask, closingKind, closingValue,
            Int64(t.quorumBasisPoints), Int64(t.passBasisPoints), Int64(t.options.count), Int64(p.endorsements.count),
            Int64(electorate.count), root.sql,
        ])
        for (i, label) in t.options.enumerated() {
            try db.run("INSERT INTO proposal_options VALUES (?, ?, ?)", [c.idSQL, Int64(i), label])
        }
        for e in p.endorsements {
            try db.run("INSERT OR IGNORE INTO proposal_endorsements VALUES (?, ?)", [c.idSQL, e.signer.raw.sql])
        }
        try db.run("""
            INSERT INTO proposal_electorate
            SELECT ?, subject_id FROM subjects WHERE status = 'active' AND (roles & ?) != 0
            """, [c.idSQL, mask])
    }

    func applyBallot(_ b: Ballot, _ c: TransactionContext, _ db: Database) throws {
        // One counted ballot per voter: a later one replaces the earlier one until close.
        try db.run("""
            INSERT INTO ballots VALUES (?, ?, ?, ?, ?, ?, 0)
            ON CONFLICT (proposal_id, voter) DO UPDATE SET
                choice = excluded.choice, height = excluded.height, idx = excluded.idx,
                tx_id = excluded.tx_id, replaced = replaced + 1
            """, [b.proposal.sql, c.signerSQL, Int64(b.choice), c.height, c.index, c.idSQL])
    }

    /// Closes every open proposal whose closing height or time this block
    /// reached, in opening order, recording its tally. Ballots in this block count.
    func closeDueProposals(height: Int64, time: Int64, db: Database) throws -> [Hash] {
        let due = try db.rows("""
            SELECT id, option_count, electorate_size, quorum_bp, pass_bp FROM proposals
            WHERE status = 'open'
              AND ((closing_kind = 'height' AND closing_value <= ?) OR (closing_kind = 'time' AND closing_value <= ?))
            ORDER BY height, idx
            """, [height, time])
        var closed: [Hash] = []
        for row in due {
            let id = try row.hash("id")
            let idSQL = id.sql
            let optionCount = Int(try row.int("option_count"))
            var votes = [UInt64](repeating: 0, count: optionCount)
            for count in try db.rows("SELECT choice, COUNT(*) AS n FROM ballots WHERE proposal_id = ? GROUP BY choice", [idSQL]) {
                let choice = Int(try count.int("choice"))
                if choice >= 0 && choice < optionCount { votes[choice] = try count.uint("n") }
            }
            let tally = Tally(votes: votes, electorateSize: try row.uint("electorate_size"),
                              quorumBasisPoints: UInt32(clamping: try row.int("quorum_bp")),
                              passBasisPoints: UInt32(clamping: try row.int("pass_bp")))
            try db.run("INSERT INTO tallies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                idSQL, height, time, sqlInt(tally.electorateSize), sqlInt(tally.ballotsCast), tally.quorumMet ? 1 : 0,
                tally.leadingOption.map { Int64($0) }, sqlInt(votes.max() ?? 0),
                tally.outcome.rawValue,
            ])
            for (i, n) in votes.enumerated() {
                try db.run("INSERT INTO tally_options VALUES (?, ?, ?)", [idSQL, Int64(i), sqlInt(n)])
            }
            try db.run("UPDATE proposals SET status = 'closed', closed_height = ? WHERE id = ?", [height, idSQL])
            closed.append(id)
        }
        return closed
    }

    // MARK: Service requests

    func applyServiceRequest(_ r: ServiceRequest, _ c: TransactionContext, _ db: Database) throws {
        let deadline = saturatingAdd(c.time, deadlines[r.serviceCode] ?? defaultDeadline)
        try db.run("""
            INSERT INTO service_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', NULL, NULL, 0, NULL, NULL, NULL, NULL, 0)
            """, [c.idSQL, c.height, c.index, c.time, c.signerSQL, r.serviceCode, r.description, r.location, deadline])
        try recordServiceEvent(c.idSQL, c, kind: "request", status: "open", note: "", rating: nil, db)
    }

    func applyAssignment(_ a: Assignment, _ c: TransactionContext, _ db: Database) throws {
        let assignments = try db.integer("SELECT assignment_count FROM service_requests WHERE id = ?", [a.request.sql]) ?? 0
        let request = a.request.sql
        let seq = assignments + 1
        try db.run("UPDATE service_assignments SET active = 0, ended_time = ? WHERE request_id = ? AND active = 1", [c.time, request])
        try db.run("INSERT INTO service_assignments VALUES (?, ?, ?, ?, ?, ?, ?, 1, NULL, NULL, NULL, NULL, NULL)", [
            request, seq, a.provider.raw.sql, c.idSQL, c.height, c.time, a.note,
        ])
        try db.run("""
            UPDATE service_requests SET status = 'assigned', provider = ?, assignment_count = ?, resolution = NULL, resolved_time = NULL
            WHERE id = ?
            """, [a.provider.raw.sql, seq, request])
        try recordServiceEvent(request, c, kind: "assignment", status: "assigned", note: a.note, rating: nil, db)
    }

    func applyServiceResponse(_ r: ServiceResponse, _ c: TransactionContext, _ db: Database) throws {
        let request = r.request.sql
        guard let seq = try db.integer("SELECT seq FROM service_assignments WHERE request_id = ? AND active = 1", [request]) else {
            throw UnexpectedValue(column: "service_assignments", detail: "the rules let an unassigned request \(r.request.hex) take a response")
        }
        let resolution = Self.resolution(r.status)
        let newStatus: String = switch r.status {
        case .acknowledged: "acknowledged"
        case .inProgress: "inProgress"
        default: "resolved"
        }
        try db.run("""
            UPDATE service_assignments SET first_response_time = COALESCE(first_response_time, ?),
                resolved_time = ?, resolution = ?
            WHERE request_id = ? AND seq = ?
            """, [c.time, resolution == nil ? nil : c.time, resolution, request, seq])
        try db.run("""
            UPDATE service_requests SET first_response_time = COALESCE(first_response_time, ?), status = ?,
                resolution = ?, resolved_time = ?
            WHERE id = ?
            """, [c.time, newStatus, resolution, resolution == nil ? nil : c.time, request])
        try recordServiceEvent(request, c, kind: "response", status: r.status.description, note: r.note, rating: nil, db)
    }

    static func resolution(_ status: ServiceResponse.Status) -> String? {
        switch status {
        case .acknowledged, .inProgress: return nil
        case .resolvedFixed: return "fixed"
        case .resolvedNotResponsible: return "notResponsible"
        case .resolvedDuplicate: return "duplicate"
        case .resolvedReferred: return "referred"
        }
    }

    func applyClosure(_ cl: Closure, _ c: TransactionContext, _ db: Database) throws {
        let request = cl.request.sql
        let rating = cl.rating.map { Int64($0) }
        switch cl.outcome {
        case .closed:
            try db.run("UPDATE service_requests SET status = 'closed', closed_time = ?, rating = ? WHERE id = ?", [c.time, rating, request])
            try db.run("UPDATE service_assignments SET rating = ? WHERE request_id = ? AND active = 1", [rating, request])
            try recordServiceEvent(request, c, kind: "closure", status: "closed", note: cl.comment, rating: rating, db)
        case .reopened:
            try db.run("""
                UPDATE service_requests SET status = 'reopened', reopen_count = reopen_count + 1, resolution = NULL, resolved_time = NULL
                WHERE id = ?
                """, [request])
            try db.run("UPDATE service_assignments SET resolved_time = NULL, resolution = NULL WHERE request_id = ? AND active = 1", [request])
            try recordServiceEvent(request, c, kind: "closure", status: "reopened", note: cl.comment, rating: rating, db)
        }
    }

    func recordServiceEvent(_ request: Data, _ c: TransactionContext, kind: String, status: String, note: String,
                            rating: Int64?, _ db: Database) throws {
        try db.run("INSERT INTO service_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            request, c.height, c.index, c.idSQL, kind, c.signerSQL, status, note, rating,
        ])
    }

    // MARK: Volunteer records, checkpoints, referrals

    func applyVolunteerRecord(_ v: VolunteerRecord, _ c: TransactionContext, _ db: Database) throws {
        let volunteer = v.volunteer.raw.sql
        let minutes = Int64(v.minutes)
        let points = minutes * Int64(genesis.parameters.pointsPerHour) / 60
        try db.run("INSERT INTO volunteer_records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            c.idSQL, c.height, c.index, c.signerSQL, volunteer, v.activity, minutes, Int64(v.day), points,
        ])
        try db.run("""
            INSERT INTO volunteer_totals VALUES (?, 1, ?, ?)
            ON CONFLICT (volunteer) DO UPDATE SET
                records = records + 1, minutes = minutes + excluded.minutes, points = points + excluded.points
            """, [volunteer, minutes, points])
    }

    func applyCheckpoint(_ cp: Checkpoint, _ c: TransactionContext, _ db: Database) throws {
        try db.run("INSERT INTO checkpoints VALUES (?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?)", [
            cp.community.name, sqlInt(cp.height), cp.headerHash.sql, cp.genesisHash.sql, c.height, c.index, c.idSQL,
            c.signerSQL, Int64(cp.certificate.votes.count), Data(cp.certificate.encoded()),
        ])
    }

    func applyReferral(_ r: Referral, _ c: TransactionContext, _ db: Database) throws {
        var referenceKind: String?
        if let reference = r.reference {
            referenceKind = try String.fetchOne(db.cachedStatement(sql: """
                SELECT kind FROM transactions WHERE id = ? AND status = 'applied' ORDER BY height, idx LIMIT 1
                """), arguments: [reference.sql])
        }
        try db.run("INSERT INTO referrals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            c.idSQL, c.height, c.index, c.time, c.signerSQL, r.toCommunity.name,
            r.kind == .request ? "request" : "resource", r.reference?.sql, referenceKind, r.summary,
        ])
    }
}
