public import CivitasCodec
public import CivitasLedger

/// The whole governance state as lists, one per table, each in its key
/// order: what the in-memory `GovernanceState` and the state database both
/// produce, so two states can be compared directly — by `digest`, or table by
/// table with `differences(from:)`.
///
/// The digest, defined once here: SHA-256 over the canonical bytes of, in
/// this order, the head entry and then each table as its name (string),
/// its entry count (varint) and its entries' `encode(to:)` bytes in key order.
/// Equal for two stores that applied the same blocks.
public struct GovernanceSnapshot: Hashable, Sendable {
    public var head: HeadEntry
    public var nonces: [NonceEntry]
    public var subjects: [SubjectEntry]
    public var notices: [NoticeEntry]
    public var proposals: [ProposalEntry]
    public var ballots: [BallotEntry]
    public var tallies: [TallyEntry]
    public var serviceRequests: [ServiceRequestEntry]
    public var assignments: [AssignmentEntry]
    public var serviceEvents: [ServiceEventEntry]
    public var volunteerRecords: [VolunteerEntry]
    public var volunteerTotals: [VolunteerTotals]
    public var checkpoints: [CheckpointEntry]
    public var tamperEvidence: [TamperEvidenceEntry]
    public var referrals: [ReferralEntry]
    public var incomingReferrals: [IncomingReferralEntry]
    public var drafts: [DraftEntry]
    public var endorsements: [EndorsementEntry]
    public var rewardOffers: [RewardOfferEntry]
    public var redemptions: [RedemptionEntry]
    public var redeemedTotals: [RedeemedTotals]
    public var federationAdoptions: [FederationAdoptionEntry]
    public var appliedTransactions: [AppliedTransaction]

    /// A snapshot of these entries; each list is put in key order (a store may list in any order).
    public init(head: HeadEntry, nonces: [NonceEntry], subjects: [SubjectEntry], notices: [NoticeEntry],
                proposals: [ProposalEntry], ballots: [BallotEntry], tallies: [TallyEntry],
                serviceRequests: [ServiceRequestEntry], assignments: [AssignmentEntry],
                serviceEvents: [ServiceEventEntry], volunteerRecords: [VolunteerEntry],
                volunteerTotals: [VolunteerTotals], checkpoints: [CheckpointEntry], tamperEvidence: [TamperEvidenceEntry],
                referrals: [ReferralEntry], incomingReferrals: [IncomingReferralEntry], drafts: [DraftEntry], endorsements: [EndorsementEntry], rewardOffers: [RewardOfferEntry],
                redemptions: [RedemptionEntry], redeemedTotals: [RedeemedTotals], federationAdoptions: [FederationAdoptionEntry],
                appliedTransactions: [AppliedTransaction]) {
        func ordered<E: StateEntry>(_ entries: [E]) -> [E] { entries.sorted(by: E.precedes) }
        self.head = head
        self.nonces = ordered(nonces)
        self.subjects = ordered(subjects)
        self.notices = ordered(notices)
        self.proposals = ordered(proposals)
        self.ballots = ordered(ballots)
        self.tallies = ordered(tallies)
        self.serviceRequests = ordered(serviceRequests)
        self.assignments = ordered(assignments)
        self.serviceEvents = ordered(serviceEvents)
        self.volunteerRecords = ordered(volunteerRecords)
        self.volunteerTotals = ordered(volunteerTotals)
        self.checkpoints = ordered(checkpoints)
        self.tamperEvidence = ordered(tamperEvidence)
        self.referrals = ordered(referrals)
        self.incomingReferrals = ordered(incomingReferrals)
        self.drafts = ordered(drafts)
        self.endorsements = ordered(endorsements)
        self.rewardOffers = ordered(rewardOffers)
        self.redemptions = ordered(redemptions)
        self.redeemedTotals = ordered(redeemedTotals)
        self.federationAdoptions = ordered(federationAdoptions)
        self.appliedTransactions = ordered(appliedTransactions)
    }

    /// Every table, by name, with its entries' bytes: the one list both the
    /// digest and `differences(from:)` walk.
    private var tables: [(name: String, write: (inout ByteWriter) -> Void)] {
        func table<E: StateEntry>(_ name: String, _ entries: [E]) -> (name: String, write: (inout ByteWriter) -> Void) {
            (name, { w in
                w.writeString(name)
                w.writeCount(entries.count)
                for e in entries { e.encode(to: &w) }
            })
        }
        return [
            table("head", [head]), table("nonces", nonces), table("subjects", subjects), table("notices", notices),
            table("proposals", proposals), table("ballots", ballots), table("tallies", tallies),
            table("serviceRequests", serviceRequests), table("assignments", assignments),
            table("serviceEvents", serviceEvents), table("volunteerRecords", volunteerRecords),
            table("volunteerTotals", volunteerTotals), table("checkpoints", checkpoints),
            table("tamperEvidence", tamperEvidence), table("referrals", referrals),
            table("incomingReferrals", incomingReferrals),
            table("drafts", drafts), table("endorsements", endorsements), table("rewardOffers", rewardOffers),
            table("redemptions", redemptions), table("redeemedTotals", redeemedTotals),
            table("federationAdoptions", federationAdoptions),
            table("appliedTransactions", appliedTransactions),
        ]
    }

    /// SHA-256 of the snapshot's canonical bytes (see the type's comment).
    public var digest: Hash {
        let all = tables
        return Hashing.sha256(DigestBytes(write: { w in for t in all { t.write(&w) } }).canonicalBytes())
    }

    /// The names of the tables whose bytes differ from `other`'s.
    public func differences(from other: GovernanceSnapshot) -> [String] {
        zip(tables, other.tables).compactMap { mine, theirs in
            DigestBytes(write: mine.write).canonicalBytes() == DigestBytes(write: theirs.write).canonicalBytes() ? nil : mine.name
        }
    }

    /// Bytes written by `write`, through the codec's exact-size two passes
    /// (never decoded: the type exists for `canonicalBytes`).
    private struct DigestBytes: CanonicalCodable {
        let write: (inout ByteWriter) -> Void
        init(write: @escaping (inout ByteWriter) -> Void) { self.write = write }
        func encode(to w: inout ByteWriter) { write(&w) }
        init(from r: inout ByteReader) throws(CodecError) {
            throw CodecError(.invalidValue(field: "governance snapshot", reason: "digest bytes are never decoded"), at: r.offset)
        }
        static var minEncodedSize: Int { 1 }
    }
}
