import CivitasLedger
import CivitasNodeCore
import Foundation
import Logging
import TOMLKit

extension NodeConfiguration {
    /// The sections and keys a configuration file may hold.
    static let schema: [String: [String]] = [
        "node": ["data_dir", "role", "community", "key_file"],
        "network": ["listen", "seeds", "advertise"],
        "tls": ["ca_file", "cert_file", "key_file", "trust_bundle", "crl_dir"],
        "api": ["client_listen", "admin_listen", "max_body_bytes", "read_timeout_ms", "idle_timeout_ms", "write_timeout_ms",
                "max_connections", "max_connections_per_address", "max_header_bytes", "admin_max_connections",
                "tls_cert_file", "tls_key_file"],
        "genesis": ["file"],
        "log": ["format", "level"],
        "blocks": ["interval_ms", "max_transactions", "max_bytes"],
        "mempool": ["max_transactions", "max_bytes", "max_per_signer", "max_transaction_bytes", "stale_after_ms", "max_nonce_gap"],
        "health": ["min_peers", "max_lag_blocks", "disk_free_percent", "cert_warn_days"],
        "raft": ["learners"],
        "federation": ["anchoring_key_file", "referral_resend_seconds", "anchors_from"],
    ]

    /// Reads and validates the file at `path`. Every problem found is reported
    /// together, each naming its key.
    public static func load(path: String) throws(ConfigurationError) -> NodeConfiguration {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let data = FileManager.default.contents(atPath: absolute) else {
            let why = FileManager.default.fileExists(atPath: absolute) ? "cannot be read" : "does not exist"
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "", "the configuration file \(why)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "", "not UTF-8 text")])
        }
        return try parse(text, path: absolute)
    }

    /// Validates configuration `text` as if read from `path` (relative paths resolve against its directory).
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> NodeConfiguration {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let at = error.source.begin
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(
                key: "", "not valid TOML at line \(at.line), column \(at.column): \(error.description)")])
        } catch {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "", "not valid TOML: \(error)")])
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let reader = ConfigurationReader(root: root, baseDirectory: base)
        let configuration = reader.read(path: path)
        if !reader.problems.isEmpty || configuration == nil {
            throw ConfigurationError(path: path, problems: reader.problems)
        }
        return configuration!
    }
}

/// Walks the parsed TOML, collecting one problem per bad key.
final class ConfigurationReader {
    let root: TOMLTable
    let baseDirectory: String
    private(set) var problems: [ConfigurationProblem] = []

    init(root: TOMLTable, baseDirectory: String) {
        self.root = root
        self.baseDirectory = baseDirectory
    }

    func problem(_ key: String, _ message: String) { problems.append(ConfigurationProblem(key: key, message)) }

    func read(path: String) -> NodeConfiguration? {
        checkUnknownKeys()
        let node = section("node", required: true)
        let network = section("network", required: true)
        let tls = section("tls", required: true)
        let api = section("api")
        let genesis = section("genesis", required: true)
        let log = section("log")
        let blocks = section("blocks")
        let mempool = section("mempool")
        let health = section("health")
        let raft = section("raft")
        let federation = section("federation")

        let dataDirectory = node.path("data_dir", required: true, mustExist: .parentDirectory)
        let role = node.choice("role", NodeConfiguration.Role.self, required: true)
        let communityName = node.string("community", required: true)
        var community: CommunityID?
        if let communityName {
            community = CommunityID(communityName)
            if community == nil {
                problem("node.community", "'\(communityName)' is not a community name (1-64 of a-z, 0-9 and '-', not at either end)")
            }
        }
        let nodeKey = node.path("key_file", required: true, mustExist: .file)

        let listen = network.address("listen", required: true)
        let seeds = network.addresses("seeds")
        let advertise = network.address("advertise")

        let caFile = tls.path("ca_file", required: true, mustExist: .file)
        let certFile = tls.path("cert_file", required: true, mustExist: .file)
        let tlsKey = tls.path("key_file", required: true, mustExist: .file)
        let bundle = tls.path("trust_bundle", mustExist: .file)
        let crlDirectory = tls.path("crl_dir", mustExist: .directory)

        var apiSettings = NodeConfiguration.API()
        if let a = api.address("client_listen") { apiSettings.clientListen = a }
        if let a = api.address("admin_listen") { apiSettings.adminListen = a }
        if let n = api.integer("max_body_bytes", in: 1_024...(16 << 20)) { apiSettings.maxBodyBytes = n }
        readLimits(api, into: &apiSettings)

        let genesisFile = genesis.path("file", required: true, mustExist: .file)

        var logSettings = NodeConfiguration.Log()
        if let f = log.choice("format", NodeConfiguration.Log.Format.self) { logSettings.format = f }
        if let l = log.choice("level", Logger.Level.self) { logSettings.level = l }

        var blockSettings = NodeConfiguration.Blocks()
        blockSettings.intervalMillis = blocks.integer("interval_ms", in: 10...3_600_000).map { UInt64($0) }
        blockSettings.maxTransactions = blocks.integer("max_transactions", in: 1...Int(FieldLimits.blockTransactions))
        blockSettings.maxBytes = blocks.integer("max_bytes", in: 1_024...(64 << 20))

        var pool = MempoolSettings()
        if let n = mempool.integer("max_transactions", in: 1...10_000_000) { pool.maxTransactions = n }
        if let n = mempool.integer("max_bytes", in: 1_024...(16 << 30)) { pool.maxBytes = n }
        if let n = mempool.integer("max_per_signer", in: 1...1_000_000) { pool.maxPerSigner = n }
        if let n = mempool.integer("max_transaction_bytes", in: 256...(16 << 20)) { pool.maxTransactionBytes = n }
        if let n = mempool.integer("stale_after_ms", in: 1_000...(7 * 86_400_000)) { pool.staleAfter = .milliseconds(n) }
        if let n = mempool.integer("max_nonce_gap", in: 1...1_000_000) { pool.maxNonceGap = UInt64(n) }

        var healthSettings = NodeConfiguration.Health()
        if let n = health.integer("min_peers", in: 0...10_000) { healthSettings.minPeers = n }
        if let n = health.integer("max_lag_blocks", in: 0...1_000_000) { healthSettings.maxLagBlocks = UInt64(n) }
        if let n = health.integer("disk_free_percent", in: 0...99) { healthSettings.diskFreePercent = n }
        if let n = health.integer("cert_warn_days", in: 0...3_650) { healthSettings.certificateWarnDays = n }

        let anchoringKey = federation.path("anchoring_key_file", mustExist: .file)
        if anchoringKey != nil, role != .gateway { problem("federation.anchoring_key_file", "only a gateway records neighbours' checkpoints") }
        let referralResend = federation.integer("referral_resend_seconds", in: 1...86_400)
        let anchorsFrom = federation.urls("anchors_from") ?? []

        let learners = raft.publicKeys("learners") ?? []
        if Set(learners).count != learners.count { problem("raft.learners", "lists a node key more than once") }

        guard problems.isEmpty, let dataDirectory, let role, let community, let nodeKey, let listen, let caFile, let certFile,
              let tlsKey, let genesisFile else { return nil }
        return NodeConfiguration(
            path: path,
            node: .init(dataDirectory: dataDirectory, role: role, community: community, keyFile: nodeKey),
            network: .init(listen: listen, seeds: seeds ?? [], advertise: advertise),
            tls: .init(caFile: caFile, certificateFile: certFile, keyFile: tlsKey, trustBundle: bundle, revocationDirectory: crlDirectory),
            api: apiSettings, genesisFile: genesisFile, log: logSettings, blocks: blockSettings, mempool: pool, health: healthSettings,
            raft: NodeConfiguration.Raft(learners: learners), federation: .init(anchoringKeyFile: anchoringKey, referralResendSeconds: referralResend, anchorsFrom: anchorsFrom))
    }

    /// The HTTP servers' timeouts, connection caps and client API TLS (`[api]`).
    func readLimits(_ api: SectionReader, into settings: inout NodeConfiguration.API) {
        var limits = settings.clientLimits
        var admin = settings.adminLimits
        if let n = api.integer("read_timeout_ms", in: 100...300_000) { limits.readTimeout = .milliseconds(n) }
        if let n = api.integer("idle_timeout_ms", in: 100...3_600_000) { limits.idleTimeout = .milliseconds(n) }
        if let n = api.integer("write_timeout_ms", in: 100...300_000) { limits.writeTimeout = .milliseconds(n) }
        if let n = api.integer("max_connections", in: 1...100_000) { limits.maxConnections = n }
        if let n = api.integer("max_connections_per_address", in: 1...100_000) { limits.maxConnectionsPerAddress = n }
        if let n = api.integer("max_header_bytes", in: 1_024...(1 << 20)) { limits.maxHeaderBytes = n }
        if let n = api.integer("admin_max_connections", in: 1...10_000) { admin.maxConnections = n }
        if limits.maxConnectionsPerAddress > limits.maxConnections {
            problem("api.max_connections_per_address", "is \(limits.maxConnectionsPerAddress), above api.max_connections (\(limits.maxConnections))")
        }
        (admin.readTimeout, admin.idleTimeout, admin.writeTimeout) = (limits.readTimeout, limits.idleTimeout, limits.writeTimeout)
        admin.maxHeaderBytes = limits.maxHeaderBytes
        admin.maxConnectionsPerAddress = admin.maxConnections
        settings.clientLimits = limits
        settings.adminLimits = admin
        let certificate = api.path("tls_cert_file", mustExist: .file)
        let key = api.path("tls_key_file", mustExist: .file)
        switch (certificate, key) {
        case let (c?, k?): settings.clientTLS = NodeHTTPServer.TLSFiles(certificateFile: c, keyFile: k)
        case (nil, nil): break
        case (nil, _): if api.has("tls_key_file") { problem("api.tls_cert_file", "is needed with api.tls_key_file") }
        case (_, nil): if api.has("tls_cert_file") { problem("api.tls_key_file", "is needed with api.tls_cert_file") }
        }
    }

    /// Unknown sections, unknown keys and values where a section belongs.
    func checkUnknownKeys() {
        let sections = NodeConfiguration.schema.keys.sorted()
        for key in root.keys.sorted() {
            guard let known = NodeConfiguration.schema[key] else {
                let isTable = root[key]?.table != nil
                let hint = closestMatch(to: key, in: sections).map { " (did you mean '\($0)'?)" } ?? ""
                problem(key, isTable ? "unknown section '\(key)'\(hint)" : "unknown key '\(key)' outside any section\(hint)")
                continue
            }
            guard let table = root[key]?.table else {
                problem(key, "expected a section ([\(key)]), found \(root[key]!.type)")
                continue
            }
            for inner in table.keys.sorted() where !known.contains(inner) {
                let hint = closestMatch(to: inner, in: known).map { " (did you mean '\($0)'?)" } ?? ""
                problem("\(key).\(inner)", "unknown key '\(key).\(inner)'\(hint)")
            }
        }
    }

    func section(_ name: String, required: Bool = false) -> SectionReader {
        let table = root[name]?.table
        let missing = table == nil && required
        if missing && root[name] == nil { problem(name, "missing section [\(name)]") }
        return SectionReader(name: name, table: table, reader: self, sectionMissing: missing)
    }
}
