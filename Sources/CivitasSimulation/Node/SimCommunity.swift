import CivitasCodec
import CivitasLedger
import CivitasSample

/// The simulated community's genesis: the sample community
/// (`SampleCommunity.lianhuaEast`, the one `civitas demo` runs) with the
/// simulation's validators, its many generated residents (they sign the
/// workload), its block limits, and response deadlines short enough to fall
/// inside a run (10 s for a lift, 30 s for a street light).
enum SimCommunity {
    /// One community of a run as its seed draws it: its genesis, its nodes'
    /// keys (validators first, then observers, then the gateway), the clients
    /// that sign its people's records, and the key its gateway anchors
    /// neighbours' checkpoints with. The simulator and the live runner build
    /// their communities here, so both run the same people on the same chain.
    struct Members {
        let genesis: GenesisDocument
        let nodeKeys: [SigningKey]
        let client: ClientLedger
        let anchoringKey: SigningKey
    }

    /// Key `label` of community `c` in a run of `seed` (community 0's labels are the one-community run's).
    static func key(seed: UInt64, label: UInt64, community c: Int) -> SigningKey {
        var bytes = [UInt8](repeating: 0, count: 32)
        var x = SimRandom(seed: seed &* 31 &+ label &+ UInt64(c) &* 100_000)
        for i in 0..<32 { bytes[i] = UInt8(truncatingIfNeeded: x.next()) }
        return SigningKey(seed: Bytes32(bytes)!)
    }

    /// Community `c` of shape `shape` in a run of `seed` (`plan`: a planner's city).
    static func members(seed: UInt64, community c: Int, shape: NodeSimulationOptions.CommunityShape, blockInterval: UInt64,
                        plan: CityPlan?) -> Members {
        let keys = (0..<shape.nodes).map { key(seed: seed, label: 1_000 + UInt64($0), community: c) }
        let signers = (0..<shape.residents).map { key(seed: seed, label: 2_000 + UInt64($0), community: c) }
        let committee = key(seed: seed, label: 3_000, community: c)
        let genesis = genesis(community: c, validatorKeys: Array(keys.prefix(shape.validators)), committee: committee,
                              residents: signers.map(\.publicKey), blockInterval: blockInterval, plan: plan)
        let client = ClientLedger(residents: signers, committee: committee, provider: providerKey(committee: committee),
                                  elders: eldersKey(committee: committee), community: genesis.community)
        return Members(genesis: genesis, nodeKeys: keys, client: client, anchoringKey: streetOfficeKey(committee: committee))
    }

    /// The key of the sample's lift company ("lifts"), who answers the committee's assignments.
    static func providerKey(committee: SigningKey) -> SigningKey {
        SampleKeys(seed: committee.publicKey.raw.bytes).member("lifts")
    }

    /// The sample's social organisation ("elders"), who answers neighbours' referrals.
    static func eldersKey(committee: SigningKey) -> SigningKey {
        SampleKeys(seed: committee.publicKey.raw.bytes).member("elders")
    }

    /// The street office's key: a gateway records neighbours' checkpoints and referral records with it.
    static func streetOfficeKey(committee: SigningKey) -> SigningKey {
        SampleKeys(seed: committee.publicKey.raw.bytes).member("street")
    }

    /// The city's communities by index: the sample's own name first.
    static func name(_ c: Int) -> CommunityID {
        let names = ["lianhua-east", "hehua-north", "pine-row", "baihe-south", "maple-court"]
        return CommunityID(c < names.count ? names[c] : "community-\(c + 1)")!
    }

    /// Community `c`'s ID: its name in a planner's city, else the city's names by index.
    static func id(community c: Int, plan: CityPlan?) -> CommunityID {
        plan.flatMap { CommunityID($0.communities[c].name) } ?? name(c)
    }

    /// A planner's community (`plan`) takes its own name, its validators'
    /// subjects, its checkpoint interval and the sample's real response deadlines.
    static func genesis(community c: Int = 0, validatorKeys: [SigningKey], committee: SigningKey, residents: [PublicKey],
                        blockInterval: UInt64, plan: CityPlan? = nil) -> GenesisDocument {
        var sample = SampleCommunity.lianhuaEast
        sample.community = id(community: c, plan: plan)
        if let plan { sample.validatorSubjects = plan.communities[c].validators }
        // The residents' committee signs with the simulation's key; the other
        // members sign nothing here, so keys derived from it are enough.
        let others = SampleKeys(seed: committee.publicKey.raw.bytes)
        var parameters = sample.parameters
        parameters.maxBlockTransactions = 500
        parameters.maxBlockBytes = 256 << 10
        parameters.blockInterval = blockInterval
        if let plan {
            parameters.checkpointInterval = plan.protocolSettings.checkpointInterval
        } else {
            parameters.responseDeadlines = [ResponseDeadline(serviceCode: "elevator", seconds: 10),
                                            ResponseDeadline(serviceCode: "streetlight", seconds: 30)]
        }
        let generated = residents.enumerated().map { i, key in
            GenesisSubject(key: key, displayName: "Resident \(i + 1)", unit: "\(i / 4 + 1)-\(i % 4 + 1)", roles: RoleSet([.resident]))
        }
        return sample.genesis(time: 1_780_000_000_000, nodeKeys: validatorKeys.map(\.publicKey), extraSubjects: generated,
                              parameters: parameters) { member in
            member.name == "committee" ? committee.publicKey : others.member(member.name).publicKey
        }
    }
}
