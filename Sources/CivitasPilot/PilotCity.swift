import CivitasLedger
public import CivitasSample
import Foundation
import TOMLKit

/// A city of pilot communities on one machine, federated as operators would
/// do it (docs/federation.md, "An operator's steps"): one federation document
/// built with `civitas federation init | add` from each community's genesis
/// document and CA, each gateway given the city's CAs (`federation bundle`),
/// the other communities' gateways as seeds and the street office's key to
/// record their checkpoints and referral records with; each committee adopts the document on its
/// own chain once the nodes run.
public final class PilotCity: Sendable {
    public let communities: [PilotCommunity]
    public let root: String
    /// `[federation] referral_resend_seconds` of the gateways (nil: the node's default).
    public let referralResendSeconds: Int?
    public var document: String { root + "/city.fed" }

    /// Communities named `names` (copies of `sample` under those names), each
    /// with `validators` validators and one gateway, on ports from `basePort`
    /// (or a little above, past ports something else holds).
    public init(_ names: [String], sample: SampleCommunity = .lianhuaEast, root: String, binary: String, validators: Int = 1,
                basePort: Int, apiSettings: [String: Int] = [:], referralResendSeconds: Int? = nil) throws {
        self.root = root
        self.referralResendSeconds = referralResendSeconds
        // From `basePort` up, the first layout whose ports are all free (a node
        // another run left behind would otherwise answer in a community's place).
        var basePort = basePort
        for _ in 0..<50 where !(0..<names.count).allSatisfy({
            PilotNode.portsFree(basePort: basePort + $0 * PilotNode.portSpan, count: validators + 1)
        }) { basePort += 7 }
        communities = try names.enumerated().map { i, name in
            guard let id = CommunityID(name) else { throw PilotFailure("'\(name)' is not a community name") }
            var copy = sample
            copy.community = id
            return PilotCommunity(copy, root: root + "/" + name, binary: binary, validators: validators, observers: 0, gateways: 1,
                                  basePort: basePort + i * PilotNode.portSpan, apiSettings: apiSettings)
        }
    }

    /// Every community set up, the federation document written, the gateways wired.
    public func setUp() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for c in communities { try c.setUp() }
        let tool = communities[0]
        try tool.run(["federation", "init", "--out", document])
        for c in communities {
            try tool.run(["federation", "add", "--document", document, "--community", c.community.name,
                          "--genesis", c.root + "/genesis.civ", "--ca", c.root + "/ca/ca.pem"])
        }
        let gateways = communities.flatMap { c in c.indices(of: .gateway).map { (c, c.nodes[$0]) } }
        for (c, gateway) in gateways {
            try tool.run(["federation", "bundle", document, "--out", gateway.directory + "/tls/federation.pem"])
            try c.key("street").pemRepresentation.write(toFile: gateway.directory + "/anchoring.key", atomically: true, encoding: .utf8)
            let path = gateway.directory + "/node.toml"
            let table = try TOMLTable(string: try String(contentsOfFile: path, encoding: .utf8))
            let network = table["network"]?.table ?? TOMLTable()
            var seeds = (network["seeds"]?.array).map { $0.compactMap { $0.string } } ?? []
            seeds += gateways.filter { $0.0.community != c.community }.map { $0.1.peerAddress }
            network["seeds"] = TOMLArray(seeds)
            table["network"] = network
            let tls = table["tls"]?.table ?? TOMLTable()
            tls["trust_bundle"] = "tls/federation.pem"
            table["tls"] = tls
            let federation = TOMLTable()
            federation["anchoring_key_file"] = "anchoring.key"
            if let referralResendSeconds { federation["referral_resend_seconds"] = referralResendSeconds }
            table["federation"] = federation
            try table.convert().write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    public func startAll() throws { for c in communities { try c.startAll() } }
    public func killAll() { for c in communities { c.killAll() } }
    public func stopAll() async -> [Int32?] {
        var all: [Int32?] = []
        for c in communities { all += await c.stopAll() }
        return all
    }

    /// Each community's committee adopts the city's document on its own chain.
    public func adopt() async throws {
        let federation = try FederationDocument(encoded: [UInt8](try Data(contentsOf: URL(fileURLWithPath: document))))
        for c in communities {
            let s = try await c.submit(.federationAdoption(FederationAdoption(document: federation)), as: "committee", to: 0)
            guard s.applied else { throw PilotFailure("\(c.community) did not adopt the federation document: \(s)") }
        }
    }
}
