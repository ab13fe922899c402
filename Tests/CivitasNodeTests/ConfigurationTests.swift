import CivitasLedger
import CivitasNode
import Foundation
import Testing

@Suite struct ConfigurationTests {
    /// A directory holding every file a valid configuration names, and the configuration.
    static func writeNode(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir + "/tls", withIntermediateDirectories: true)
        for file in ["node.key", "tls/ca.pem", "tls/node.pem", "tls/tls.key", "genesis.civ"] {
            #expect(FileManager.default.createFile(atPath: dir + "/" + file, contents: Data("x".utf8)))
        }
    }

    static let valid = """
        [node]
        data_dir = "data"
        role = "validator"
        community = "lianhua-east"
        key_file = "node.key"

        [network]
        listen = "0.0.0.0:7000"
        seeds = ["10.0.0.2:7000", "[::1]:7001", "node-3.example:7002"]

        [tls]
        ca_file = "tls/ca.pem"
        cert_file = "tls/node.pem"
        key_file = "tls/tls.key"

        [genesis]
        file = "genesis.civ"

        [log]
        format = "json"
        level = "debug"

        [health]
        min_peers = 2
        """

    /// The problems `text` (in a directory prepared by `writeNode`) is refused with.
    static func problems(_ text: String) throws -> [String] {
        try withScratchDirectory { dir in
            try writeNode(dir)
            do {
                _ = try NodeConfiguration.parse(text, path: dir + "/node.toml")
                return []
            } catch let error as ConfigurationError {
                return error.problems.map(\.description)
            }
        }
    }

    @Test func validConfigurationResolvesPathsAndDefaults() throws {
        try withScratchDirectory { dir in
            try Self.writeNode(dir)
            let c = try NodeConfiguration.parse(Self.valid, path: dir + "/node.toml")
            #expect(c.node.role == .validator)
            #expect(c.node.community.name == "lianhua-east")
            #expect(c.node.dataDirectory == URL(fileURLWithPath: dir + "/data").standardizedFileURL.path)
            #expect(c.tls.certificateFile.hasSuffix("/tls/node.pem") && c.tls.certificateFile.hasPrefix("/"))
            #expect(c.network.seeds.map(\.description) == ["10.0.0.2:7000", "[::1]:7001", "node-3.example:7002"])
            #expect(c.api.clientListen.description == "127.0.0.1:8080")
            #expect(c.api.adminListen.description == "127.0.0.1:9090")
            #expect(c.log.format == .json && c.log.level == .debug)
            #expect(c.health.minPeers == 2 && c.health.maxLagBlocks == 10)
            #expect(c.tls.trustBundle == nil)
        }
    }

    @Test func loadReadsTheFile() throws {
        try withScratchDirectory { dir in
            try Self.writeNode(dir)
            _ = FileManager.default.createFile(atPath: dir + "/node.toml", contents: Data(Self.valid.utf8))
            let c = try NodeConfiguration.load(path: dir + "/node.toml")
            #expect(c.genesisFile.hasSuffix("/genesis.civ"))
        }
    }

    @Test func missingConfigurationFile() {
        #expect { try NodeConfiguration.load(path: "/nonexistent/node.toml") } throws: { error in
            "\(error)" == "/nonexistent/node.toml: the configuration file does not exist"
        }
    }

    @Test func unknownKeyNamesItsSectionAndSuggests() throws {
        let text = Self.valid.replacingOccurrences(of: "seeds = ", with: "seed = ")
        #expect(try Self.problems(text) == ["network.seed: unknown key 'network.seed' (did you mean 'seeds'?)"])
    }

    @Test func unknownSection() throws {
        #expect(try Self.problems(Self.valid + "\n[helth]\nmin_peers = 1\n") == ["helth: unknown section 'helth' (did you mean 'health'?)"])
        #expect(try Self.problems("stray = 1\n" + Self.valid) == ["stray: unknown key 'stray' outside any section"])
    }

    @Test func wrongType() throws {
        let text = Self.valid.replacingOccurrences(of: "role = \"validator\"", with: "role = 5")
        #expect(try Self.problems(text) == ["node.role: expected a string, found integer"])
        let seeds = Self.valid.replacingOccurrences(of: "seeds = [", with: "seeds = \"10.0.0.2:7000\"\n#[")
        #expect(try Self.problems(seeds).first?.hasPrefix("network.seeds: expected an array") == true)
    }

    @Test func badAddresses() throws {
        let text = Self.valid.replacingOccurrences(of: "listen = \"0.0.0.0:7000\"", with: "listen = \"abc\"")
        #expect(try Self.problems(text) == ["network.listen: 'abc' is not host:port"])
        for bad in ["host:99999", "host:", ":80", "ho st:80", "[::1:80", "1.2.3.4:-1"] {
            let t = Self.valid.replacingOccurrences(of: "listen = \"0.0.0.0:7000\"", with: "listen = \"\(bad)\"")
            #expect(try Self.problems(t) == ["network.listen: '\(bad)' is not host:port"])
        }
        let seed = Self.valid.replacingOccurrences(of: "\"[::1]:7001\"", with: "\"nope\"")
        #expect(try Self.problems(seed) == ["network.seeds[1]: 'nope' is not host:port"])
    }

    @Test func raftLearnersAreNodeKeysListedOnce() throws {
        let a = String(repeating: "ab", count: 32), b = String(repeating: "0c", count: 32)
        try withScratchDirectory { dir in
            try Self.writeNode(dir)
            let c = try NodeConfiguration.parse(Self.valid + "\n[raft]\nlearners = [\"\(a)\", \"\(b)\"]\n", path: dir + "/node.toml")
            #expect(c.raft.learners.map(\.raw.hex) == [a, b])
            let none = try NodeConfiguration.parse(Self.valid, path: dir + "/node.toml")
            #expect(none.raft.learners.isEmpty)
        }
        #expect(try Self.problems(Self.valid + "\n[raft]\nlearners = [\"\(a)\", \"xyz\", 3]\n") == [
            "raft.learners[1]: 'xyz' is not a node key (64 hexadecimal digits)",
            "raft.learners[2]: expected a node key string, found integer",
        ])
        #expect(try Self.problems(Self.valid + "\n[raft]\nlearners = [\"\(a)\", \"\(a)\"]\n") == ["raft.learners: lists a node key more than once"])
        #expect(try Self.problems(Self.valid + "\n[raft]\nlearners = \"\(a)\"\n").first?.hasPrefix("raft.learners: expected an array") == true)
    }

    /// A gateway's anchoring key is read; on any other role the key is refused by name.
    @Test func onlyAGatewayHasAnAnchoringKey() throws {
        let gateway = Self.valid.replacingOccurrences(of: "role = \"validator\"", with: "role = \"gateway\"")
        try withScratchDirectory { dir in
            try Self.writeNode(dir)
            let c = try NodeConfiguration.parse(gateway + "\n[federation]\nanchoring_key_file = \"node.key\"\n", path: dir + "/node.toml")
            #expect(c.federation.anchoringKeyFile == dir + "/node.key")
            #expect(try NodeConfiguration.parse(gateway, path: dir + "/node.toml").federation.anchoringKeyFile == nil)
        }
        #expect(try Self.problems(Self.valid + "\n[federation]\nanchoring_key_file = \"node.key\"\n")
                == ["federation.anchoring_key_file: only a gateway records neighbours' checkpoints"])
        #expect(try Self.problems(gateway + "\n[federation]\nanchoring_key_file = \"missing.key\"\n").first?
                    .hasPrefix("federation.anchoring_key_file:") == true)
    }

    /// Neighbours' nodes to fetch this chain's anchors from, and the referral resend period: read, or refused by name.
    @Test func anchorsFromAndReferralResendAreReadOrRefusedByName() throws {
        try withScratchDirectory { dir in
            try Self.writeNode(dir)
            let text = Self.valid + "\n[federation]\nanchors_from = [\"http://10.0.0.7:8080\", \"https://hehua.example:8443\"]\nreferral_resend_seconds = 12\n"
            let c = try NodeConfiguration.parse(text, path: dir + "/node.toml")
            #expect(c.federation.anchorsFrom == ["http://10.0.0.7:8080", "https://hehua.example:8443"])
            #expect(c.federation.referralResendSeconds == 12)
            #expect(try NodeConfiguration.parse(Self.valid, path: dir + "/node.toml").federation.anchorsFrom.isEmpty)
        }
        let problems = try Self.problems(Self.valid + "\n[federation]\nanchors_from = [\"10.0.0.7:8080\", 3]\nreferral_resend_seconds = 0\n")
        #expect(problems == [
            "federation.referral_resend_seconds: 0 is out of range (1 to 86400)",
            "federation.anchors_from[0]: '10.0.0.7:8080' is not an http:// or https:// URL",
            "federation.anchors_from[1]: expected a URL string, found integer",
        ], "\(problems)")
    }

    @Test func missingReferencedFile() throws {
        let text = Self.valid.replacingOccurrences(of: "tls/node.pem", with: "/x/y.pem")
        #expect(try Self.problems(text) == ["tls.cert_file: /x/y.pem does not exist"])
    }

    @Test func missingRequiredKeyAndSection() throws {
        let noKey = Self.valid.replacingOccurrences(of: "key_file = \"node.key\"\n", with: "")
        #expect(try Self.problems(noKey) == ["node.key_file: missing (required)"])
        let noGenesis = Self.valid.replacingOccurrences(of: "[genesis]\nfile = \"genesis.civ\"\n", with: "")
        #expect(try Self.problems(noGenesis) == ["genesis: missing section [genesis]"])
    }

    @Test func badValues() throws {
        let role = Self.valid.replacingOccurrences(of: "\"validator\"", with: "\"king\"")
        #expect(try Self.problems(role) == ["node.role: 'king' is not one of 'validator', 'learner', 'observer', 'gateway'"])
        let community = Self.valid.replacingOccurrences(of: "\"lianhua-east\"", with: "\"Lianhua East\"")
        #expect(try Self.problems(community).first?.hasPrefix("node.community: 'Lianhua East' is not a community name") == true)
        let peers = Self.valid.replacingOccurrences(of: "min_peers = 2", with: "min_peers = -1")
        #expect(try Self.problems(peers) == ["health.min_peers: -1 is out of range (0 to 10000)"])
        let format = Self.valid.replacingOccurrences(of: "format = \"json\"", with: "format = \"xml\"")
        #expect(try Self.problems(format) == ["log.format: 'xml' is not one of 'logfmt', 'json'"])
    }

    @Test func everyProblemIsReportedOnce() throws {
        let text = Self.valid.replacingOccurrences(of: "seeds = ", with: "seed = ")
            .replacingOccurrences(of: "tls/node.pem", with: "/x/y.pem")
            .replacingOccurrences(of: "listen = \"0.0.0.0:7000\"", with: "listen = \"abc\"")
        let problems = try Self.problems(text)
        #expect(Set(problems) == ["network.seed: unknown key 'network.seed' (did you mean 'seeds'?)",
                                  "tls.cert_file: /x/y.pem does not exist", "network.listen: 'abc' is not host:port"])
        #expect(problems.count == 3)
    }

    @Test func httpLimitsAndClientTLSAreRead() throws {
        try withScratchDirectory { dir in
            try Self.writeNode(dir)
            let text = Self.valid + """

                [api]
                read_timeout_ms = 2500
                idle_timeout_ms = 60000
                write_timeout_ms = 4000
                max_connections = 300
                max_connections_per_address = 20
                max_header_bytes = 8192
                admin_max_connections = 8
                tls_cert_file = "tls/node.pem"
                tls_key_file = "tls/tls.key"
                """
            let api = try NodeConfiguration.parse(text, path: dir + "/node.toml").api
            #expect(api.clientLimits.readTimeout == .milliseconds(2_500) && api.clientLimits.idleTimeout == .seconds(60))
            #expect(api.clientLimits.writeTimeout == .seconds(4) && api.clientLimits.maxHeaderBytes == 8_192)
            #expect(api.clientLimits.maxConnections == 300 && api.clientLimits.maxConnectionsPerAddress == 20)
            #expect(api.adminLimits.maxConnections == 8 && api.adminLimits.readTimeout == .milliseconds(2_500))
            #expect(api.clientTLS == NodeHTTPServer.TLSFiles(certificateFile: dir + "/tls/node.pem", keyFile: dir + "/tls/tls.key"))
            // Defaults: safe for a node on the open network.
            let defaults = try NodeConfiguration.parse(Self.valid, path: dir + "/node.toml").api
            #expect(defaults.clientLimits == HTTPServerLimits() && defaults.adminLimits == .admin && defaults.clientTLS == nil)
        }
    }

    @Test func badHTTPLimitsAreNamedByKey() throws {
        let problems = try Self.problems(Self.valid + """

            [api]
            read_timeout_ms = 0
            max_connections = 10
            max_connections_per_address = 50
            tls_cert_file = "tls/node.pem"
            """)
        #expect(problems.contains { $0.hasPrefix("api.read_timeout_ms:") })
        #expect(problems.contains("api.max_connections_per_address: is 50, above api.max_connections (10)"))
        #expect(problems.contains("api.tls_key_file: is needed with api.tls_cert_file"))
    }

    @Test func invalidTOMLNamesTheLine() throws {
        let problems = try Self.problems("[node]\nrole = \n")
        #expect(problems.count == 1)
        #expect(problems.first?.contains("not valid TOML at line 2") == true)
    }
}

@Suite struct SkeletonTests {
    @Test func initSkeletonIsAcceptedOnceItsFilesExist() throws {
        let text = NodeConfiguration.skeleton(community: CommunityID("lianhua-east")!, role: .observer, listen: "0.0.0.0:7000")
        try withScratchDirectory { dir in
            try ConfigurationTests.writeNode(dir)
            let c = try NodeConfiguration.parse(text, path: dir + "/node.toml")
            #expect(c.node.role == .observer && c.node.community.name == "lianhua-east")
            #expect(c.api.adminListen.host == "127.0.0.1")
            try FileManager.default.removeItem(atPath: dir + "/genesis.civ")
            #expect(throws: ConfigurationError.self) { try NodeConfiguration.parse(text, path: dir + "/node.toml") }
        }
    }

    @Test func initSeedsAndAPIAddressesReachTheConfiguration() throws {
        let text = NodeConfiguration.skeleton(
            community: CommunityID("lianhua-east")!, role: .validator, listen: "127.0.0.1:7101",
            seeds: [HostPort(host: "127.0.0.1", port: 7102), HostPort(host: "127.0.0.1", port: 7103)],
            clientListen: HostPort(host: "127.0.0.1", port: 8101), adminListen: HostPort(host: "127.0.0.1", port: 9101))
        try withScratchDirectory { dir in
            try ConfigurationTests.writeNode(dir)
            let c = try NodeConfiguration.parse(text, path: dir + "/node.toml")
            #expect(c.network.seeds.map(\.description) == ["127.0.0.1:7102", "127.0.0.1:7103"])
            #expect(c.api.clientListen.port == 8101 && c.api.adminListen.port == 9101)
        }
    }
}
