import CivitasCodec
import CivitasGovernance
import CivitasLedger
import Foundation
import GRDB

// Each governance entry and its table's row, both ways, in one place: `init(row:)`
// reads a row by column name (for the transition's reader, the snapshot and
// the queries); `sqlValues` gives the columns in the table's order (for the
// change writer's INSERTs). Child rows (a notice's attachments, a proposal's
// options) are the writer's and the reader's to handle.

extension SubjectEntry {
    init(row: Row) throws {
        self.init(id: try row.subjectID("subject_id"), publicKey: try row.publicKey("public_key"),
                  displayName: try row.text("display_name"), unit: try row.text("unit"),
                  roles: RoleSet.fromSQL(try row.int("roles")), isActive: try row.text("status") == "active",
                  registeredHeight: try row.uint("registered_height"), updatedHeight: try row.uint("updated_height"),
                  lastTransaction: try row.optionalHash("last_tx"))
    }

    var sqlValues: StatementArguments {
        [id.raw.sql, publicKey.raw.sql, displayName, unit, Int64(roles.mask), isActive ? "active" : "revoked",
         sqlInt(registeredHeight), sqlInt(updatedHeight), lastTransaction?.sql]
    }
}

extension NonceEntry {
    init(row: Row) throws {
        self.init(signer: try row.publicKey("signer"), nonce: try row.uint("nonce"), height: try row.uint("height"))
    }

    var sqlValues: StatementArguments { [signer.raw.sql, signer.subjectID.raw.sql, sqlInt(nonce), sqlInt(height)] }
}

extension NoticeEntry {
    init(row: Row, attachments: [Hash]) throws {
        self.init(id: try row.hash("id"), height: try row.uint("height"), index: Int(try row.int("idx")),
                  time: try row.uint("time"), issuer: try row.subjectID("issuer"),
                  category: try named(try row.text("category"), column: "notices.category", \Notice.Category.description),
                  title: try row.text("title"), body: try row.text("body"), supersedes: try row.optionalHash("supersedes"),
                  supersededBy: try row.optionalHash("superseded_by"), chainRoot: try row.hash("chain_root"),
                  version: Int(try row.int("version")), attachments: attachments)
    }

    var sqlValues: StatementArguments {
        [id.sql, sqlInt(height), Int64(index), sqlInt(time), issuer.raw.sql, category.description, title, body,
         supersedes?.sql, supersededBy?.sql, chainRoot.sql, Int64(version)]
    }
}

extension ClosingRule {
    init(row: Row) throws {
        let value = try row.uint("closing_value")
        self = try row.text("closing_kind") == "height" ? .height(value) : .time(value)
    }

    var sqlValues: (kind: String, value: Int64) {
        switch self {
        case let .height(h): ("height", sqlInt(h))
        case let .time(ms): ("time", sqlInt(ms))
        }
    }
}

extension ProposalEntry {
    init(row: Row, options: [String], endorsers: [PublicKey], electorate: [SubjectID]) throws {
        self.init(id: try row.hash("id"), height: try row.uint("height"), index: Int(try row.int("idx")),
                  time: try row.uint("time"), proposer: try row.subjectID("proposer"), title: try row.text("title"),
                  description: try row.text("description"), eligibleRoles: RoleSet.fromSQL(try row.int("eligible_roles")),
                  closing: try ClosingRule(row: row), quorumBasisPoints: UInt32(clamping: try row.int("quorum_bp")),
                  passBasisPoints: UInt32(clamping: try row.int("pass_bp")), options: options,
                  endorsementCount: Int(try row.int("endorsement_count")), endorsers: endorsers, electorate: electorate,
                  electorateRoot: try row.hash("electorate_root"), isOpen: try row.text("status") == "open",
                  closedHeight: try row.optionalUInt("closed_height"))
    }

    var sqlValues: StatementArguments {
        let (closingKind, closingValue) = closing.sqlValues
        return [id.sql, sqlInt(height), Int64(index), sqlInt(time), proposer.raw.sql, title, description,
                Int64(eligibleRoles.mask), closingKind, closingValue, Int64(quorumBasisPoints), Int64(passBasisPoints),
                Int64(options.count), Int64(endorsementCount), Int64(electorate.count), electorateRoot.sql,
                isOpen ? "open" : "closed", closedHeight.map(sqlInt)]
    }
}

extension DraftEntry {
    init(row: Row, options: [String]) throws {
        let terms = ProposalTerms(title: try row.text("title"), description: try row.text("description"), options: options,
                                  eligibleRoles: RoleSet.fromSQL(try row.int("eligible_roles")), closing: try ClosingRule(row: row),
                                  quorumBasisPoints: UInt32(clamping: try row.int("quorum_bp")),
                                  passBasisPoints: UInt32(clamping: try row.int("pass_bp")))
        self.init(id: try row.hash("id"), height: try row.uint("height"), index: Int(try row.int("idx")), time: try row.uint("time"),
                  proposer: try row.subjectID("proposer"), terms: terms, openedHeight: try row.optionalUInt("opened_height"))
    }

    var sqlValues: StatementArguments {
        let (closingKind, closingValue) = terms.closing.sqlValues
        return [id.sql, sqlInt(height), Int64(index), sqlInt(time), proposer.raw.sql, terms.title, terms.description,
                Int64(terms.eligibleRoles.mask), closingKind, closingValue, Int64(terms.quorumBasisPoints),
                Int64(terms.passBasisPoints), openedHeight.map(sqlInt)]
    }
}

extension EndorsementEntry {
    init(row: Row) throws {
        self.init(draft: try row.hash("draft_id"), endorser: try row.subjectID("endorser"), endorserKey: try row.publicKey("endorser_key"),
                  height: try row.uint("height"), index: Int(try row.int("idx")), transaction: try row.hash("tx_id"))
    }

    var sqlValues: StatementArguments {
        [draft.sql, endorser.raw.sql, endorserKey.raw.sql, sqlInt(height), Int64(index), transaction.sql]
    }
}

extension RewardOfferEntry {
    init(row: Row) throws {
        self.init(id: try row.hash("id"), height: try row.uint("height"), index: Int(try row.int("idx")), time: try row.uint("time"),
                  publisher: try row.subjectID("publisher"), title: try row.text("title"), description: try row.text("description"),
                  price: UInt32(clamping: try row.int("price")), quantity: UInt32(clamping: try row.int("quantity")),
                  redeemed: try row.uint("redeemed"))
    }

    var sqlValues: StatementArguments {
        [id.sql, sqlInt(height), Int64(index), sqlInt(time), publisher.raw.sql, title, description, Int64(price), Int64(quantity),
         sqlInt(redeemed)]
    }
}

extension RedemptionEntry {
    init(row: Row) throws {
        self.init(id: try row.hash("id"), height: try row.uint("height"), index: Int(try row.int("idx")), time: try row.uint("time"),
                  offer: try row.hash("offer"), redeemer: try row.subjectID("redeemer"), publisher: try row.subjectID("publisher"),
                  points: try row.uint("points"))
    }

    var sqlValues: StatementArguments {
        [id.sql, sqlInt(height), Int64(index), sqlInt(time), offer.sql, redeemer.raw.sql, publisher.raw.sql, sqlInt(points)]
    }
}

extension RedeemedTotals {
    init(row: Row) throws {
        self.init(subject: try row.subjectID("subject"), redemptions: try row.uint("redemptions"), points: try row.uint("points"))
    }

    var sqlValues: StatementArguments { [subject.raw.sql, sqlInt(redemptions), sqlInt(points)] }
}

extension GovernanceProposal {
    /// From a `proposals` row (any columns beyond the summary's are ignored).
    init(row: Row) throws {
        self.init(id: try row.hash("id"), height: try row.uint("height"), index: Int(try row.int("idx")),
                  isOpen: try row.text("status") == "open", closedHeight: try row.optionalUInt("closed_height"),
                  optionCount: Int(try row.int("option_count")), closing: try ClosingRule(row: row),
                  quorumBasisPoints: UInt32(clamping: try row.int("quorum_bp")),
                  passBasisPoints: UInt32(clamping: try row.int("pass_bp")),
                  electorateSize: Int(try row.int("electorate_size")))
    }
}

extension BallotEntry {
    init(row: Row) throws {
        self.init(proposal: try row.hash("proposal_id"), voter: try row.subjectID("voter"),
                  choice: UInt32(clamping: try row.int("choice")), height: try row.uint("height"),
                  index: Int(try row.int("idx")), transaction: try row.hash("tx_id"), replaced: try row.uint("replaced"))
    }

    var sqlValues: StatementArguments {
        [proposal.sql, voter.raw.sql, Int64(choice), sqlInt(height), Int64(index), transaction.sql, sqlInt(replaced)]
    }
}

extension TallyEntry {
    init(row: Row, votes: [UInt64]) throws {
        let tally = Tally(votes: votes, electorateSize: try row.uint("electorate_size"), ballotsCast: try row.uint("ballots_cast"),
                          quorumMet: try row.int("quorum_met") != 0, leadingOption: try row.optionalInt("leading_option").map { Int($0) },
                          outcome: try named(try row.text("outcome"), column: "tallies.outcome", \TallyOutcome.rawValue))
        self.init(proposal: try row.hash("proposal_id"), closedHeight: try row.uint("closed_height"),
                  closedTime: try row.uint("closed_time"), tally: tally)
    }

    var sqlValues: StatementArguments {
        [proposal.sql, sqlInt(closedHeight), sqlInt(closedTime), sqlInt(tally.electorateSize), sqlInt(tally.ballotsCast),
         tally.quorumMet ? 1 : 0, tally.leadingOption.map { Int64($0) }, sqlInt(tally.leadingVotes), tally.outcome.rawValue]
    }
}

extension ServiceRequestEntry {
    init(row: Row) throws {
        self.init(id: try row.hash("id"), height: try row.uint("height"), index: Int(try row.int("idx")),
                  requestedTime: try row.uint("requested_time"), requester: try row.subjectID("requester"),
                  serviceCode: try row.text("service_code"), description: try row.text("description"),
                  location: try row.text("location"), deadline: try row.uint("deadline_time"),
                  status: try named(try row.text("status"), column: "service_requests.status", \ServiceRequestStatus.rawValue),
                  resolution: try optionalNamed(try row.optionalText("resolution"), column: "service_requests.resolution",
                                                \ServiceResolution.rawValue),
                  provider: try row.optionalSubjectID("provider"), assignmentCount: Int(try row.int("assignment_count")),
                  firstResponseTime: try row.optionalUInt("first_response_time"), resolvedTime: try row.optionalUInt("resolved_time"),
                  closedTime: try row.optionalUInt("closed_time"), rating: try row.optionalInt("rating").map { UInt8(clamping: $0) },
                  reopenCount: Int(try row.int("reopen_count")))
    }

    var sqlValues: StatementArguments {
        [id.sql, sqlInt(height), Int64(index), sqlInt(requestedTime), requester.raw.sql, serviceCode, description,
         location, sqlInt(deadline), status.rawValue, resolution?.rawValue, provider?.raw.sql, Int64(assignmentCount),
         firstResponseTime.map(sqlInt), resolvedTime.map(sqlInt), closedTime.map(sqlInt), rating.map { Int64($0) },
         Int64(reopenCount)]
    }
}

extension AssignmentEntry {
    init(row: Row) throws {
        self.init(request: try row.hash("request_id"), seq: Int(try row.int("seq")), provider: try row.subjectID("provider"),
                  transaction: try row.hash("tx_id"), assignedHeight: try row.uint("assigned_height"),
                  assignedTime: try row.uint("assigned_time"), note: try row.text("note"), isActive: try row.int("active") != 0,
                  endedTime: try row.optionalUInt("ended_time"), firstResponseTime: try row.optionalUInt("first_response_time"),
                  resolvedTime: try row.optionalUInt("resolved_time"),
                  resolution: try optionalNamed(try row.optionalText("resolution"), column: "service_assignments.resolution",
                                                \ServiceResolution.rawValue),
                  rating: try row.optionalInt("rating").map { UInt8(clamping: $0) })
    }

    var sqlValues: StatementArguments {
        [request.sql, Int64(seq), provider.raw.sql, transaction.sql, sqlInt(assignedHeight), sqlInt(assignedTime), note,
         isActive ? 1 : 0, endedTime.map(sqlInt), firstResponseTime.map(sqlInt), resolvedTime.map(sqlInt),
         resolution?.rawValue, rating.map { Int64($0) }]
    }
}

extension ServiceEventEntry {
    init(row: Row) throws {
        self.init(request: try row.hash("request_id"), height: try row.uint("height"), index: Int(try row.int("idx")),
                  transaction: try row.hash("tx_id"),
                  kind: try named(try row.text("kind"), column: "service_events.kind", \ServiceEventEntry.Kind.rawValue),
                  actor: try row.subjectID("actor"), status: try row.text("status"), note: try row.text("note"),
                  rating: try row.optionalInt("rating").map { UInt8(clamping: $0) })
    }

    var sqlValues: StatementArguments {
        [request.sql, sqlInt(height), Int64(index), transaction.sql, kind.rawValue, actor.raw.sql, status, note,
         rating.map { Int64($0) }]
    }
}

extension VolunteerEntry {
    init(row: Row) throws {
        self.init(id: try row.hash("id"), height: try row.uint("height"), index: Int(try row.int("idx")),
                  organisation: try row.subjectID("organisation"), volunteer: try row.subjectID("volunteer"),
                  activity: try row.text("activity"), minutes: UInt32(clamping: try row.int("minutes")),
                  day: UInt32(clamping: try row.int("day")), points: try row.uint("points"))
    }

    var sqlValues: StatementArguments {
        [id.sql, sqlInt(height), Int64(index), organisation.raw.sql, volunteer.raw.sql, activity, Int64(minutes),
         Int64(day), sqlInt(points)]
    }
}

extension VolunteerTotals {
    init(row: Row) throws {
        self.init(volunteer: try row.subjectID("volunteer"), records: try row.uint("records"), minutes: try row.uint("minutes"),
                  points: try row.uint("points"))
    }

    var sqlValues: StatementArguments { [volunteer.raw.sql, sqlInt(records), sqlInt(minutes), sqlInt(points)] }
}

extension CheckpointEntry {
    init(row: Row) throws {
        let name = try row.text("community")
        guard let community = CommunityID(name) else { throw UnexpectedValue(column: "checkpoints.community", detail: name) }
        self.init(community: community, height: try row.uint("height"), headerHash: try row.hash("header_hash"),
                  genesisHash: try row.hash("genesis_hash"), isOwn: try row.text("source") == "own",
                  recordedHeight: try row.uint("recorded_height"), recordedTime: try row.uint("recorded_time"),
                  recordedIndex: try row.optionalInt("recorded_idx").map { Int($0) }, transaction: try row.optionalHash("tx_id"),
                  submitter: try row.optionalSubjectID("submitter"), votes: try row.optionalInt("votes").map { Int($0) },
                  certificate: try row.decode(Data?.self, forColumn: "certificate").map { [UInt8]($0) })
    }

    var sqlValues: StatementArguments {
        [community.name, sqlInt(height), headerHash.sql, genesisHash.sql, isOwn ? "own" : "received", sqlInt(recordedHeight),
         recordedIndex.map { Int64($0) }, transaction?.sql, submitter?.raw.sql, votes.map { Int64($0) },
         certificate.map { Data($0) }, sqlInt(recordedTime)]
    }
}

extension TamperEvidenceEntry {
    init(row: Row) throws {
        let name = try row.text("community")
        guard let community = CommunityID(name) else { throw UnexpectedValue(column: "tamper_evidence.community", detail: name) }
        self.init(community: community, genesisHash: try row.hash("genesis_hash"), height: try row.uint("height"),
                  anchoredHeaderHash: try row.hash("anchored_header_hash"),
                  anchoredCertificate: [UInt8](try row.decode(Data.self, forColumn: "anchored_certificate")),
                  conflictingHeaderHash: try row.hash("conflicting_header_hash"),
                  conflictingCertificate: [UInt8](try row.decode(Data.self, forColumn: "conflicting_certificate")),
                  recordedHeight: try row.uint("recorded_height"), recordedTime: try row.uint("recorded_time"),
                  recordedIndex: Int(try row.int("recorded_idx")), transaction: try row.hash("tx_id"),
                  submitter: try row.subjectID("submitter"))
    }

    var sqlValues: StatementArguments {
        [community.name, sqlInt(height), conflictingHeaderHash.sql, genesisHash.sql, anchoredHeaderHash.sql, Data(anchoredCertificate),
         Data(conflictingCertificate), sqlInt(recordedHeight), sqlInt(recordedTime), Int64(recordedIndex), transaction.sql,
         submitter.raw.sql]
    }
}

extension FederationAdoptionEntry {
    init(row: Row) throws {
        let bytes = [UInt8](try row.decode(Data.self, forColumn: "document"))
        let document: FederationDocument
        do { document = try FederationDocument(encoded: bytes) } catch {
            throw UnexpectedValue(column: "federation_adoptions.document", detail: "\(error)")
        }
        self.init(document: document, height: try row.uint("height"), time: try row.uint("time"), index: Int(try row.int("idx")),
                  transaction: try row.hash("tx_id"), adopter: try row.subjectID("adopter"))
        guard sequence == (try row.uint("sequence")), hash == (try row.hash("hash")) else {
            throw UnexpectedValue(column: "federation_adoptions.hash", detail: "does not match the document")
        }
    }

    var sqlValues: StatementArguments {
        [sqlInt(sequence), hash.sql, Data(document.encoded()), sqlInt(height), sqlInt(time), Int64(index), transaction.sql,
         adopter.raw.sql]
    }
}

extension ReferralEntry {
    init(row: Row) throws {
        let name = try row.text("to_community")
        guard let community = CommunityID(name) else { throw UnexpectedValue(column: "referrals.to_community", detail: name) }
        self.init(id: try row.hash("id"), height: try row.uint("height"), index: Int(try row.int("idx")),
                  time: try row.uint("time"), referrer: try row.subjectID("referrer"), toCommunity: community,
                  kind: try named(try row.text("kind"), column: "referrals.kind", \Referral.Kind.sqlName),
                  reference: try row.optionalHash("reference"),
                  referenceKind: try optionalNamed(try row.optionalText("reference_kind"), column: "referrals.reference_kind",
                                                   \TransactionKind.description),
                  summary: try row.text("summary"),
                  delivered: try ReferralStep(row: row, prefix: "delivered"),
                  answer: try ReferralReply(row: row, accepted: "answer_accepted", note: "answer_note", answerer: "answerer"),
                  answered: try ReferralStep(row: row, prefix: "answered"))
    }

    var sqlValues: StatementArguments {
        [id.sql, sqlInt(height), Int64(index), sqlInt(time), referrer.raw.sql, toCommunity.name, kind.sqlName,
         reference?.sql, referenceKind?.description, summary]
            + ReferralStep.sqlValues(delivered) + ReferralReply.sqlValues(answer) + ReferralStep.sqlValues(answered)
    }
}

extension ReferralStep {
    /// The step in columns `<prefix>_height`, `_tx`, `_recorded_height`, `_recorded_time`, `_relay_tx`; nil if not recorded.
    init?(row: Row, prefix: String) throws {
        guard let height = try row.optionalUInt("\(prefix)_height") else { return nil }
        guard let theirs = try row.optionalHash("\(prefix)_tx"), let recordedHeight = try row.optionalUInt("\(prefix)_recorded_height"),
              let recordedTime = try row.optionalUInt("\(prefix)_recorded_time"), let relay = try row.optionalHash("\(prefix)_relay_tx") else {
            throw UnexpectedValue(column: "referrals.\(prefix)_tx", detail: "a step recorded in part")
        }
        self.init(theirHeight: height, theirTransaction: theirs, recordedHeight: recordedHeight, recordedTime: recordedTime,
                  transaction: relay)
    }

    static func sqlValues(_ step: ReferralStep?) -> StatementArguments {
        guard let step else { return [nil, nil, nil, nil, nil] }
        return [sqlInt(step.theirHeight), step.theirTransaction.sql, sqlInt(step.recordedHeight), sqlInt(step.recordedTime),
                step.transaction.sql]
    }
}

extension ReferralReply {
    /// The answer in the named columns; nil if not answered.
    init?(row: Row, accepted: String, note: String, answerer: String) throws {
        guard let flag = try row.optionalInt(accepted) else { return nil }
        guard let text = try row.optionalText(note), let who = try row.optionalSubjectID(answerer) else {
            throw UnexpectedValue(column: note, detail: "an answer recorded in part")
        }
        self.init(accepted: flag != 0, note: text, answerer: who)
    }

    static func sqlValues(_ reply: ReferralReply?) -> StatementArguments {
        guard let reply else { return [nil, nil, nil] }
        return [Int64(reply.accepted ? 1 : 0), reply.note, reply.answerer.raw.sql]
    }
}

extension IncomingReferralEntry {
    init(row: Row) throws {
        let name = try row.text("from_community")
        guard let community = CommunityID(name) else { throw UnexpectedValue(column: "incoming_referrals.from_community", detail: name) }
        self.init(id: try row.hash("id"), fromCommunity: community, theirHeight: try row.uint("their_height"),
                  theirTime: try row.uint("their_time"), referrer: try row.subjectID("referrer"),
                  kind: try named(try row.text("kind"), column: "incoming_referrals.kind", \Referral.Kind.sqlName),
                  reference: try row.optionalHash("reference"), summary: try row.text("summary"),
                  recordedHeight: try row.uint("recorded_height"), recordedTime: try row.uint("recorded_time"),
                  recordedIndex: Int(try row.int("recorded_idx")), transaction: try row.hash("tx_id"),
                  answer: try ReferralReply(row: row, accepted: "answer_accepted", note: "answer_note", answerer: "answerer"),
                  answerHeight: try row.optionalUInt("answer_height"), answerTime: try row.optionalUInt("answer_time"),
                  answerTransaction: try row.optionalHash("answer_tx"))
    }

    var sqlValues: StatementArguments {
        [id.sql, fromCommunity.name, sqlInt(theirHeight), sqlInt(theirTime), referrer.raw.sql, kind.sqlName, reference?.sql, summary,
         sqlInt(recordedHeight), sqlInt(recordedTime), Int64(recordedIndex), transaction.sql]
            + ReferralReply.sqlValues(answer)
            + [answerHeight.map(sqlInt), answerTime.map(sqlInt), answerTransaction?.sql]
    }
}

extension Referral.Kind {
    /// The `referrals.kind` value.
    var sqlName: String { self == .request ? "request" : "resource" }
}

extension TransactionEntry {
    init(row: Row) throws {
        self.init(height: try row.uint("height"), index: Int(try row.int("idx")), id: try row.hash("id"),
                  kind: try named(try row.text("kind"), column: "transactions.kind", \TransactionKind.description),
                  signer: try row.publicKey("signer"), nonce: try row.uint("nonce"), time: try row.uint("time"),
                  rejectionReason: try row.optionalText("reason"))
    }

    var sqlValues: StatementArguments {
        [sqlInt(height), Int64(index), id.sql, kind.description, signer.raw.sql, signer.subjectID.raw.sql, sqlInt(nonce),
         sqlInt(time), isApplied ? "applied" : "rejected", rejectionReason]
    }
}

extension BlockEntry {
    var sqlValues: StatementArguments {
        [sqlInt(height), hash.sql, previous.sql, sqlInt(time), Int64(proposer), Int64(transactionCount), Int64(rejectedCount),
         transactionRoot.sql]
    }
}

/// The case of `E` whose `name` is `text`; an unexpected value otherwise.
func named<E: CaseIterable>(_ text: String, column: String, _ name: (E) -> String) throws -> E {
    guard let value = E.allCases.first(where: { name($0) == text }) else { throw UnexpectedValue(column: column, detail: text) }
    return value
}

/// `named` for a nullable column.
func optionalNamed<E: CaseIterable>(_ text: String?, column: String, _ name: (E) -> String) throws -> E? {
    try text.map { try named($0, column: column, name) }
}
