import Synchronization
public import CivitasCodec
public import CivitasLedger

/// The storage behind `GovernanceState`: every table as it stood after each
/// change ever recorded, so states at different positions (copies of one
/// state that went on applying blocks) read one store. A state is a position
/// in a history; applying a change either records it (the state is at the
/// history's head), or — behind the head, where a copy already recorded the
/// change that came next — checks that its own change is that one and moves
/// on. A state whose change differs forks: it gets a history of its own,
/// holding its tables as they stand.
///
/// Why: a simulated city runs thousands of nodes, and each community's nodes
/// apply the same blocks to the same state. Each node still decides every
/// transaction and computes every change itself; the changes it records are
/// stored once per community instead of once per node (issue #17: 1,000
/// nodes held 7 MiB of governance state each after one simulated hour).
///
/// Append-only and thread-safe: what was recorded at a position never changes.
final class GovernanceHistory: Sendable {
    let tables: Mutex<GovernanceTables>

    init(_ tables: GovernanceTables) {
        self.tables = Mutex(tables)
    }

    /// The change after `position`: recorded here if `position` is the head
    /// (then true), checked against the one recorded (true if it is the same).
    func advance(from position: Int, with change: StateChange) -> Bool {
        let fingerprint = change.hashValue
        return tables.withLock { t in
            if position < t.fingerprints.count { return t.fingerprints[position] == fingerprint }
            precondition(position == t.fingerprints.count, "a governance state past its history's head")
            t.record(change, at: position + 1)
            t.fingerprints.append(fingerprint)
            return true
        }
    }

    /// A new history holding the tables as they stood at `position` (at position 0).
    func fork(at position: Int) -> GovernanceHistory {
        GovernanceHistory(tables.withLock { $0.rebased(at: position) })
    }

    /// Reads the tables (under the history's lock).
    func read<T: Sendable>(_ body: (GovernanceTables) -> T) -> T {
        tables.withLock { body($0) }
    }

    /// A figure of the tables at `position` (the digest, the supervision
    /// figures), computed once per position and kept in `cache`.
    func figure<T: Sendable>(_ cache: WritableKeyPath<GovernanceTables, [Int: T]>, at position: Int,
                             _ compute: (GovernanceTables) -> T) -> T {
        tables.withLock { t in
            if let known = t[keyPath: cache][position] { return known }
            let figure = compute(t)
            t[keyPath: cache][position] = figure
            return figure
        }
    }
}

/// One key's values over time: each value holds from its position until the
/// next one (nil: absent), positions ascending.
enum KeyHistory<Value: Sendable>: Sendable {
    case one(Int, Value?)
    case many([(position: Int, value: Value?)])

    func value(at position: Int) -> Value? {
        switch self {
        case let .one(p, value):
            return p <= position ? value : nil
        case let .many(list):
            var i = list.count - 1
            while i >= 0 {
                if list[i].position <= position { return list[i].value }
                i -= 1
            }
            return nil
        }
    }

    mutating func record(_ value: Value?, at position: Int) {
        switch self {
        case let .one(p, old):
            self = p == position ? .one(p, value) : .many([(p, old), (position, value)])
        case var .many(list):
            self = .one(0, nil)  // the list is held once while it grows
            if list.last?.position == position { list[list.count - 1].value = value } else { list.append((position, value)) }
            self = .many(list)
        }
    }
}

/// A table whose every key keeps its history.
struct VersionedTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private(set) var histories: [Key: KeyHistory<Value>] = [:]

    func value(_ key: Key, at position: Int) -> Value? { histories[key]?.value(at: position) }

    mutating func record(_ key: Key, _ value: Value?, at position: Int) {
        if let i = histories.index(forKey: key) {
            histories.values[i].record(value, at: position)
        } else if value != nil {
            histories[key] = .one(position, value)
        }
    }

    func forEach(at position: Int, _ body: (Key, Value) -> Void) {
        for (key, history) in histories {
            if let value = history.value(at: position) { body(key, value) }
        }
    }

    func values(at position: Int) -> [Value] {
        var list: [Value] = []
        forEach(at: position) { list.append($1) }
        return list
    }

    func materialized(at position: Int) -> [Key: Value] {
        var table: [Key: Value] = [:]
        forEach(at: position) { table[$0] = $1 }
        return table
    }

    /// The values at `position`, recorded at position 0.
    func rebased(at position: Int) -> VersionedTable {
        var table = VersionedTable()
        forEach(at: position) { table.histories[$0] = .one(0, $1) }
        return table
    }
}

/// A single value's history (the head, the current federation document).
struct VersionedValue<Value: Sendable>: Sendable {
    private(set) var versions: [(position: Int, value: Value)]

    init(_ initial: Value) { versions = [(0, initial)] }

    func value(at position: Int) -> Value {
        var i = versions.count - 1
        while i > 0 && versions[i].position > position { i -= 1 }
        return versions[i].value
    }

    mutating func record(_ value: Value, at position: Int) {
        if versions[versions.count - 1].position == position {
            versions[versions.count - 1].value = value
        } else {
            versions.append((position, value))
        }
    }
}

/// Where a checkpoint is filed (the checkpoints table's key).
public struct CheckpointKey: Hashable, Sendable {
    public var community: CommunityID
    public var height: UInt64
    public var headerHash: Hash
}

/// A neighbour chain's height (the anchors index's key).
struct AnchorKey: Hashable, Sendable {
    var community: CommunityID
    var genesisHash: Hash
    var height: UInt64
}

/// Every table of the governance state, with its history; `record` is
/// `GovernanceState.apply(_:)`'s bookkeeping, written at one position.
struct GovernanceTables: Sendable {
    /// Each recorded change's hash, by position - 1.
    var fingerprints: [Int] = []
    /// Figures computed at positions (`GovernanceHistory.figure`).
    var digests: [Int: Hash] = [:]
    var supervision: [Int: [ProviderSupervision]] = [:]

    /// The head: the last block (changed once per block) and the transaction
    /// counts (changed by every transaction), kept apart so that a
    /// transaction's version costs two counts, not a whole head entry.
    var lastBlock: VersionedValue<HeadEntry>
    var counts: VersionedValue<(applied: UInt64, rejected: UInt64)>
    var nonces = VersionedTable<PublicKey, NonceEntry>()
    var subjects = VersionedTable<SubjectID, SubjectEntry>()
    var notices = VersionedTable<Hash, NoticeEntry>()
    var proposals = VersionedTable<Hash, ProposalEntry>()
    var ballots = VersionedTable<Hash, [SubjectID: BallotEntry]>()
    var tallies = VersionedTable<Hash, TallyEntry>()
    var serviceRequests = VersionedTable<Hash, ServiceRequestEntry>()
    var assignments = VersionedTable<Hash, [AssignmentEntry]>()
    var serviceEvents = VersionedTable<Hash, [ServiceEventEntry]>()
    var volunteerRecords = VersionedTable<Hash, VolunteerEntry>()
    var volunteers = VersionedTable<SubjectID, VolunteerTotals>()
    var checkpoints = VersionedTable<CheckpointKey, CheckpointEntry>()
    var tamperEvidence = VersionedTable<CheckpointKey, TamperEvidenceEntry>()
    var federationAdoptions = VersionedTable<UInt64, FederationAdoptionEntry>()
    var referrals = VersionedTable<Hash, ReferralEntry>()
    var incomingReferrals = VersionedTable<Hash, IncomingReferralEntry>()
    var drafts = VersionedTable<Hash, DraftEntry>()
    var endorsements = VersionedTable<Hash, [SubjectID: EndorsementEntry]>()
    var rewardOffers = VersionedTable<Hash, RewardOfferEntry>()
    var redemptions = VersionedTable<Hash, RedemptionEntry>()
    var redeemed = VersionedTable<SubjectID, RedeemedTotals>()
    var appliedTransactions = VersionedTable<Hash, AppliedTransaction>()

    // Indexes over the tables, kept as the changes arrive.
    var openIDs = VersionedTable<Hash, Bool>()
    var electorates = VersionedTable<Hash, Set<SubjectID>>()
    /// The checkpoint anchored first at each height of each chain.
    var anchors = VersionedTable<AnchorKey, CheckpointKey>()
    var currentFederation = VersionedValue<UInt64?>(nil)

    init(head: HeadEntry) {
        lastBlock = VersionedValue(head)
        counts = VersionedValue((head.appliedTransactions, head.rejectedTransactions))
    }

    /// The head entry at `position`.
    func head(at position: Int) -> HeadEntry {
        var head = lastBlock.value(at: position)
        (head.appliedTransactions, head.rejectedTransactions) = counts.value(at: position)
        return head
    }

    /// Records `change`, the one that makes position `p` (reading the tables at `p - 1`).
    mutating func record(_ change: StateChange, at p: Int) {
        let before = p - 1
        switch change {
        case let .nonceConsumed(n):
            nonces.record(n.signer, n, at: p)
        case let .subjectRecorded(s):
            subjects.record(s.id, s, at: p)
        case let .noticePublished(n):
            notices.record(n.id, n, at: p)
        case let .noticeSuperseded(notice, by):
            if var entry = notices.value(notice, at: before) {
                entry.supersededBy = by
                notices.record(notice, entry, at: p)
            }
        case let .proposalOpened(proposal):
            proposals.record(proposal.id, proposal, at: p)
            electorates.record(proposal.id, Set(proposal.electorate), at: p)
            if proposal.isOpen { openIDs.record(proposal.id, true, at: p) }
        case let .ballotCounted(b):
            var ballotsOfProposal = ballots.value(b.proposal, at: before) ?? [:]
            ballotsOfProposal[b.voter] = b
            ballots.record(b.proposal, ballotsOfProposal, at: p)
        case let .proposalClosed(t):
            tallies.record(t.proposal, t, at: p)
            if var proposal = proposals.value(t.proposal, at: before) {
                proposal.isOpen = false
                proposal.closedHeight = t.closedHeight
                proposals.record(t.proposal, proposal, at: p)
            }
            openIDs.record(t.proposal, nil, at: p)
        case let .serviceRequestRecorded(r):
            serviceRequests.record(r.id, r, at: p)
        case let .assignmentRecorded(a):
            var list = assignments.value(a.request, at: before) ?? []
            if a.seq <= list.count { list[a.seq - 1] = a } else { list.append(a) }
            assignments.record(a.request, list, at: p)
        case let .serviceEventRecorded(e):
            var list = serviceEvents.value(e.request, at: before) ?? []
            list.append(e)
            serviceEvents.record(e.request, list, at: p)
        case let .volunteerHoursRecorded(record, totals):
            volunteerRecords.record(record.id, record, at: p)
            volunteers.record(totals.volunteer, totals, at: p)
        case let .checkpointRecorded(c):
            let key = CheckpointKey(community: c.community, height: c.height, headerHash: c.headerHash)
            checkpoints.record(key, c, at: p)
            let anchor = AnchorKey(community: c.community, genesisHash: c.genesisHash, height: c.height)
            if anchors.value(anchor, at: before) == nil { anchors.record(anchor, key, at: p) }
        case let .tamperEvidenceRecorded(e):
            tamperEvidence.record(CheckpointKey(community: e.community, height: e.height, headerHash: e.conflictingHeaderHash), e, at: p)
        case let .federationAdopted(a):
            federationAdoptions.record(a.sequence, a, at: p)
            currentFederation.record(max(currentFederation.value(at: before) ?? a.sequence, a.sequence), at: p)
        case let .referralRecorded(r):
            referrals.record(r.id, r, at: p)
        case let .incomingReferralRecorded(r):
            incomingReferrals.record(r.id, r, at: p)
        case let .draftRecorded(d):
            drafts.record(d.id, d, at: p)
        case let .draftEndorsed(e):
            var ofDraft = endorsements.value(e.draft, at: before) ?? [:]
            ofDraft[e.endorser] = e
            endorsements.record(e.draft, ofDraft, at: p)
        case let .rewardOfferRecorded(o):
            rewardOffers.record(o.id, o, at: p)
        case let .pointsRedeemed(redemption, offer, totals):
            redemptions.record(redemption.id, redemption, at: p)
            rewardOffers.record(offer.id, offer, at: p)
            redeemed.record(totals.subject, totals, at: p)
        case let .transactionRecorded(t):
            var c = counts.value(at: before)
            if t.isApplied {
                appliedTransactions.record(t.id, AppliedTransaction(id: t.id, kind: t.kind, height: t.height, index: t.index), at: p)
                c.applied += 1
            } else {
                c.rejected += 1
            }
            counts.record(c, at: p)
        case let .blockRecorded(b):
            var h = lastBlock.value(at: before)
            h.height = b.height
            h.hash = b.hash
            h.time = b.time
            lastBlock.record(h, at: p)
        }
    }

    /// The tables as they stood at `position`, as a history of their own (at position 0).
    func rebased(at position: Int) -> GovernanceTables {
        var t = GovernanceTables(head: head(at: position))
        t.nonces = nonces.rebased(at: position)
        t.subjects = subjects.rebased(at: position)
        t.notices = notices.rebased(at: position)
        t.proposals = proposals.rebased(at: position)
        t.ballots = ballots.rebased(at: position)
        t.tallies = tallies.rebased(at: position)
        t.serviceRequests = serviceRequests.rebased(at: position)
        t.assignments = assignments.rebased(at: position)
        t.serviceEvents = serviceEvents.rebased(at: position)
        t.volunteerRecords = volunteerRecords.rebased(at: position)
        t.volunteers = volunteers.rebased(at: position)
        t.checkpoints = checkpoints.rebased(at: position)
        t.tamperEvidence = tamperEvidence.rebased(at: position)
        t.federationAdoptions = federationAdoptions.rebased(at: position)
        t.referrals = referrals.rebased(at: position)
        t.incomingReferrals = incomingReferrals.rebased(at: position)
        t.drafts = drafts.rebased(at: position)
        t.endorsements = endorsements.rebased(at: position)
        t.rewardOffers = rewardOffers.rebased(at: position)
        t.redemptions = redemptions.rebased(at: position)
        t.redeemed = redeemed.rebased(at: position)
        t.appliedTransactions = appliedTransactions.rebased(at: position)
        t.openIDs = openIDs.rebased(at: position)
        t.electorates = electorates.rebased(at: position)
        t.anchors = anchors.rebased(at: position)
        t.currentFederation = VersionedValue(currentFederation.value(at: position))
        return t
    }
}
