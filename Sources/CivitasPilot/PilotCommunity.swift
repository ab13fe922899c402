public import CivitasLedger
public import CivitasNode
public import CivitasSample
import Foundation
import Synchronization
import TOMLKit

/// A pilot community on one machine: validators and observers as real
/// `civitas node run` processes on loopback, set up the way an operator
/// would — `civitas ca init`, `civitas init` per node, `civitas genesis` —
/// with mutual TLS between them, its members those of a `SampleCommunity`.
/// `civitas demo` and the real-process tests use it; a city is several of
/// them, each with its own sample name, directory and base port.
public final class PilotCommunity: Sendable {
    public let sample: SampleCommunity
    public let root: String
    /// The `civitas` executable.
    public let binary: String
    public let nodes: [PilotNode]
    /// Extra `[api]` keys written into every node.toml (e.g. shorter timeouts for a test).
    public let apiSettings: [String: Int]
    let state = Mutex(State())

    struct State {
        /// Members' keys, by member name, once set up.
        var keys: [String: SigningKey] = [:]
        var processes: [Int: Process] = [:]
        /// The last nonce each member used through `submit(_:as:to:)`.
        var nonces: [String: UInt64] = [:]
    }

    /// Takes ports `basePort ..< basePort + PilotNode.portSpan`.
    public init(_ sample: SampleCommunity = .lianhuaEast, root: String, binary: String, validators: Int = 3, observers: Int = 2,
                gateways: Int = 0, basePort: Int, apiSettings: [String: Int] = [:]) {
        self.sample = sample
        self.root = root
        self.binary = binary
        self.apiSettings = apiSettings
        nodes = PilotNode.layout(root: root, validators: validators, observers: observers, gateways: gateways, basePort: basePort)
    }

    /// A community dropped with nodes still running (by a caller that threw
    /// past its `stopAll`) kills them rather than leave them behind.
    deinit { killAll() }

    public var community: CommunityID { sample.community }

    /// The indices of the nodes of `role`, in order.
    public func indices(of role: NodeConfiguration.Role) -> [Int] { nodes.indices.filter { nodes[$0].role == role } }

    /// The key `member` signs with (known once the community is set up).
    public func key(_ member: String) throws -> SigningKey {
        let (key, setUp) = state.withLock { ($0.keys[member], !$0.keys.isEmpty) }
        guard let key else {
            throw PilotFailure(setUp ? "\(community) has no member named '\(member)'" : "\(community) is not set up yet: call setUp()")
        }
        return key
    }

    // MARK: - Setting up

    /// Creates the CA, every node's directory, the members' keys and the genesis document.
    public func setUp() throws {
        try FileManager.default.createDirectory(atPath: root + "/subjects", withIntermediateDirectories: true)
        try run(["ca", "init", "--community", community.name, "--out", root + "/ca"])
        // Every node contacts the first two validators first (init leaves out a node's own address).
        let seeds = nodes.filter { $0.role == .validator }.prefix(2).flatMap { ["--seed", $0.peerAddress] }
        for node in nodes {
            try run(["init", "--community", community.name, "--role", node.role.rawValue, "--dir", node.directory,
                     "--ca-dir", root + "/ca", "--listen", node.peerAddress, "--client-listen", node.clientAddress,
                     "--admin-listen", node.adminAddress] + seeds)
            if !apiSettings.isEmpty { try addAPISettings(to: node.directory + "/node.toml") }
        }
        let keys = try memberKeys()
        let validators = nodes.filter { $0.role == .validator }
        try writeGenesis(nodeKeys: validators.map { try Self.readKey($0.directory + "/node.key").publicKey }, keys: keys)
        state.withLock { $0.keys = keys }
    }

    /// Node `i`'s node.toml with `[section] key = urls` set (it takes effect when the node starts).
    public func configure(_ i: Int, section: String, key: String, urls: [String]) throws {
        let path = nodes[i].directory + "/node.toml"
        let table = try TOMLTable(string: try String(contentsOfFile: path, encoding: .utf8))
        let part = table[section]?.table ?? TOMLTable()
        part[key] = TOMLArray(urls)
        table[section] = part
        try table.convert().write(toFile: path, atomically: true, encoding: .utf8)
    }

    func addAPISettings(to path: String) throws {
        let table = try TOMLTable(string: try String(contentsOfFile: path, encoding: .utf8))
        let api = table["api"]?.table ?? TOMLTable()
        for (key, value) in apiSettings { api[key] = value }
        table["api"] = api
        try table.convert().write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A member whose subject a validator serves signs with the operator's key
    /// `civitas init` wrote into that validator's directory (the first one
    /// serving it); every other member gets a key of its own, kept in subjects/.
    func memberKeys() throws -> [String: SigningKey] {
        var keys: [String: SigningKey] = [:]
        for (i, node) in nodes.filter({ $0.role == .validator }).enumerated() where keys[sample.validatorSubject(i).name] == nil {
            keys[sample.validatorSubject(i).name] = try Self.readKey(node.directory + "/subject.key")
        }
        for member in sample.members where keys[member.name] == nil {
            let key = SigningKey.generate()
            try key.pemRepresentation.write(toFile: root + "/subjects/\(member.name).key", atomically: true, encoding: .utf8)
            keys[member.name] = key
        }
        return keys
    }

    /// `civitas genesis` with the sample's validators, subjects, registrars
    /// and parameters as flags; the document it writes must be the sample's.
    func writeGenesis(nodeKeys: [PublicKey], keys: [String: SigningKey]) throws {
        let key = { (member: SampleMember) in keys[member.name]!.publicKey }
        let path = root + "/genesis.civ"
        let p = sample.parameters
        var arguments = ["genesis", "--community", community.name, "--out", path,
                         "--block-interval-ms", "\(p.blockInterval)", "--checkpoint-interval", "\(p.checkpointInterval)",
                         "--proposal-endorsements", "\(p.proposalEndorsements)", "--points-per-hour", "\(p.pointsPerHour)"]
        arguments += p.responseDeadlines.flatMap { ["--response-deadline", "\($0.serviceCode)=\($0.seconds)"] }
        arguments += sample.validators(nodeKeys: nodeKeys, key: key).flatMap {
            ["--validator", "\($0.name)=\($0.subject.raw.hex),\($0.nodeKey.raw.hex)"]
        }
        arguments += sample.subjects(key: key).flatMap {
            ["--subject", "\($0.key.raw.hex):\($0.displayName):\($0.unit):" + $0.roles.roles.map(\.description).joined(separator: "+")]
        }
        arguments += sample.registrars.flatMap { ["--registrar", key(sample.member($0)).raw.hex] }
        try run(arguments)
        let written = try GenesisDocument(encoded: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        let expected = sample.genesis(time: written.time, nodeKeys: nodeKeys, key: key)
        let differing = [("community", written.community == expected.community), ("validators", written.validators == expected.validators),
                         ("registrars", written.registrars == expected.registrars), ("subjects", written.subjects == expected.subjects),
                         ("parameters", written.parameters == expected.parameters)].filter { !$0.1 }.map(\.0)
        guard differing.isEmpty else {
            throw PilotFailure("civitas genesis wrote other \(differing.joined(separator: ", ")) than the sample's: a flag is missing")
        }
        for node in nodes {
            try FileManager.default.copyItem(atPath: path, toPath: node.directory + "/genesis.civ")
        }
    }

    static func readKey(_ path: String) throws -> SigningKey {
        try SigningKey(pem: try String(contentsOfFile: path, encoding: .utf8))
    }

    /// Runs the tool to completion; throws with its output if it fails.
    @discardableResult
    public func run(_ arguments: [String]) throws -> String {
        let (status, text) = try runAllowingFailure(arguments)
        guard status == 0 else {
            throw PilotFailure("civitas \(arguments.prefix(2).joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }

    /// Runs the tool to completion: its exit status and output.
    public func runAllowingFailure(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
