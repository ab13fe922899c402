public import CivitasCodec
public import CivitasLedger
import Foundation
import GRDB

/// `GovernanceReader` over the state database's tables on one connection:
/// `applyBlock` decides each transaction with `GovernanceRules.check` through
/// it, inside the block's SQLite transaction, so a transaction sees the effects
/// of the ones before it in the same block.
struct SQLGovernanceReader: GovernanceReader {
    typealias Failure = any Error
    let db: Database

    func subject(_ id: SubjectID) throws -> GovernanceSubject? {
        try db.row("SELECT roles, status FROM subjects WHERE subject_id = ?", [id.raw.sql]).map { row in
            GovernanceSubject(roles: RoleSet.fromSQL(try row.int("roles")), isActive: try row.text("status") == "active")
        }
    }

    func notice(_ id: Hash) throws -> GovernanceNotice? {
        guard let row = try db.row("SELECT issuer, category, superseded_by FROM notices WHERE id = ?", [id.sql]) else { return nil }
        let name = try row.text("category")
        guard let category = Notice.Category.allCases.first(where: { $0.description == name }) else {
            throw UnexpectedValue(column: "notices.category", detail: name)
        }
        return GovernanceNotice(author: try row.subjectID("issuer"), category: category,
                                supersededBy: try row.optionalHash("superseded_by"))
    }

    func proposal(_ id: Hash) throws -> GovernanceProposal? {
        try db.row("SELECT status, option_count, closed_height FROM proposals WHERE id = ?", [id.sql]).map { row in
            GovernanceProposal(isOpen: try row.text("status") == "open", closedHeight: try row.optionalUInt("closed_height"),
                               optionCount: Int(try row.int("option_count")))
        }
    }

    func isInElectorate(_ subject: SubjectID, proposal: Hash) throws -> Bool {
        try db.integer("SELECT 1 FROM proposal_electorate WHERE proposal_id = ? AND subject_id = ?",
                       [proposal.sql, subject.raw.sql]) != nil
    }

    func serviceRequest(_ id: Hash) throws -> GovernanceServiceRequest? {
        guard let row = try db.row("SELECT status, requester, provider FROM service_requests WHERE id = ?", [id.sql]) else {
            return nil
        }
        let name = try row.text("status")
        guard let status = ServiceRequestStatus(rawValue: name) else {
            throw UnexpectedValue(column: "service_requests.status", detail: name)
        }
        return GovernanceServiceRequest(status: status, requester: try row.subjectID("requester"),
                                        provider: try row.optionalSubjectID("provider"))
    }

    func hasCheckpoint(community: CommunityID, height: UInt64, headerHash: Hash) throws -> Bool {
        try db.integer("SELECT 1 FROM checkpoints WHERE community = ? AND height = ? AND header_hash = ?",
                       [community.name, sqlInt(height), headerHash.sql]) != nil
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

/// `GovernanceReader` over the state database's latest committed state (one
/// read per lookup), so a node can back its mempool with it
/// (`GovernanceMempoolView` in CivitasNodeCore): `StateDatabase.governanceReader`.
public struct StateDatabaseGovernanceReader: GovernanceReader, Sendable {
    public typealias Failure = StorageError
    public let database: StateDatabase

    public init(_ database: StateDatabase) { self.database = database }

    public func subject(_ id: SubjectID) throws(StorageError) -> GovernanceSubject? {
        try database.read("read subject") { db in try SQLGovernanceReader(db: db).subject(id) }
    }

    public func notice(_ id: Hash) throws(StorageError) -> GovernanceNotice? {
        try database.read("read notice") { db in try SQLGovernanceReader(db: db).notice(id) }
    }

    public func proposal(_ id: Hash) throws(StorageError) -> GovernanceProposal? {
        try database.read("read proposal") { db in try SQLGovernanceReader(db: db).proposal(id) }
    }

    public func isInElectorate(_ subject: SubjectID, proposal: Hash) throws(StorageError) -> Bool {
        try database.read("read electorate") { db in try SQLGovernanceReader(db: db).isInElectorate(subject, proposal: proposal) }
    }

    public func serviceRequest(_ id: Hash) throws(StorageError) -> GovernanceServiceRequest? {
        try database.read("read service request") { db in try SQLGovernanceReader(db: db).serviceRequest(id) }
    }

    public func hasCheckpoint(community: CommunityID, height: UInt64, headerHash: Hash) throws(StorageError) -> Bool {
        try database.read("read checkpoints") { db in
            try SQLGovernanceReader(db: db).hasCheckpoint(community: community, height: height, headerHash: headerHash)
        }
    }

    public func latestNonce(of signer: PublicKey) throws(StorageError) -> UInt64 {
        try database.latestNonce(of: signer)
    }

    public func currentHead() throws(StorageError) -> GovernanceHead {
        let h = try database.head()
        return GovernanceHead(height: h.height, time: h.time)
    }
}

extension StateDatabase {
    /// The rules' lookups over this database's committed state.
    public var governanceReader: StateDatabaseGovernanceReader { StateDatabaseGovernanceReader(self) }

    /// `GovernanceRules.check` against the committed state, for a transaction
    /// in the next block (at the head's time), in one read: what the next block
    /// would decide, unless transactions before it change the state.
    public func check(_ tx: Transaction) throws(StorageError) -> String? {
        try read("check transaction") { db in
            let reader = SQLGovernanceReader(db: db)
            let h = try reader.currentHead()
            return try GovernanceRules.check(tx, at: (h.height + 1, h.time), genesis: genesis, reader: reader)
        }
    }
}
