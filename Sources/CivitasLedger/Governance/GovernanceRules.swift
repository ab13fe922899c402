public import CivitasCodec

/// A subject as the rules see it.
public struct GovernanceSubject: Hashable, Sendable {
    public var roles: RoleSet
    public var isActive: Bool
    public init(roles: RoleSet, isActive: Bool) {
        self.roles = roles
        self.isActive = isActive
    }
}

/// A notice as the rules see it.
public struct GovernanceNotice: Hashable, Sendable {
    public var author: SubjectID
    public var category: Notice.Category
    /// The notice that corrected this one, if any.
    public var supersededBy: Hash?
    public init(author: SubjectID, category: Notice.Category, supersededBy: Hash?) {
        self.author = author
        self.category = category
        self.supersededBy = supersededBy
    }
}

/// A proposal as the rules see it.
public struct GovernanceProposal: Hashable, Sendable {
    public var isOpen: Bool
    /// The height of the block that closed it (nil while open).
    public var closedHeight: UInt64?
    public var optionCount: Int
    public init(isOpen: Bool, closedHeight: UInt64?, optionCount: Int) {
        self.isOpen = isOpen
        self.closedHeight = closedHeight
        self.optionCount = optionCount
    }
}

/// A service request as the rules see it.
public struct GovernanceServiceRequest: Hashable, Sendable {
    public var status: ServiceRequestStatus
    public var requester: SubjectID
    /// The provider of the current assignment (nil before the first).
    public var provider: SubjectID?
    public init(status: ServiceRequestStatus, requester: SubjectID, provider: SubjectID?) {
        self.status = status
        self.requester = requester
        self.provider = provider
    }
}

/// The last applied block, as far as the rules and the mempool need it.
public struct GovernanceHead: Hashable, Sendable {
    public var height: UInt64
    public var time: Timestamp
    public init(height: UInt64, time: Timestamp) {
        self.height = height
        self.time = time
    }
}

/// The lookups `GovernanceRules.check` needs from a committed state. Two
/// implementations exist: the in-memory `GovernanceState` (`Failure == Never`)
/// and the state database's SQL reader (CivitasStorage). Both must answer
/// identically for the same applied blocks — the differential tests check it.
public protocol GovernanceReader {
    associatedtype Failure: Error
    /// The subject with ID `id`, active or revoked; nil if never registered.
    func subject(_ id: SubjectID) throws(Failure) -> GovernanceSubject?
    /// The applied notice with transaction ID `id`.
    func notice(_ id: Hash) throws(Failure) -> GovernanceNotice?
    /// The applied proposal with transaction ID `id`.
    func proposal(_ id: Hash) throws(Failure) -> GovernanceProposal?
    /// True if `subject` is in the electorate fixed when `proposal` was opened.
    func isInElectorate(_ subject: SubjectID, proposal: Hash) throws(Failure) -> Bool
    /// The applied service request with transaction ID `id`.
    func serviceRequest(_ id: Hash) throws(Failure) -> GovernanceServiceRequest?
    /// True if a checkpoint with this community, height and header hash is recorded.
    func hasCheckpoint(community: CommunityID, height: UInt64, headerHash: Hash) throws(Failure) -> Bool
    /// The signer's last consumed nonce (0 if none).
    func latestNonce(of signer: PublicKey) throws(Failure) -> UInt64
    /// The last applied block's height and time (genesis: 0 and the genesis time).
    func currentHead() throws(Failure) -> GovernanceHead
}

/// The governance rules, written once: who may submit each kind of
/// transaction and which state it needs (docs/governance.md). The mempool
/// refuses with the reason, and a block applies a transaction only if
/// `check` returns nil; the in-memory `GovernanceState` and the state database
/// both call this one function.
///
/// Not checked here: the community and the nonce (the mempool and the
/// appliers do it before), and the signature (checked before a transaction
/// is admitted or a block is accepted).
public enum GovernanceRules {
    /// Roles that may open a proposal without endorsements.
    public static let proposingRoles: [Role] = [.residentsCommittee, .ownersCommittee, .partyBranch, .streetOffice]
    /// Roles that may assign a service request.
    public static let assigningRoles: [Role] = [.propertyManager, .residentsCommittee, .streetOffice]
    /// Roles a subject needs to be assigned a service request.
    public static let providerRoles: [Role] = [.serviceProvider, .propertyManager]
    /// Roles that may record a neighbour's checkpoint (besides genesis validator subjects).
    public static let checkpointRoles: [Role] = [.residentsCommittee, .streetOffice]
    /// Roles that may refer a request or resource to another community.
    public static let referralRoles: [Role] = [.residentsCommittee, .streetOffice, .socialOrganization]
    /// Roles that may register, update and revoke subjects (besides genesis registrars).
    public static let registeringRoles: [Role] = [.residentsCommittee]
    /// Roles that may attest volunteer hours.
    public static let volunteerRoles: [Role] = [.socialOrganization]

    /// Roles that may issue a notice of `category`.
    public static func issuers(of category: Notice.Category) -> [Role] {
        switch category {
        case .partyAffairs: return [.partyBranch]
        case .housingAffairs: return [.ownersCommittee, .propertyManager]
        case .finance: return [.residentsCommittee, .ownersCommittee]
        case .services: return [.residentsCommittee, .propertyManager, .serviceProvider, .streetOffice]
        case .general: return Role.allCases.filter { $0 != .resident }
        }
    }

    /// Nil if `tx` may be applied in a block at `at` on top of the state
    /// `reader` describes; otherwise the reason it is refused (one line).
    public static func check<R: GovernanceReader>(_ tx: Transaction, at: (height: UInt64, time: Timestamp),
                                                  genesis: GenesisDocument, reader: R) throws(R.Failure) -> String? {
        let signerID = tx.signer.subjectID
        guard let signer = try reader.subject(signerID) else {
            return "signer \(signerID) is not a registered subject"
        }
        guard signer.isActive else { return "signer \(signerID) is revoked" }
        let roles = signer.roles
        func refusal(_ what: String, _ allowed: [Role]) -> String? {
            if allowed.contains(where: roles.contains) { return nil }
            return "\(what) may be issued only by \(names(allowed)); signer \(signerID) holds \(roles)"
        }

        switch tx.payload {
        case let .registration(r):
            if !genesis.registrars.contains(tx.signer), let refused = refusal("a registration", registeringRoles) {
                return refused + " and is not a genesis registrar"
            }
            let sid = r.subject.subjectID
            let existing = try reader.subject(sid)
            switch r.action {
            case .register:
                if existing?.isActive == true { return "subject \(sid) is already registered" }
                if r.roles.isEmpty { return "a registration must grant at least one role" }
            case .update:
                guard let existing else { return "update of unknown subject \(sid)" }
                guard existing.isActive else { return "update of revoked subject \(sid)" }
                if r.roles.isEmpty { return "an update must leave at least one role (revoke the subject instead)" }
            case .revoke:
                guard let existing else { return "revocation of unknown subject \(sid)" }
                guard existing.isActive else { return "subject \(sid) is already revoked" }
            }
            return nil

        case let .notice(n):
            if let refused = refusal("notice category \(n.category)", issuers(of: n.category)) { return refused }
            guard let earlier = n.supersedes else { return nil }
            guard let e = try reader.notice(earlier) else { return "supersedes unknown notice \(earlier.hex)" }
            if e.author != signerID {
                return "notice \(earlier.hex) was issued by \(e.author); only its author may supersede it, not \(signerID)"
            }
            if e.category != n.category {
                return "notice \(earlier.hex) is in category \(e.category); a correction keeps the category, not \(n.category)"
            }
            if let by = e.supersededBy { return "notice \(earlier.hex) is already superseded by \(by.hex)" }
            return nil

        case let .proposal(p):
            let t = p.terms
            switch t.closing {
            case let .height(h) where h <= at.height:
                return "the proposal closes at height \(h), which is not after this block (height \(at.height))"
            case let .time(ms) where ms <= at.time:
                return "the proposal closes at time \(ms), which is not after this block's time \(at.time)"
            default: break
            }
            // Every co-signature carried must be genuine, whoever proposes:
            // the chain records the endorsers.
            var endorsers = Set<SubjectID>()
            for e in p.endorsements {
                guard e.isValid(for: t) else {
                    return "the endorsement by \(e.signer.subjectID) does not verify over the proposal's terms"
                }
                let id = e.signer.subjectID
                if id == signerID { continue }
                if let s = try reader.subject(id), s.isActive, s.roles.contains(.resident) { endorsers.insert(id) }
            }
            if proposingRoles.contains(where: roles.contains) { return nil }
            let needed = Int(genesis.parameters.proposalEndorsements)
            guard roles.contains(.resident) else {
                return "a proposal may be opened only by \(names(proposingRoles)), or by a resident with \(needed) endorsements; signer \(signerID) holds \(roles)"
            }
            if endorsers.count < needed {
                return "a resident's proposal needs \(needed) endorsements by other active residents; it has \(endorsers.count)"
            }
            return nil

        case let .ballot(b):
            guard let p = try reader.proposal(b.proposal) else { return "ballot for unknown proposal \(b.proposal.hex)" }
            guard p.isOpen else { return "proposal \(b.proposal.hex) closed at height \(p.closedHeight ?? 0)" }
            guard Int(b.choice) < p.optionCount else {
                return "choice \(b.choice) is not an option (the proposal has \(p.optionCount))"
            }
            guard try reader.isInElectorate(signerID, proposal: b.proposal) else {
                return "signer \(signerID) is not in the electorate of proposal \(b.proposal.hex)"
            }
            return nil

        case .serviceRequest:
            return nil

        case let .assignment(a):
            if let refused = refusal("an assignment", assigningRoles) { return refused }
            guard let r = try reader.serviceRequest(a.request) else { return "unknown service request \(a.request.hex)" }
            if r.status == .closed { return "service request \(a.request.hex) is closed" }
            guard let provider = try reader.subject(a.provider) else { return "assignment to unknown provider \(a.provider)" }
            guard provider.isActive else { return "assignment to revoked provider \(a.provider)" }
            guard providerRoles.contains(where: provider.roles.contains) else {
                return "assignment to \(a.provider), which holds \(provider.roles): a provider holds \(names(providerRoles))"
            }
            return nil

        case let .serviceResponse(resp):
            guard let r = try reader.serviceRequest(resp.request) else { return "unknown service request \(resp.request.hex)" }
            if r.status == .closed { return "service request \(resp.request.hex) is closed" }
            if r.status == .resolved {
                return "service request \(resp.request.hex) is already resolved; only the requester's reopening lets it continue"
            }
            guard let provider = r.provider else { return "service request \(resp.request.hex) is not assigned to a provider" }
            guard provider == signerID else {
                return "only the assigned provider \(provider) may respond to service request \(resp.request.hex), not \(signerID)"
            }
            return nil

        case let .closure(cl):
            guard let r = try reader.serviceRequest(cl.request) else { return "unknown service request \(cl.request.hex)" }
            if r.status == .closed { return "service request \(cl.request.hex) is closed" }
            guard r.requester == signerID else {
                return "only the requester \(r.requester) may close or reopen service request \(cl.request.hex), not \(signerID)"
            }
            guard r.status == .resolved else { return "service request \(cl.request.hex) is \(r.status.rawValue), not resolved" }
            if cl.outcome == .closed && cl.rating == nil { return "closing service request \(cl.request.hex) needs a rating of 1 to 5" }
            return nil

        case let .volunteerRecord(v):
            if let refused = refusal("a volunteer record", volunteerRoles) { return refused }
            guard let volunteer = try reader.subject(v.volunteer) else { return "volunteer record for unknown subject \(v.volunteer)" }
            guard volunteer.isActive else { return "volunteer record for revoked subject \(v.volunteer)" }
            return nil

        case let .checkpoint(cp):
            if !genesis.validators.contains(where: { $0.subject == tx.signer }),
               let refused = refusal("a checkpoint", checkpointRoles) {
                return refused + " and is not a genesis validator subject"
            }
            if cp.community == genesis.community {
                return "a checkpoint records another community's head, not this community's ('\(cp.community)')"
            }
            if try reader.hasCheckpoint(community: cp.community, height: cp.height, headerHash: cp.headerHash) {
                return "checkpoint of '\(cp.community)' at height \(cp.height) (\(cp.headerHash.hex)) is already recorded"
            }
            return nil

        case let .referral(r):
            if let refused = refusal("a referral", referralRoles) { return refused }
            if r.toCommunity == genesis.community { return "a referral goes to another community, not to '\(r.toCommunity)'" }
            return nil
        }
    }

    /// "a", "a or b", "a, b or c".
    static func names(_ roles: [Role]) -> String {
        let n = roles.map(\.description)
        guard n.count > 1 else { return n.first ?? "nobody" }
        return n.dropLast().joined(separator: ", ") + " or " + n.last!
    }
}
