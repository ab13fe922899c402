public import CivitasLedger
public import CivitasSample
import Foundation
import Synchronization
import TOMLKit

/// A city of pilot communities on one machine, federated as operators would
/// do it (docs/federation.md, "An operator's steps"): one federation document
/// built with `civitas federation init | add` from each community's genesis
/// document and CA, each gateway given the city's CAs (`federation bundle`),
/// the other communities' gateways as seeds and the street office's key to
/// record their checkpoints and referral records with; each committee adopts the document on its
/// own chain once the nodes run. A running city grows the same way
/// (`add(_:)`): the document gets the newcomer, every gateway the new bundle
/// and a SIGHUP, and every committee adopts the new version.
public final class PilotCity: Sendable {
    /// The communities, in the order they joined.
    public var communities: [PilotCommunity] { joined.withLock { $0 } }
    public let root: String
    /// `[federation] referral_resend_seconds` of the gateways (nil: the node's default).
    public let referralResendSeconds: Int?
    public var document: String { root + "/city.fed" }
    let joined: Mutex<[PilotCommunity]>
    /// What every community is built from, for those that join later.
    let sample: SampleCommunity
    let binary: String
    let validators: Int
    let apiSettings: [String: Int]
    /// The first community's base port (each next one is `PilotNode.portSpan` higher, or past ports in use).
    let basePort: Int

    /// Communities named `names` (copies of `sample` under those names), each
    /// with `validators` validators and one gateway, on ports from `basePort`
    /// (or a little above, past ports something else holds).
    public init(_ names: [String], sample: SampleCommunity = .lianhuaEast, root: String, binary: String, validators: Int = 1,
                basePort: Int, apiSettings: [String: Int] = [:], referralResendSeconds: Int? = nil) throws {
        self.root = root
        self.referralResendSeconds = referralResendSeconds
        self.sample = sample
        self.binary = binary
        self.validators = validators
        self.apiSettings = apiSettings
        // From `basePort` up, the first layout whose ports are all free (a node
        // another run left behind would otherwise answer in a community's place).
        var basePort = basePort
        for _ in 0..<50 where !(0..<names.count).allSatisfy({
            PilotNode.portsFree(basePort: basePort + $0 * PilotNode.portSpan, count: validators + 1)
        }) { basePort += 7 }
        self.basePort = basePort
        joined = Mutex(try names.enumerated().map { [basePort] i, name in
            try Self.community(name, sample: sample, root: root, binary: binary, validators: validators,
                               basePort: basePort + i * PilotNode.portSpan, apiSettings: apiSettings)
        })
    }

    static func community(_ name: String, sample: SampleCommunity, root: String, binary: String, validators: Int, basePort: Int,
                          apiSettings: [String: Int]) throws -> PilotCommunity {
        guard let id = CommunityID(name) else { throw PilotFailure("'\(name)' is not a community name") }
        var copy = sample
        copy.community = id
        return PilotCommunity(copy, root: root + "/" + name, binary: binary, validators: validators, observers: 0, gateways: 1,
                              basePort: basePort, apiSettings: apiSettings)
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
            try wire(gateway, of: c, seeds: gateways.filter { $0.0.community != c.community }.map { $0.1.peerAddress })
        }
    }

    /// A gateway of `c` given the city: the bundle of the document's CAs, the
    /// other communities' gateways `seeds` as seeds, and the street office's
    /// key to record their checkpoints and referral records with.
    func wire(_ gateway: PilotNode, of c: PilotCommunity, seeds cityGateways: [String]) throws {
        try writeBundle(for: gateway)
        try c.key("street").pemRepresentation.write(toFile: gateway.directory + "/anchoring.key", atomically: true, encoding: .utf8)
        let path = gateway.directory + "/node.toml"
        let table = try TOMLTable(string: try String(contentsOfFile: path, encoding: .utf8))
        let network = table["network"]?.table ?? TOMLTable()
        var seeds = (network["seeds"]?.array).map { $0.compactMap { $0.string } } ?? []
        seeds += cityGateways
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

    /// `civitas federation bundle`: the city's CAs from the current document, where `gateway` reads its trust bundle.
    func writeBundle(for gateway: PilotNode) throws {
        try communities[0].run(["federation", "bundle", document, "--out", gateway.directory + "/tls/federation.pem"])
    }

    public func startAll() throws { for c in communities { try c.startAll() } }
    public func killAll() { for c in communities { c.killAll() } }
    public func stopAll() async -> [Int32?] {
        var all: [Int32?] = []
        for c in communities { all += await c.stopAll() }
        return all
    }

    /// Each community's committee (of `chosen`, or all) adopts the city's current document on its own chain.
    public func adopt(in chosen: [PilotCommunity]? = nil) async throws {
        let federation = try currentDocument()
        for c in chosen ?? communities {
            let s = try await c.submit(.federationAdoption(FederationAdoption(document: federation)), as: "committee", to: 0)
            guard s.applied else { throw PilotFailure("\(c.community) did not adopt the federation document: \(s)") }
        }
    }

    /// The federation document as the city's file holds it now.
    public func currentDocument() throws -> FederationDocument {
        try FederationDocument(encoded: [UInt8](try Data(contentsOf: URL(fileURLWithPath: document))))
    }

    // MARK: - Growing a running city

    /// A community named `name` joins the running city as an operator adds
    /// one (docs/federation.md, "Adding a community to a running
    /// federation"): it is set up, `civitas federation add`ed to the current
    /// document (the sequence rises by one), and its gateway is wired like
    /// the others (bundle, the existing gateways as seeds, anchoring key);
    /// every existing gateway's bundle is written again from the new
    /// document and the gateway sent SIGHUP — no node restarts. The newcomer
    /// is not started and nobody has adopted the new version yet: the caller
    /// starts it (`startAll()` on the community returned) and has the
    /// committees adopt (`adopt(in:)`), in the order it wants to test.
    @discardableResult
    public func add(_ name: String) throws -> PilotCommunity {
        let existing = communities
        guard !existing.contains(where: { $0.community.name == name }) else { throw PilotFailure("'\(name)' is already in the city") }
        // Ports from the next slot up, past any in use (those of the running nodes included).
        var port = basePort + existing.count * PilotNode.portSpan
        for _ in 0..<50 where !PilotNode.portsFree(basePort: port, count: validators + 1) { port += 7 }
        let newcomer = try Self.community(name, sample: sample, root: root, binary: binary, validators: validators,
                                          basePort: port, apiSettings: apiSettings)
        try newcomer.setUp()
        try newcomer.run(["federation", "add", "--document", document, "--community", name,
                          "--genesis", newcomer.root + "/genesis.civ", "--ca", newcomer.root + "/ca/ca.pem"])
        let gateways = existing.flatMap { c in c.indices(of: .gateway).map { (community: c, index: $0) } }
        for gateway in newcomer.indices(of: .gateway) {
            try wire(newcomer.nodes[gateway], of: newcomer, seeds: gateways.map { $0.community.nodes[$0.index].peerAddress })
        }
        joined.withLock { $0.append(newcomer) }
        for (c, i) in gateways {
            try writeBundle(for: c.nodes[i])
            c.signal(i, SIGHUP)
        }
        return newcomer
    }
}
