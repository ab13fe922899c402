import CivitasIdentity
import CivitasLedger
import CivitasNode
import CivitasNodeCore
import CivitasSimulation
import Foundation
import TOMLKit

/// A live city on disk, laid out as operators lay out theirs
/// (docs/operations.md, docs/federation.md): per community a CA
/// (`civitas ca init`'s layout), per node a directory with its ledger key, its
/// certificate issued by that CA (`ca issue`), the community's genesis
/// document and a `node.toml` (`civitas init`'s skeleton) that `civitas node
/// run` would accept; gateways also get the city's trust bundle, the other
/// gateways as seeds and the street office's key to anchor with, as
/// `PilotCity` wires them.
///
///     ROOT/<community>/ca/                 ca.pem, ca.key, crl.pem, issued/
///     ROOT/<community>/<node>/node.toml    node.key, genesis.civ, tls/, data/
///     ROOT/city.fed                        the federation document (a city of several)
struct LiveCityFiles {
    /// Each node's configuration file, in the run's node order.
    let configurations: [String]
    /// The federation document every committee adopts (nil: a city of one).
    let federation: FederationDocument?

    /// Writes the city of `live` under `root`, node `i` listening on 127.0.0.1:`ports[i]`.
    static func write(_ live: LiveCityRun, root: String, ports: [Int]) throws -> LiveCityFiles {
        let now = Date()
        let address = { (i: Int) in HostPort(host: "127.0.0.1", port: ports[i]) }
        let gateways = live.nodes.filter { $0.role == .gateway }
        var authorities: [CommunityAuthority] = []
        var configurations: [String] = []
        for community in live.communities {
            let base = root + "/" + community.id.name
            let authority = try CADirectory.initialize(at: base + "/ca", community: community.id, days: 30, now: now)
            authorities.append(authority)
            let validators = community.nodes.filter { $0.role == .validator }.map { address($0.index) }
            for node in community.nodes {
                let directory = base + "/" + node.name
                try FileManager.default.createDirectory(atPath: directory + "/tls", withIntermediateDirectories: true)
                try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
                try IdentityFiles.write(node.key.pemRepresentation, to: directory + "/node.key", mode: IdentityFiles.privateMode, replace: false)
                try Data(community.genesis.encoded()).write(to: URL(fileURLWithPath: directory + "/genesis.civ"))
                let (role, certificateRole): (NodeConfiguration.Role, NodeRole) = switch node.role {
                case .validator, .learner: (.validator, .validator)
                case .observer: (.observer, .observer)
                case .gateway: (.gateway, .gateway)
                }
                _ = try CADirectory(path: base + "/ca").issue(nodeKey: node.key.publicKey, role: certificateRole, days: 30, now: now,
                                                              into: directory + "/tls")
                // The node's seeds are its community's validators, as the simulator seeds them; a gateway's also the other gateways.
                var seeds = validators.filter { $0 != address(node.index) }
                if node.role == .gateway {
                    let own = Set(community.nodes.map(\.index))
                    seeds += gateways.filter { !own.contains($0.index) }.map { address($0.index) }
                }
                let skeleton = NodeConfiguration.skeleton(community: community.id, role: role, listen: address(node.index).description, seeds: seeds,
                                                          clientListen: HostPort(host: "127.0.0.1", port: 0),
                                                          adminListen: HostPort(host: "127.0.0.1", port: 0))
                let table = try TOMLTable(string: skeleton)
                if node.role == .gateway && live.communities.count > 1 {
                    try IdentityFiles.write(community.anchoringKey.pemRepresentation, to: directory + "/anchoring.key",
                                            mode: IdentityFiles.privateMode, replace: false)
                    let tls = table["tls"]?.table ?? TOMLTable()
                    tls["trust_bundle"] = "tls/federation.pem"
                    table["tls"] = tls
                    let federation = TOMLTable()
                    federation["anchoring_key_file"] = "anchoring.key"
                    table["federation"] = federation
                }
                let path = directory + "/node.toml"
                try table.convert().write(toFile: path, atomically: true, encoding: .utf8)
                configurations.append(path)
            }
        }
        guard live.communities.count > 1 else { return LiveCityFiles(configurations: configurations, federation: nil) }
        // The city: one document of every community's genesis and CA; each gateway trusts the CAs it lists.
        let document = try FederationDocument(sequence: 1, communities: zip(live.communities, authorities).map {
            FederationMember(genesis: $0.genesis, caCertificate: CertificateDER.der($1.ca.certificate))
        })
        try Data(document.encoded()).write(to: URL(fileURLWithPath: root + "/city.fed"))
        let bundle = try TrustBundle(federation: document).pemString
        for community in live.communities {
            for node in community.nodes where node.role == .gateway {
                try IdentityFiles.write(bundle, to: root + "/" + community.id.name + "/" + node.name + "/tls/federation.pem",
                                        mode: IdentityFiles.publicMode, replace: true)
            }
        }
        return LiveCityFiles(configurations: configurations, federation: document)
    }
}
