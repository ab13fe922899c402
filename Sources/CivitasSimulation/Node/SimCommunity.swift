import CivitasLedger

/// The simulated community's genesis: the validators (each serving a
/// committee subject), the residents' committee as registrar, and the residents.
enum SimCommunity {
    static func genesis(validatorKeys: [SigningKey], committee: SigningKey, residents: [PublicKey],
                        blockInterval: UInt64) -> GenesisDocument {
        let names = ["Residents' Committee", "Party Branch", "Owners' Committee", "Property Manager", "Street Office"]
        let validators = validatorKeys.enumerated().map { i, key in
            ValidatorEntry(name: "\(names[i % names.count]) node \(i + 1)", subject: committee.publicKey, nodeKey: key.publicKey)
        }
        var subjects = [GenesisSubject(key: committee.publicKey, displayName: "Residents' Committee", unit: "office",
                                       roles: RoleSet([.residentsCommittee]))]
        for (i, key) in residents.enumerated() {
            subjects.append(GenesisSubject(key: key, displayName: "Resident \(i + 1)", unit: "\(i / 4 + 1)-\(i % 4 + 1)",
                                           roles: RoleSet([.resident])))
        }
        let parameters = GenesisParameters(maxBlockTransactions: 500, maxBlockBytes: 256 << 10, blockInterval: blockInterval)
        return GenesisDocument(community: CommunityID("sim-community")!, time: 1_780_000_000_000, validators: validators,
                               registrars: [committee.publicKey], subjects: subjects, parameters: parameters)
    }
}
