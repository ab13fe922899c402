public import CivitasLedger
internal import CivitasCodec

/// How Civitas identities are spelled inside certificates (the machine-readable half
/// of the certificate profile; docs/identity.md describes it for operators).
///
/// - A community CA carries the URI `civitas://<community>` in its subject alternative names.
/// - A node certificate carries exactly two URIs:
///   `civitas://<community>/node/<32 hex digits of the node ID>` and
///   `civitas://<community>/role/<validator|observer|gateway>`.
///
/// The subject distinguished name repeats the same facts for people
/// (`CN=node_<hex>, OU=<role>, O=<community>`), but only the URIs are authoritative.
public enum CertificateNames {
    /// The URI scheme of every Civitas name.
    public static let scheme = "civitas"

    /// `civitas://<community>`: the name of a community, carried by its CA.
    public static func communityURI(_ community: CommunityID) -> String {
        "\(scheme)://\(community.name)"
    }

    /// `civitas://<community>/node/<hex>`: a node's ID inside its community.
    public static func nodeURI(community: CommunityID, node: NodeID) -> String {
        "\(scheme)://\(community.name)/node/\(node.raw.hex)"
    }

    /// `civitas://<community>/role/<role>`: what the node may do.
    public static func roleURI(community: CommunityID, role: NodeRole) -> String {
        "\(scheme)://\(community.name)/role/\(role)"
    }

    /// One parsed Civitas URI.
    public enum Parsed: Hashable, Sendable {
        /// `civitas://<community>`
        case community(CommunityID)
        /// `civitas://<community>/node/<hex>`
        case node(CommunityID, NodeID)
        /// `civitas://<community>/role/<role>`
        case role(CommunityID, NodeRole)
    }

    /// Parses a Civitas URI; nil for any other URI or a malformed one.
    public static func parse(_ uri: String) -> Parsed? {
        let prefix = "\(scheme)://"
        guard uri.hasPrefix(prefix) else { return nil }
        let parts = uri.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let community = CommunityID(first) else { return nil }
        switch parts.count {
        case 1:
            return .community(community)
        case 3 where parts[1] == "node":
            guard parts[2].utf8.count == 32, parts[2] == parts[2].lowercased(), let raw = Bytes16(hex: parts[2]) else { return nil }
            return .node(community, NodeID(raw: raw))
        case 3 where parts[1] == "role":
            guard let role = NodeRole.allCases.first(where: { $0.description == parts[2] }) else { return nil }
            return .role(community, role)
        default:
            return nil
        }
    }

    /// The role named `name` (`validator`, `observer`, `gateway`).
    public static func role(named name: String) -> NodeRole? {
        NodeRole.allCases.first { $0.description == name }
    }
}
