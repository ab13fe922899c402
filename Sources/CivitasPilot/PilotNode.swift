public import CivitasNode

/// One node of a pilot community: its directory and its three loopback ports.
public struct PilotNode: Sendable {
    public let name: String
    public let role: NodeConfiguration.Role
    public let directory: String
    public let peerPort: Int
    public let clientPort: Int
    public let adminPort: Int

    public var peerAddress: String { "127.0.0.1:\(peerPort)" }
    public var clientAddress: String { "127.0.0.1:\(clientPort)" }
    public var adminAddress: String { "127.0.0.1:\(adminPort)" }
    public var clientURL: String { "http://\(clientAddress)" }
    public var adminURL: String { "http://\(adminAddress)" }

    /// The ports a community takes from its base port: node `i` listens for
    /// peers on base + i, for clients on base + 100 + i, for admins on base + 200 + i.
    /// Communities on one machine (a city) keep `portSpan` apart.
    public static let portSpan = 300
    /// At most this many nodes per community, so the three ranges never overlap.
    public static let maxPerCommunity = 100

    /// `validators` validators, then `observers` observers, then `gateways` gateways, under `root`, on ports from `basePort`.
    static func layout(root: String, validators: Int, observers: Int, gateways: Int = 0, basePort: Int) -> [PilotNode] {
        let total = validators + observers + gateways
        precondition(validators >= 1 && total <= maxPerCommunity, "1 to \(maxPerCommunity) nodes, at least one validator")
        return (0..<total).map { i in
            let (role, name): (NodeConfiguration.Role, String) = i < validators ? (.validator, "validator-\(i + 1)")
                : i < validators + observers ? (.observer, "observer-\(i - validators + 1)")
                : (.gateway, "gateway-\(i - validators - observers + 1)")
            return PilotNode(name: name, role: role, directory: root + "/" + name,
                             peerPort: basePort + i, clientPort: basePort + 100 + i, adminPort: basePort + 200 + i)
        }
    }
}
