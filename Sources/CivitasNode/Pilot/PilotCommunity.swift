public import CivitasLedger
public import Foundation
import TOMLKit

/// A pilot community on one machine: validators and observers as real
/// `civitas node run` processes on loopback, set up the way an operator
/// would — `civitas ca init`, `civitas init` per node, `civitas genesis` —
/// with mutual TLS between them. `make demo` and the real-process tests use it.
public final class PilotCommunity: @unchecked Sendable {
    public struct Member: Sendable {
        public let name: String
        public let display: String
        public let unit: String
        public let roles: [Role]
        public let key: SigningKey
    }

    public struct Node: Sendable {
        public let name: String
        public let role: String
        public let directory: String
        public let peerPort: Int
        public let clientPort: Int
        public let adminPort: Int
        public var clientURL: String { "http://127.0.0.1:\(clientPort)" }
        public var adminURL: String { "http://127.0.0.1:\(adminPort)" }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public let root: String
    public let binary: String
    public let community: String
    public private(set) var nodes: [Node] = []
    public private(set) var members: [String: Member] = [:]
    private var processes: [Int: Process] = [:]
    /// Extra `[api]` keys written into every node.toml (e.g. shorter timeouts for a test).
    public var apiSettings: [String: Int] = [:]
    private var nonces: [String: UInt64] = [:]

    /// `binary` is the `civitas` executable; `basePort` + 0..<3×nodes are used.
    public init(root: String, binary: String, community: String = "lianhua-east", validators: Int = 3, observers: Int = 2,
                basePort: Int) {
        self.root = root
        self.binary = binary
        self.community = community
        for i in 0..<(validators + observers) {
            let isValidator = i < validators
            let name = isValidator ? "validator-\(i + 1)" : "observer-\(i - validators + 1)"
            nodes.append(Node(name: name, role: isValidator ? "validator" : "observer", directory: root + "/" + name,
                              peerPort: basePort + i, clientPort: basePort + 100 + i, adminPort: basePort + 200 + i))
        }
    }

    // MARK: - Setting up

    /// Creates the CA, every node's directory, the community's subjects and the genesis document.
    public func setUp() throws {
        try FileManager.default.createDirectory(atPath: root + "/subjects", withIntermediateDirectories: true)
        try run(["ca", "init", "--community", community, "--out", root + "/ca"])
        let seeds = nodes.filter { $0.role == "validator" }.prefix(2).flatMap { ["--seed", "127.0.0.1:\($0.peerPort)"] }
        for node in nodes {
            try run(["init", "--community", community, "--role", node.role, "--dir", node.directory, "--ca-dir", root + "/ca",
                     "--listen", "127.0.0.1:\(node.peerPort)", "--client-listen", "127.0.0.1:\(node.clientPort)",
                     "--admin-listen", "127.0.0.1:\(node.adminPort)"] + seeds)
            if !apiSettings.isEmpty {
                let path = node.directory + "/node.toml"
                let table = try TOMLTable(string: try String(contentsOfFile: path, encoding: .utf8))
                let api = table["api"]?.table ?? TOMLTable()
                for (key, value) in apiSettings { api[key] = value }
                table["api"] = api
                try table.convert().write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
        // The validators serve the three committees; the rest of the community signs with its own keys.
        let validatorSubjects = [("committee", "Residents' Committee", "Community Centre", [Role.residentsCommittee]),
                                 ("party", "Party Branch", "Community Centre", [.partyBranch]),
                                 ("owners", "Owners' Committee", "Bldg 1 Office", [.ownersCommittee])]
        let others: [(String, String, String, [Role])] = [
            ("manager", "Greenleaf Property Management", "Bldg 1 Lobby", [.propertyManager]),
            ("street", "Lianhua Street Office", "Street Office", [.streetOffice]),
            ("elders", "Silver Age Volunteers", "Activity Room", [.socialOrganization]),
            ("lifts", "Steady Lift Maintenance Co.", "Service Depot", [.serviceProvider]),
            ("wang", "Wang (resident)", "Bldg 3-201", [.resident]),
            ("li", "Li (resident)", "Bldg 5-602", [.resident]),
            ("zhao", "Zhao (resident)", "Bldg 2-104", [.resident]),
            ("chen", "Chen (resident)", "Bldg 4-303", [.resident]),
        ]
        var arguments = ["genesis", "--community", community, "--out", root + "/genesis.civ", "--block-interval-ms", "100",
                         "--checkpoint-interval", "20", "--proposal-endorsements", "2"]
        let validators = nodes.filter { $0.role == "validator" }
        for (i, node) in validators.enumerated() {
            let subject = try Self.readKey(node.directory + "/subject.key")
            let nodeKey = try Self.readKey(node.directory + "/node.key")
            let (id, display, unit, roles) = validatorSubjects[i % validatorSubjects.count]
            let name = i < validatorSubjects.count ? id : "\(id)-\(i + 1)"
            members[name] = Member(name: name, display: display, unit: unit, roles: roles, key: subject)
            arguments += ["--validator", "\(display) node=\(subject.publicKey.raw.hex),\(nodeKey.publicKey.raw.hex)"]
        }
        for (name, display, unit, roles) in others {
            let key = SigningKey.generate()
            let path = root + "/subjects/\(name).key"
            try key.pemRepresentation.write(toFile: path, atomically: true, encoding: .utf8)
            members[name] = Member(name: name, display: display, unit: unit, roles: roles, key: key)
        }
        for member in members.values.sorted(by: { $0.name < $1.name }) {
            arguments += ["--subject", "\(member.key.publicKey.raw.hex):\(member.display):\(member.unit):"
                + member.roles.map(\.description).joined(separator: "+")]
        }
        try run(arguments)
        for node in nodes {
            try FileManager.default.copyItem(atPath: root + "/genesis.civ", toPath: node.directory + "/genesis.civ")
        }
    }

    static func readKey(_ path: String) throws -> SigningKey {
        try SigningKey(pem: try String(contentsOfFile: path, encoding: .utf8))
    }

    /// Runs the tool to completion; throws with its output if it fails.
    @discardableResult
    public func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure("civitas \(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }

    // MARK: - Processes

    public func start(_ i: Int) throws {
        let node = nodes[i]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["node", "run", "--config", node.directory + "/node.toml"]
        let log = node.directory + "/node.log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes[i] = process
    }

    public func startAll() throws {
        for i in nodes.indices { try start(i) }
    }

    /// Sends `signal` to node `i` (SIGTERM drains, SIGKILL is a crash) and waits for it to exit; returns its status.
    @discardableResult
    public func stop(_ i: Int, signal: Int32 = SIGTERM, timeout: Duration = .seconds(20)) async -> Int32? {
        guard let process = processes[i] else { return nil }
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        processes[i] = nil
        return process.terminationStatus
    }

    /// Stops every node gracefully; returns the exit statuses.
    public func stopAll() async -> [Int32?] {
        var statuses: [Int32?] = []
        for i in nodes.indices { statuses.append(await stop(i)) }
        return statuses
    }

    public func isRunning(_ i: Int) -> Bool { processes[i]?.isRunning ?? false }

    /// Node `i`'s process ID while it runs.
    public func processID(_ i: Int) -> Int32? { processes[i].map(\.processIdentifier) }

    // MARK: - Talking to the nodes

    public func status(_ i: Int) async -> NodeStatusReport? {
        guard let client = NodeHTTPClient(base: nodes[i].adminURL, timeout: 5),
              let answer = try? await client.get("/status"), answer.status == 200 else { return nil }
        return try? JSONDecoder().decode(NodeStatusReport.self, from: answer.body)
    }

    /// Waits until every running node answers `/readyz` with 200 and sees a leader.
    public func waitUntilReady(timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        var waiting: [String] = []
        while ContinuousClock.now < deadline {
            waiting = []
            for i in nodes.indices where isRunning(i) {
                guard let client = NodeHTTPClient(base: nodes[i].adminURL, timeout: 2) else { continue }
                do {
                    let answer = try await client.get("/readyz")
                    if answer.status != 200 { waiting.append("\(nodes[i].name): \(String(decoding: answer.body, as: UTF8.self))") }
                } catch {
                    waiting.append("\(nodes[i].name): \(error)")
                }
            }
            if waiting.isEmpty { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Failure("the community was not ready within \(timeout): \(waiting.joined(separator: "; ")); logs in \(root)/*/node.log")
    }

    /// Waits until every running node reports the same height ≥ `height` and the same head.
    public func waitForAgreement(atLeast height: UInt64 = 0, timeout: Duration = .seconds(60)) async throws -> NodeStatusReport.Chain {
        let deadline = ContinuousClock.now + timeout
        var last: [NodeStatusReport.Chain] = []
        while ContinuousClock.now < deadline {
            last = []
            for i in nodes.indices where isRunning(i) {
                if let s = await status(i) { last.append(s.chain) }
            }
            if last.count == nodes.indices.filter(isRunning).count, let first = last.first, first.height >= height,
               last.allSatisfy({ $0.height == first.height && $0.headHash == first.headHash }) {
                return first
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw Failure("nodes did not agree on one head at height ≥ \(height): \(last.map { "\($0.height)/\($0.headHash.prefix(8))" })")
    }

    /// What the node said about a submission.
    public struct Submission: Sendable {
        public let transaction: Transaction
        public let status: Int
        public let body: String
        public var committed: Bool { status == 200 && body.contains("\"committed\"") }
        public var applied: Bool { committed && body.contains("\"applied\":true") }
    }

    /// Signs `payload` as `member` with its next nonce and submits it to node `i`, waiting for the commit.
    public func submit(_ payload: TransactionPayload, as member: String, to i: Int, wait: Bool = true,
                       nonce explicit: UInt64? = nil) async throws -> Submission {
        guard let m = members[member] else { throw Failure("no member named \(member)") }
        let nonce = explicit ?? (nonces[member, default: 0] + 1)
        let tx = UnsignedTransaction(community: CommunityID(community)!, signer: m.key.publicKey, nonce: nonce,
                                     time: Timestamp(Date().timeIntervalSince1970 * 1000), payload: payload).signed(with: m.key)
        let submission = try await submit(tx, to: i, wait: wait)
        if explicit == nil, submission.status < 300 { nonces[member] = nonce }
        return submission
    }

    public func submit(_ tx: Transaction, to i: Int, wait: Bool = true) async throws -> Submission {
        guard let client = NodeHTTPClient(base: nodes[i].clientURL, timeout: 30) else { throw Failure("bad URL") }
        let path = wait ? "/v1/transactions?wait=committed&timeout_ms=20000" : "/v1/transactions"
        let answer = try await client.post(path, body: Data(tx.encoded()), contentType: "application/octet-stream")
        return Submission(transaction: tx, status: answer.status, body: String(decoding: answer.body, as: UTF8.self))
    }

    /// The next nonce this pilot would use for `member` (after submissions it made).
    public func nextNonce(_ member: String) -> UInt64 { nonces[member, default: 0] + 1 }
}
