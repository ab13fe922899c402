public import CivitasNode
#if canImport(Glibc)
import Glibc
#endif

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

    /// True if nothing listens on 127.0.0.1:`port` (a bind succeeds): tests
    /// skip ports a process left behind by a killed run still holds.
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Whether every port `count` nodes laid out from `basePort` would take is free.
    static func portsFree(basePort: Int, count: Int) -> Bool {
        (0..<count).allSatisfy { i in [basePort + i, basePort + 100 + i, basePort + 200 + i].allSatisfy(isFree) }
    }
}
