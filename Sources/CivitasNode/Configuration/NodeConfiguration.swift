public import CivitasLedger
public import CivitasNodeCore
public import Logging

/// A node's configuration, read from `node.toml` by `NodeConfiguration.load(path:)`.
///
/// Every path is absolute: relative paths in the file are resolved against
/// the directory holding it. Defaults are chosen so a skeleton written by
/// `civitas init` needs only the files it names.
public struct NodeConfiguration: Sendable {
    /// What a node does in its community.
    public enum Role: String, Sendable, CaseIterable {
        /// Votes in Raft and signs blocks.
        case validator
        /// Replicates as a Raft learner, on its way to becoming a validator.
        case learner
        /// Follows the chain and serves queries; votes on nothing.
        case observer
        /// An observer that also links to other communities.
        case gateway
    }

    public struct Node: Sendable, Equatable {
        public var dataDirectory: String
        public var role: Role
        public var community: CommunityID
        /// The node's Ed25519 ledger key (PKCS#8 PEM).
        public var keyFile: String
        public init(dataDirectory: String, role: Role, community: CommunityID, keyFile: String) {
            self.dataDirectory = dataDirectory; self.role = role; self.community = community; self.keyFile = keyFile
        }
    }

    public struct Network: Sendable, Equatable {
        /// Where the node listens for peers.
        public var listen: HostPort
        /// Peers to contact first.
        public var seeds: [HostPort]
        /// The address other nodes are told to use (defaults to `listen`).
        public var advertise: HostPort?
        public init(listen: HostPort, seeds: [HostPort] = [], advertise: HostPort? = nil) {
            self.listen = listen; self.seeds = seeds; self.advertise = advertise
        }
    }

    public struct TLS: Sendable, Equatable {
        public var caFile: String
        public var certificateFile: String
        public var keyFile: String
        /// The federation trust bundle (other communities' CAs).
        public var trustBundle: String?
        /// A directory of revocation lists.
        public var revocationDirectory: String?
        public init(caFile: String, certificateFile: String, keyFile: String, trustBundle: String? = nil,
                    revocationDirectory: String? = nil) {
            self.caFile = caFile; self.certificateFile = certificateFile; self.keyFile = keyFile
            self.trustBundle = trustBundle; self.revocationDirectory = revocationDirectory
        }
    }

    public struct API: Sendable, Equatable {
        public var clientListen: HostPort = HostPort(host: "127.0.0.1", port: 8080)
        public var adminListen: HostPort = HostPort(host: "127.0.0.1", port: 9090)
        /// The largest transaction body the client API reads.
        public var maxBodyBytes: Int = 256 << 10
        /// Timeouts and connection caps of the client API (it faces strangers).
        public var clientLimits = HTTPServerLimits()
        /// The admin API's: the same timeouts, few connections.
        public var adminLimits = HTTPServerLimits.admin
        /// TLS for the client API (residents reach it over a network); nil serves plain HTTP.
        public var clientTLS: NodeHTTPServer.TLSFiles?
        public init() {}
    }

    public struct Log: Sendable, Equatable {
        public enum Format: String, Sendable, CaseIterable { case logfmt, json }
        public var format: Format = .logfmt
        public var level: Logger.Level = .info
        public init() {}
    }

    /// Local limits on the blocks this node proposes (never above the genesis parameters).
    public struct Blocks: Sendable, Equatable {
        public var intervalMillis: UInt64?
        public var maxTransactions: Int?
        public var maxBytes: Int?
        public init() {}
    }

    /// The community's Raft learners: nodes that replicate the log and build
    /// every block without voting. Every validator and every learner must list
    /// the same node keys in the same order (a learner's replica ID is its
    /// place in the list); the leader adds them to Raft one at a time.
    public struct Raft: Sendable, Equatable {
        public var learners: [PublicKey] = []
        public init(learners: [PublicKey] = []) { self.learners = learners }
    }

    /// A gateway's part in the city federation.
    public struct Federation: Sendable, Equatable {
        /// The subject key a gateway signs neighbours' checkpoints with to
        /// record them in this chain (a genesis validator's subject, the
        /// residents' committee or the street office); nil: it relays and
        /// checks them but records none.
        public var anchoringKeyFile: String?
        /// How often a gateway sends its community's unanswered referrals
        /// city-wide again, in seconds (`referral_resend_seconds`, default 30).
        public var referralResendSeconds: Int?
        /// Neighbours' nodes (client API URLs) to fetch this chain's anchored
        /// checkpoints from, so the node refuses to sync a history that
        /// contradicts them (`anchors_from`; any role).
        public var anchorsFrom: [String]
        public init(anchoringKeyFile: String? = nil, referralResendSeconds: Int? = nil, anchorsFrom: [String] = []) {
            self.anchoringKeyFile = anchoringKeyFile
            self.referralResendSeconds = referralResendSeconds
            self.anchorsFrom = anchorsFrom
        }
    }

    /// When `/readyz` and `civitas status` call the node degraded.
    public struct Health: Sendable, Equatable {
        public var minPeers: Int = 1
        public var maxLagBlocks: UInt64 = 10
        /// Degraded when less than this share of the data directory's disk is free.
        public var diskFreePercent: Int = 5
        public var certificateWarnDays: Int = 14
        public init() {}
    }

    /// The file this configuration was read from.
    public var path: String
    public var node: Node
    public var network: Network
    public var tls: TLS
    public var api: API
    public var genesisFile: String
    public var log: Log
    public var blocks: Blocks
    public var mempool: MempoolSettings
    public var health: Health
    public var raft: Raft
    public var federation: Federation

    public init(path: String, node: Node, network: Network, tls: TLS, api: API = API(), genesisFile: String, log: Log = Log(),
                blocks: Blocks = Blocks(), mempool: MempoolSettings = MempoolSettings(), health: Health = Health(),
                raft: Raft = Raft(), federation: Federation = Federation()) {
        self.path = path; self.node = node; self.network = network; self.tls = tls; self.api = api
        self.genesisFile = genesisFile; self.log = log; self.blocks = blocks; self.mempool = mempool; self.health = health
        self.raft = raft
        self.federation = federation
    }
}

/// A `host:port` address: an IPv4 address, a host name or a bracketed IPv6 address.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (`[::1]:9000` for IPv6); nil if it is not one.
    public init?(parsing text: String, allowPortZero: Bool = false) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            let allowed = { (c: Character) in c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == ".") }
            guard !host.isEmpty, host.count <= 253, host.allSatisfy(allowed), !host.hasPrefix("-"), !host.hasPrefix(".") else {
                return nil
            }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), port <= 65_535, port > 0 || allowPortZero else { return nil }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
