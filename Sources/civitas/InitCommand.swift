import ArgumentParser
import CivitasIdentity
import CivitasLedger
import CivitasNode
import Foundation

/// `civitas init`: a node directory with keys, a certificate and a configuration skeleton.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a node directory: ledger and subject keys, a node certificate and node.toml.",
        discussion: """
        Writes DIR/node.key (the node's Ed25519 ledger key), DIR/subject.key (the operator's subject \
        key, named in the genesis document), DIR/data/ and DIR/node.toml. With --ca-dir it also issues \
        the node certificate into DIR/tls/ (node.pem, tls.key, ca.pem); otherwise it prints the \
        `civitas ca issue` command to run. The node starts once DIR/genesis.civ exists (`civitas genesis`).
        """)

    @Option(help: "The community's name (a-z, 0-9, '-').")
    var community: String

    @Option(help: "validator, learner, observer or gateway.")
    var role: String

    @Option(help: "The node directory to create.")
    var dir: String

    @Option(help: "The community CA directory (from `civitas ca init`), to issue the node certificate now.")
    var caDir: String?

    @Option(help: "The peer listen address written to node.toml.")
    var listen = "0.0.0.0:7000"

    @Option(name: .customLong("seed"), help: "A peer to contact first, host:port (repeat); this node's own --listen is left out.")
    var seeds: [String] = []

    @Option(help: "The client API's address (residents and `civitas tx` use it).")
    var clientListen = "127.0.0.1:8080"

    @Option(help: "The admin API's address (status, health, metrics; keep it on localhost).")
    var adminListen = "127.0.0.1:9090"

    @Option(help: "Days the node certificate is valid.")
    var days = 365

    func run() throws {
        guard let communityID = CommunityID(community) else {
            throw ToolError("'\(community)' is not a community name: use 1-64 of a-z, 0-9 and '-', not at either end")
        }
        guard let nodeRole = NodeConfiguration.Role(rawValue: role) else {
            throw ToolError("unknown role '\(role)': use validator, learner, observer or gateway")
        }
        guard let peerAddress = HostPort(parsing: listen, allowPortZero: true) else { throw ToolError("--listen '\(listen)' is not host:port") }
        var seedAddresses: [HostPort] = []
        for seed in seeds {
            guard let address = HostPort(parsing: seed) else { throw ToolError("--seed '\(seed)' is not host:port") }
            if address != peerAddress, !seedAddresses.contains(address) { seedAddresses.append(address) }
        }
        guard let client = HostPort(parsing: clientListen) else { throw ToolError("--client-listen '\(clientListen)' is not host:port") }
        guard let admin = HostPort(parsing: adminListen) else { throw ToolError("--admin-listen '\(adminListen)' is not host:port") }
        guard client != admin, client != peerAddress, admin != peerAddress else {
            throw ToolError("--listen, --client-listen and --admin-listen must be three different addresses")
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: dir), let contents = try? fm.contentsOfDirectory(atPath: dir), !contents.isEmpty {
            throw ToolError("\(dir) exists and is not empty; choose a new directory")
        }
        do {
            try fm.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: dir + "/tls", withIntermediateDirectories: true)
        } catch {
            throw ToolError("cannot create \(dir): \(error.localizedDescription)")
        }
        let nodeKey = SigningKey.generate()
        let subjectKey = SigningKey.generate()
        try KeyFile.write(nodeKey, to: dir + "/node.key")
        try KeyFile.write(subjectKey, to: dir + "/subject.key")

        // A learner holds a validator certificate: it becomes a voter by a membership change, not a new certificate.
        let certificateRole = nodeRole == .learner ? "validator" : nodeRole.rawValue
        var certificateNote: String
        if let caDir {
            guard let r = CertificateNames.role(named: certificateRole) else { throw ToolError("no certificate role for \(role)") }
            do {
                let issued = try CADirectory(path: caDir).issue(nodeKey: nodeKey.publicKey, role: r, days: days, now: Date(), into: dir + "/tls")
                guard issued.identity.community == communityID else {
                    throw ToolError("the CA in \(caDir) is for '\(issued.identity.community)', not '\(communityID)'")
                }
                certificateNote = "issued \(certificateRole) certificate \(dir)/tls/node.pem (valid until \(issued.identity.notAfter))"
            } catch let error as IdentityError {
                throw ToolError("cannot issue the node certificate: \(error)")
            }
        } else {
            certificateNote = """
            no certificate yet: on the CA's machine run
              civitas ca issue --ca CA_DIR --node-key \(dir)/node.key --role \(certificateRole) --out \(dir)/tls
            """
        }
        let toml = NodeConfiguration.skeleton(community: communityID, role: nodeRole, listen: listen, seeds: seedAddresses,
                                              clientListen: client, adminListen: admin)
        guard fm.createFile(atPath: dir + "/node.toml", contents: Data(toml.utf8)) else { throw ToolError("cannot write \(dir)/node.toml") }
        let article = ["a", "e", "i", "o", "u"].contains(nodeRole.rawValue.prefix(1)) ? "an" : "a"
        let genesisNote = nodeRole == .validator ? """
            genesis: put the community's genesis document at \(dir)/genesis.civ; for this validator pass
              --validator NAME=\(dir)/subject.key,\(dir)/node.key
            to `civitas genesis`.
            """ : """
            genesis: put the community's genesis document at \(dir)/genesis.civ (the same file every node of the community has).
            """
        print("""
        created \(dir) for \(article) \(nodeRole.rawValue) of '\(communityID)'
        node key:    \(dir)/node.key     public \(nodeKey.publicKey.raw.hex)  (\(nodeKey.publicKey.nodeID))
        subject key: \(dir)/subject.key  public \(subjectKey.publicKey.raw.hex)  (\(subjectKey.publicKey.subjectID))
        \(certificateNote)
        configuration: \(dir)/node.toml (peers on \(peerAddress), client API on \(client), admin API on \(admin)\
        \(seedAddresses.isEmpty ? "; no seeds: add [network] seeds before it can find its community" : ", seeds \(seedAddresses.map(\.description).joined(separator: " "))"))
        \(genesisNote)
        """)
    }
}
