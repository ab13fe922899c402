import CivitasLedger
import CivitasSample

/// The simulated community's genesis: the sample community
/// (`SampleCommunity.lianhuaEast`, the one `civitas demo` runs) with the
/// simulation's validators, its many generated residents (they sign the
/// workload), its block limits, and response deadlines short enough to fall
/// inside a run (10 s for a lift, 30 s for a street light).
enum SimCommunity {
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

    /// A planner's community (`plan`) takes its own name, its validators'
    /// subjects, its checkpoint interval and the sample's real response deadlines.
    static func genesis(community c: Int = 0, validatorKeys: [SigningKey], committee: SigningKey, residents: [PublicKey],
                        blockInterval: UInt64, plan: CityPlan? = nil) -> GenesisDocument {
        var sample = SampleCommunity.lianhuaEast
        sample.community = plan.flatMap { CommunityID($0.communities[c].name) } ?? name(c)
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
