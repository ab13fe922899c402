public import CivitasCodec

/// What happened to one transaction of an applied block.
public enum TransactionOutcome: Hashable, Sendable {
    case applied
    /// Refused: the state is as if the transaction were absent (its nonce may still be consumed).
    case rejected(String)

    public var rejectionReason: String? {
        if case let .rejected(reason) = self { return reason }
        return nil
    }
}

/// The result of `GovernanceState.apply`.
public struct GovernanceBlockResult: Hashable, Sendable {
    public var height: UInt64
    /// One per transaction, in block order.
    public var outcomes: [TransactionOutcome]
    /// Proposals this block closed, in opening order (their tallies are recorded).
    public var closedProposals: [Hash]
}

/// The governance state machine in memory: applies whole blocks with the same
/// semantics as the state database (CivitasStorage `StateDatabase`), deciding
/// every transaction with `GovernanceRules.check`. Pure and deterministic: no
/// clock, no I/O; the same blocks give the same state (and `digest`) on every node.
///
/// Per transaction, in block order: another community's transaction is
/// rejected; the nonce must be the signer's latest + 1, else it is rejected
/// and the nonce is not consumed; otherwise the nonce is consumed and the
/// rules decide — a refused transaction changes nothing else. After the
/// transactions, proposals due to close (closing height ≤ block height, or
/// closing time ≤ block time) are tallied in opening order, and an own
/// checkpoint is recorded every `checkpointInterval` blocks.
public struct GovernanceState: GovernanceReader, Sendable {
    public typealias Failure = Never

    public struct Subject: Hashable, Sendable {
        public var key: PublicKey
        public var displayName: String
        public var unit: String
        public var roles: RoleSet
        public var isActive: Bool
        public var registeredHeight: UInt64
        public var updatedHeight: UInt64
    }

    public struct NoticeEntry: Hashable, Sendable {
        public var author: SubjectID
        public var category: Notice.Category
        public var height: UInt64
        public var supersedes: Hash?
        public var supersededBy: Hash?
        /// The first notice of its correction chain, and this one's place in it (1 = original).
        public var chainRoot: Hash
        public var version: Int
    }

    public struct ProposalEntry: Hashable, Sendable {
        /// Opening position: block height and index (proposals close in this order).
        public var height: UInt64
        public var index: Int
        public var proposer: SubjectID
        public var optionCount: Int
        public var eligibleRoles: RoleSet
        public var closing: ClosingRule
        public var quorumBasisPoints: UInt32
        public var passBasisPoints: UInt32
        public var endorsementCount: Int
        /// The electorate, fixed at opening, and its Merkle root (over ascending subject IDs).
        public var electorate: Set<SubjectID>
        public var electorateRoot: Hash
        /// Counted ballot per voter (a later one replaces the earlier).
        public var ballots: [SubjectID: UInt32]
        public var isOpen: Bool
        public var closedHeight: UInt64?
        public var closedTime: Timestamp?
        public var tally: Tally?
    }

    public struct Assignment: Hashable, Sendable {
        public var provider: SubjectID
        public var assignedTime: Int64
        public var isActive: Bool
        public var endedTime: Int64?
        public var firstResponseTime: Int64?
        public var resolvedTime: Int64?
        public var resolution: ServiceResolution?
        public var rating: UInt8?
    }

    public struct ServiceRequestEntry: Hashable, Sendable {
        public var requester: SubjectID
        public var serviceCode: String
        public var requestedTime: Int64
        public var deadline: Int64
        public var status: ServiceRequestStatus
        public var resolution: ServiceResolution?
        public var provider: SubjectID?
        public var assignments: [Assignment]
        public var firstResponseTime: Int64?
        public var resolvedTime: Int64?
        public var closedTime: Int64?
        public var rating: UInt8?
        public var reopenCount: Int
    }

    public struct CheckpointKey: Hashable, Sendable, Comparable {
        public var community: CommunityID
        public var height: UInt64
        public var headerHash: Hash
        public static func < (a: Self, b: Self) -> Bool {
            (a.community, a.height) < (b.community, b.height)
                || ((a.community, a.height) == (b.community, b.height) && a.headerHash < b.headerHash)
        }
    }

    public let genesis: GenesisDocument
    public private(set) var height: UInt64 = 0
    public private(set) var headHash: Hash
    public private(set) var time: Timestamp
    public private(set) var subjects: [SubjectID: Subject] = [:]
    public private(set) var nonces: [PublicKey: UInt64] = [:]
    public private(set) var notices: [Hash: NoticeEntry] = [:]
    public private(set) var proposals: [Hash: ProposalEntry] = [:]
    public private(set) var serviceRequests: [Hash: ServiceRequestEntry] = [:]
    public private(set) var volunteers: [SubjectID: VolunteerTotals] = [:]
    /// Own checkpoints (every `checkpointInterval` blocks) and received ones.
    public private(set) var checkpoints: Set<CheckpointKey> = []
    public private(set) var referralCount: UInt64 = 0
    /// Transactions applied and rejected so far.
    public private(set) var appliedCount: UInt64 = 0
    public private(set) var rejectedCount: UInt64 = 0

    /// Open proposals, in opening order.
    private var openProposals: [Hash] = []
    private let deadlines: [String: Int64]
    private let defaultDeadline: Int64

    /// The state at height 0: the genesis subjects registered (a later duplicate key wins).
    public init(genesis: GenesisDocument) {
        self.genesis = genesis
        headHash = genesis.hash
        time = genesis.time
        for s in genesis.subjects {
            subjects[s.key.subjectID] = Subject(key: s.key, displayName: s.displayName, unit: s.unit, roles: s.roles,
                                                isActive: true, registeredHeight: 0, updatedHeight: 0)
        }
        var d: [String: Int64] = [:]
        for entry in genesis.parameters.responseDeadlines { d[entry.serviceCode] = Self.milliseconds(entry.seconds) }
        deadlines = d
        defaultDeadline = Self.milliseconds(genesis.parameters.defaultResponseDeadline)
    }

    // MARK: - GovernanceReader

    public func subject(_ id: SubjectID) -> GovernanceSubject? {
        subjects[id].map { GovernanceSubject(roles: $0.roles, isActive: $0.isActive) }
    }

    public func notice(_ id: Hash) -> GovernanceNotice? {
        notices[id].map { GovernanceNotice(author: $0.author, category: $0.category, supersededBy: $0.supersededBy) }
    }

    public func proposal(_ id: Hash) -> GovernanceProposal? {
        proposals[id].map { GovernanceProposal(isOpen: $0.isOpen, closedHeight: $0.closedHeight, optionCount: $0.optionCount) }
    }

    public func isInElectorate(_ subject: SubjectID, proposal: Hash) -> Bool {
        proposals[proposal]?.electorate.contains(subject) ?? false
    }

    public func serviceRequest(_ id: Hash) -> GovernanceServiceRequest? {
        serviceRequests[id].map { GovernanceServiceRequest(status: $0.status, requester: $0.requester, provider: $0.provider) }
    }

    public func hasCheckpoint(community: CommunityID, height: UInt64, headerHash: Hash) -> Bool {
        checkpoints.contains(CheckpointKey(community: community, height: height, headerHash: headerHash))
    }

    public func latestNonce(of signer: PublicKey) -> UInt64 { nonces[signer] ?? 0 }

    public func currentHead() -> GovernanceHead { GovernanceHead(height: height, time: time) }

    /// `GovernanceRules.check` against this state, for a transaction in the next block (at `time`, default the head's).
    public func check(_ tx: Transaction, time: Timestamp? = nil) -> String? {
        GovernanceRules.check(tx, at: (height &+ 1, time ?? self.time), genesis: genesis, reader: self)
    }

    // MARK: - Applying

    /// Applies `block` if it is the next one (this community, height + 1,
    /// `previous` = the head's hash); nil, changing nothing, otherwise.
    /// Signatures and certificates are the caller's to check.
    public mutating func apply(_ block: Block) -> GovernanceBlockResult? {
        let header = block.header
        guard header.community == genesis.community, header.height == height &+ 1, header.previous == headHash else {
            return nil
        }
        let blockTime = Self.clamp(header.time)
        var outcomes: [TransactionOutcome] = []
        outcomes.reserveCapacity(block.transactions.count)
        for (i, tx) in block.transactions.enumerated() {
            let reason: String?
            if tx.community != genesis.community {
                reason = "belongs to community '\(tx.community)'"
            } else {
                let latest = nonces[tx.signer] ?? 0
                if tx.nonce != latest &+ 1 {
                    reason = "nonce \(tx.nonce) is out of order: the signer's next nonce is \(latest &+ 1)"
                } else {
                    nonces[tx.signer] = tx.nonce
                    reason = GovernanceRules.check(tx, at: (header.height, header.time), genesis: genesis, reader: self)
                    if reason == nil { applyPayload(tx, index: i, height: header.height, time: blockTime) }
                }
            }
            if let reason {
                outcomes.append(.rejected(reason))
                rejectedCount += 1
            } else {
                outcomes.append(.applied)
                appliedCount += 1
            }
        }
        height = header.height
        headHash = header.hash
        time = header.time
        let closed = closeDueProposals(height: header.height, time: blockTime)
        if header.height % max(genesis.parameters.checkpointInterval, 1) == 0 {
            checkpoints.insert(CheckpointKey(community: genesis.community, height: header.height, headerHash: headHash))
        }
        return GovernanceBlockResult(height: header.height, outcomes: outcomes, closedProposals: closed)
    }

    private mutating func applyPayload(_ tx: Transaction, index: Int, height: UInt64, time: Int64) {
        let id = tx.id
        let signer = tx.signer.subjectID
        switch tx.payload {
        case let .registration(r):
            let sid = r.subject.subjectID
            switch r.action {
            case .register:
                if var s = subjects[sid] {
                    // A revoked subject registered again keeps its first registration height.
                    s.displayName = r.displayName
                    s.unit = r.unit
                    s.roles = r.roles
                    s.isActive = true
                    s.updatedHeight = height
                    subjects[sid] = s
                } else {
                    subjects[sid] = Subject(key: r.subject, displayName: r.displayName, unit: r.unit, roles: r.roles,
                                            isActive: true, registeredHeight: height, updatedHeight: height)
                }
            case .update:
                subjects[sid]?.displayName = r.displayName
                subjects[sid]?.unit = r.unit
                subjects[sid]?.roles = r.roles
                subjects[sid]?.updatedHeight = height
            case .revoke:
                subjects[sid]?.roles = RoleSet()
                subjects[sid]?.isActive = false
                subjects[sid]?.updatedHeight = height
            }

        case let .notice(n):
            var root = id
            var version = 1
            if let earlier = n.supersedes, let e = notices[earlier] {
                root = e.chainRoot
                version = e.version + 1
                notices[earlier]?.supersededBy = id
            }
            notices[id] = NoticeEntry(author: signer, category: n.category, height: height, supersedes: n.supersedes,
                                      supersededBy: nil, chainRoot: root, version: version)

        case let .proposal(p):
            let t = p.terms
            let electorate = subjects.filter { $0.value.isActive && $0.value.roles.mask & t.eligibleRoles.mask != 0 }.keys.sorted()
            let root = Merkle.root(electorate.map { Merkle.leafHash($0.canonicalBytes()) })
            proposals[id] = ProposalEntry(
                height: height, index: index, proposer: signer, optionCount: t.options.count, eligibleRoles: t.eligibleRoles,
                closing: t.closing, quorumBasisPoints: t.quorumBasisPoints, passBasisPoints: t.passBasisPoints,
                endorsementCount: p.endorsements.count, electorate: Set(electorate), electorateRoot: root, ballots: [:],
                isOpen: true, closedHeight: nil, closedTime: nil, tally: nil)
            openProposals.append(id)

        case let .ballot(b):
            proposals[b.proposal]?.ballots[signer] = b.choice

        case let .serviceRequest(r):
            let deadline = Self.saturatingAdd(time, deadlines[r.serviceCode] ?? defaultDeadline)
            serviceRequests[id] = ServiceRequestEntry(
                requester: signer, serviceCode: r.serviceCode, requestedTime: time, deadline: deadline, status: .open,
                resolution: nil, provider: nil, assignments: [], firstResponseTime: nil, resolvedTime: nil, closedTime: nil,
                rating: nil, reopenCount: 0)

        case let .assignment(a):
            guard var r = serviceRequests[a.request] else { return }
            for i in r.assignments.indices where r.assignments[i].isActive {
                r.assignments[i].isActive = false
                r.assignments[i].endedTime = time
            }
            r.assignments.append(Assignment(provider: a.provider, assignedTime: time, isActive: true, endedTime: nil,
                                            firstResponseTime: nil, resolvedTime: nil, resolution: nil, rating: nil))
            r.status = .assigned
            r.provider = a.provider
            r.resolution = nil
            r.resolvedTime = nil
            serviceRequests[a.request] = r

        case let .serviceResponse(resp):
            guard var r = serviceRequests[resp.request], let last = r.assignments.indices.last else { return }
            let resolution = Self.resolution(resp.status)
            r.assignments[last].firstResponseTime = r.assignments[last].firstResponseTime ?? time
            r.assignments[last].resolvedTime = resolution == nil ? nil : time
            r.assignments[last].resolution = resolution
            r.firstResponseTime = r.firstResponseTime ?? time
            r.status = switch resp.status {
            case .acknowledged: .acknowledged
            case .inProgress: .inProgress
            default: .resolved
            }
            r.resolution = resolution
            r.resolvedTime = resolution == nil ? nil : time
            serviceRequests[resp.request] = r

        case let .closure(cl):
            guard var r = serviceRequests[cl.request], let last = r.assignments.indices.last else { return }
            switch cl.outcome {
            case .closed:
                r.status = .closed
                r.closedTime = time
                r.rating = cl.rating
                r.assignments[last].rating = cl.rating
            case .reopened:
                r.status = .reopened
                r.reopenCount += 1
                r.resolution = nil
                r.resolvedTime = nil
                r.assignments[last].resolvedTime = nil
                r.assignments[last].resolution = nil
            }
            serviceRequests[cl.request] = r

        case let .volunteerRecord(v):
            let minutes = UInt64(v.minutes)
            let points = minutes * UInt64(genesis.parameters.pointsPerHour) / 60
            var totals = volunteers[v.volunteer] ?? VolunteerTotals(volunteer: v.volunteer, records: 0, minutes: 0, points: 0)
            totals.records += 1
            totals.minutes += minutes
            totals.points += points
            volunteers[v.volunteer] = totals

        case let .checkpoint(cp):
            checkpoints.insert(CheckpointKey(community: cp.community, height: cp.height, headerHash: cp.headerHash))

        case .referral:
            referralCount += 1
        }
    }

    private mutating func closeDueProposals(height: UInt64, time: Int64) -> [Hash] {
        var closed: [Hash] = []
        var stillOpen: [Hash] = []
        for id in openProposals {
            guard var p = proposals[id] else { continue }
            let due = switch p.closing {
            case let .height(h): Self.clamp(h) <= Self.clamp(height)
            case let .time(t): Self.clamp(t) <= time
            }
            guard due else { stillOpen.append(id); continue }
            var votes = [UInt64](repeating: 0, count: p.optionCount)
            for choice in p.ballots.values where Int(choice) < p.optionCount { votes[Int(choice)] += 1 }
            p.tally = Tally(votes: votes, electorateSize: UInt64(p.electorate.count), quorumBasisPoints: p.quorumBasisPoints,
                            passBasisPoints: p.passBasisPoints)
            p.isOpen = false
            p.closedHeight = height
            p.closedTime = UInt64(max(time, 0))
            proposals[id] = p
            closed.append(id)
        }
        openProposals = stillOpen
        return closed
    }

    // MARK: - Figures

    /// Open proposals, in opening order.
    public var openProposalIDs: [Hash] { openProposals }

    /// A volunteer's totals (zeros if none recorded).
    public func volunteerTotals(_ volunteer: SubjectID) -> VolunteerTotals {
        volunteers[volunteer] ?? VolunteerTotals(volunteer: volunteer, records: 0, minutes: 0, points: 0)
    }

    /// Supervision figures of every provider that has had an assignment, by
    /// subject ID. Same definitions as the state database's
    /// `provider_supervision` view: durations clamped at 0, integer (floor)
    /// averages, and an assignment without a response breaches if its request's
    /// deadline passed before it ended (reassignment) or before the head's time.
    public func providerSupervision() -> [ProviderSupervision] {
        struct Sums {
            var assignments: UInt64 = 0, responded: UInt64 = 0, responseTotal: Int64 = 0
            var resolved: UInt64 = 0, fixed: UInt64 = 0, resolveTotal: Int64 = 0
            var breaches: UInt64 = 0, ratings: UInt64 = 0, ratingTotal: UInt64 = 0
        }
        // Times are non-negative (clamped from UInt64), so differences cannot
        // overflow; sums saturate (the SQL view would fail on such a chain).
        let now = Self.clamp(time)
        var sums: [SubjectID: Sums] = [:]
        for r in serviceRequests.values {
            for a in r.assignments {
                var s = sums[a.provider] ?? Sums()
                s.assignments += 1
                if let f = a.firstResponseTime {
                    s.responded += 1
                    s.responseTotal = Self.saturatingAdd(s.responseTotal, max(f - a.assignedTime, 0))
                }
                if let t = a.resolvedTime {
                    s.resolved += 1
                    s.resolveTotal = Self.saturatingAdd(s.resolveTotal, max(t - a.assignedTime, 0))
                }
                if a.resolution == .fixed { s.fixed += 1 }
                if (a.firstResponseTime ?? a.endedTime ?? now) > r.deadline { s.breaches += 1 }
                if let rating = a.rating {
                    s.ratings += 1
                    s.ratingTotal += UInt64(rating)
                }
                sums[a.provider] = s
            }
        }
        return sums.keys.sorted().map { provider in
            let s = sums[provider]!
            return ProviderSupervision(
                provider: provider, assignments: s.assignments, responded: s.responded,
                averageResponseMillis: s.responded == 0 ? nil : UInt64(s.responseTotal) / s.responded,
                resolved: s.resolved, fixed: s.fixed,
                averageResolveMillis: s.resolved == 0 ? nil : UInt64(s.resolveTotal) / s.resolved,
                resolutionRateBasisPoints: s.resolved * 10_000 / s.assignments, breaches: s.breaches,
                ratings: s.ratings, averageRatingHundredths: s.ratings == 0 ? nil : s.ratingTotal * 100 / s.ratings)
        }
    }

    // MARK: - Digest

    /// SHA-256 over a canonical encoding of the whole state, every collection
    /// in key order: equal for two nodes that applied the same blocks.
    public var digest: Hash { Hashing.sha256(DigestEncoding(state: self).canonicalBytes()) }

    /// The digested bytes (never decoded: the type exists for `canonicalBytes`).
    private struct DigestEncoding: CanonicalCodable {
        let state: GovernanceState
        func encode(to w: inout ByteWriter) { state.writeDigestFields(to: &w) }
        init(state: GovernanceState) { self.state = state }
        init(from r: inout ByteReader) throws(CodecError) {
            throw CodecError(.invalidValue(field: "governance state", reason: "a digest encoding is never decoded"), at: r.offset)
        }
        static var minEncodedSize: Int { 1 }
    }

    private func writeDigestFields(to w: inout ByteWriter) {
        w.writeVarint(height)
        w.write(headHash)
        w.writeVarint(time)
        w.writeVarint(appliedCount)
        w.writeVarint(rejectedCount)
        w.writeVarint(UInt64(subjects.count))
        for id in subjects.keys.sorted() {
            let s = subjects[id]!
            w.write(id); w.write(s.key); w.writeString(s.displayName); w.writeString(s.unit); w.write(s.roles)
            w.writeByte(s.isActive ? 1 : 0); w.writeVarint(s.registeredHeight); w.writeVarint(s.updatedHeight)
        }
        w.writeVarint(UInt64(nonces.count))
        for key in nonces.keys.sorted() { w.write(key); w.writeVarint(nonces[key]!) }
        w.writeVarint(UInt64(notices.count))
        for id in notices.keys.sorted() {
            let n = notices[id]!
            w.write(id); w.write(n.author); w.writeByte(n.category.rawValue); w.writeVarint(n.height)
            w.writeOptional(n.supersedes); w.writeOptional(n.supersededBy); w.write(n.chainRoot); w.writeVarint(UInt64(n.version))
        }
        w.writeVarint(UInt64(proposals.count))
        for id in proposals.keys.sorted() {
            let p = proposals[id]!
            w.write(id); w.writeVarint(p.height); w.writeVarint(UInt64(p.index)); w.write(p.electorateRoot)
            w.writeVarint(UInt64(p.electorate.count)); w.write(p.closing); w.writeByte(p.isOpen ? 1 : 0)
            w.writeVarint(p.closedHeight ?? 0)
            w.writeVarint(UInt64(p.ballots.count))
            for voter in p.ballots.keys.sorted() { w.write(voter); w.writeVarint(p.ballots[voter]!) }
            if let tally = p.tally {
                w.writeVarint(UInt64(tally.votes.count))
                for v in tally.votes { w.writeVarint(v) }
                w.writeString(tally.outcome.rawValue)
            } else {
                w.writeVarint(0)
            }
        }
        w.writeVarint(UInt64(serviceRequests.count))
        for id in serviceRequests.keys.sorted() {
            let r = serviceRequests[id]!
            w.write(id); w.write(r.requester); w.writeString(r.status.rawValue); w.writeString(r.resolution?.rawValue ?? "")
            w.writeVarint(UInt64(bitPattern: r.deadline)); w.writeVarint(UInt64(r.reopenCount)); w.writeVarint(UInt64(r.rating ?? 0))
            w.writeVarint(UInt64(r.assignments.count))
            for a in r.assignments {
                w.write(a.provider); w.writeVarint(UInt64(bitPattern: a.assignedTime)); w.writeByte(a.isActive ? 1 : 0)
                for t in [a.endedTime, a.firstResponseTime, a.resolvedTime] { w.writeVarint(t.map { UInt64(bitPattern: $0) &+ 1 } ?? 0) }
                w.writeString(a.resolution?.rawValue ?? ""); w.writeVarint(UInt64(a.rating ?? 0))
            }
        }
        w.writeVarint(UInt64(volunteers.count))
        for id in volunteers.keys.sorted() {
            let v = volunteers[id]!
            w.write(id); w.writeVarint(v.records); w.writeVarint(v.minutes); w.writeVarint(v.points)
        }
        w.writeVarint(UInt64(checkpoints.count))
        for k in checkpoints.sorted() { w.write(k.community); w.writeVarint(k.height); w.write(k.headerHash) }
        w.writeVarint(referralCount)
    }

    // MARK: - Helpers (the state database's integer conventions)

    static func resolution(_ status: ServiceResponse.Status) -> ServiceResolution? {
        switch status {
        case .acknowledged, .inProgress: return nil
        case .resolvedFixed: return .fixed
        case .resolvedNotResponsible: return .notResponsible
        case .resolvedDuplicate: return .duplicate
        case .resolvedReferred: return .referred
        }
    }

    /// Times are kept as SQLite keeps them: signed 64-bit, clamped.
    static func clamp(_ v: UInt64) -> Int64 { Int64(clamping: v) }

    static func milliseconds(_ seconds: UInt64) -> Int64 {
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? .max : Int64(clamping: ms)
    }

    static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }
}
