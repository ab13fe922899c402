public import CivitasLedger

/// One member of a sample community: who it is, where, and what it may do.
/// Keys are not part of it: each user of a sample gives the members keys of
/// its own (`civitas init`'s, `SampleKeys`', a simulation's).
public struct SampleMember: Sendable, Hashable {
    /// The handle a demo or a test signs as: "committee", "wang".
    public var name: String
    public var displayName: String
    public var unit: String
    public var roles: RoleSet

    public init(_ name: String, _ displayName: String, _ unit: String, _ roles: [Role]) {
        self.name = name
        self.displayName = displayName
        self.unit = unit
        self.roles = RoleSet(roles)
    }
}

/// A community to try Civitas with, defined once: its members, the subjects
/// its validators serve, its registrars and its genesis parameters. The pilot
/// of real processes (`civitas demo`), the offline demo and the node
/// simulation all start from `lianhuaEast`; a city of several communities
/// starts from copies under other names.
public struct SampleCommunity: Sendable {
    public var community: CommunityID
    /// In a fixed order, so that what is derived from them is deterministic.
    public var members: [SampleMember]
    /// The names of the members whose subjects the validators serve, in
    /// validator order; with more validators than these, they serve them again in turn.
    public var validatorSubjects: [String]
    /// The names of the members who may register subjects.
    public var registrars: [String]
    public var parameters: GenesisParameters

    public init(community: CommunityID, members: [SampleMember], validatorSubjects: [String], registrars: [String],
                parameters: GenesisParameters) {
        precondition(Set(members.map(\.name)).count == members.count, "two sample members share a name")
        precondition(!validatorSubjects.isEmpty, "a community needs a subject for its validators to serve")
        self.community = community
        self.members = members
        self.validatorSubjects = validatorSubjects
        self.registrars = registrars
        self.parameters = parameters
        for name in validatorSubjects + registrars { _ = member(name) }
    }

    /// The pilot community of the README: a residents' committee, a party
    /// branch, an owners' committee, a property manager, a street office, a
    /// social organisation, a lift company and four residents. Each of the
    /// five designated subjects may serve a validator (DESIGN.md: "Who uses it").
    public static let lianhuaEast = SampleCommunity(
        community: CommunityID("lianhua-east")!,
        members: [
            SampleMember("committee", "Residents' Committee", "Community Centre", [.residentsCommittee]),
            SampleMember("party", "Party Branch", "Community Centre", [.partyBranch]),
            SampleMember("owners", "Owners' Committee", "Bldg 1 Office", [.ownersCommittee]),
            SampleMember("manager", "Greenleaf Property Management", "Bldg 1 Lobby", [.propertyManager]),
            SampleMember("street", "Lianhua Street Office", "Street Office", [.streetOffice]),
            SampleMember("elders", "Silver Age Volunteers", "Activity Room", [.socialOrganization]),
            SampleMember("lifts", "Steady Lift Maintenance Co.", "Service Depot", [.serviceProvider]),
            SampleMember("wang", "Wang (resident)", "Bldg 3-201", [.resident]),
            SampleMember("li", "Li (resident)", "Bldg 5-602", [.resident]),
            SampleMember("zhao", "Zhao (resident)", "Bldg 2-104", [.resident]),
            SampleMember("chen", "Chen (resident)", "Bldg 4-303", [.resident]),
        ],
        validatorSubjects: ["committee", "party", "owners", "manager", "street"],
        registrars: ["committee"],
        // Blocks every 100 ms and a checkpoint every 20 blocks, so a short demo
        // shows both; a pilot of a few households: a resident's proposal needs
        // two co-signers; a stuck lift is answered within 4 hours.
        parameters: GenesisParameters(blockInterval: 100, checkpointInterval: 20, proposalEndorsements: 2, responseDeadlines: [
            ResponseDeadline(serviceCode: "elevator", seconds: 4 * 3600),
            ResponseDeadline(serviceCode: "streetlight", seconds: 48 * 3600),
        ]))

    /// The member called `name`; a name the sample does not define is a programming error.
    public func member(_ name: String) -> SampleMember {
        guard let found = members.first(where: { $0.name == name }) else {
            preconditionFailure("community \(community) has no member '\(name)'; it has \(members.map(\.name))")
        }
        return found
    }

    /// The member whose subject validator `index` (from 0) serves.
    public func validatorSubject(_ index: Int) -> SampleMember {
        member(validatorSubjects[index % validatorSubjects.count])
    }

    /// The genesis validators: validator `i` signs with `nodeKeys[i]` and
    /// serves `validatorSubject(i)`, whose key `key` gives.
    public func validators(nodeKeys: [PublicKey], key: (SampleMember) -> PublicKey) -> [ValidatorEntry] {
        nodeKeys.enumerated().map { i, nodeKey in
            let subject = validatorSubject(i)
            return ValidatorEntry(name: "\(subject.displayName) node \(i + 1)", subject: key(subject), nodeKey: nodeKey)
        }
    }

    /// Every member as a genesis subject, with the key `key` gives it.
    public func subjects(key: (SampleMember) -> PublicKey) -> [GenesisSubject] {
        members.map { GenesisSubject(key: key($0), displayName: $0.displayName, unit: $0.unit, roles: $0.roles) }
    }

    /// The community's genesis document. `extraSubjects` adds subjects
    /// beyond the members (a simulation's generated residents);
    /// `parameters` replaces the sample's (a simulation's block limits).
    public func genesis(time: Timestamp, nodeKeys: [PublicKey], extraSubjects: [GenesisSubject] = [],
                        parameters: GenesisParameters? = nil, key: (SampleMember) -> PublicKey) -> GenesisDocument {
        GenesisDocument(
            community: community, time: time, validators: validators(nodeKeys: nodeKeys, key: key),
            registrars: registrars.map { key(member($0)) }, subjects: subjects(key: key) + extraSubjects,
            parameters: parameters ?? self.parameters)
    }
}
