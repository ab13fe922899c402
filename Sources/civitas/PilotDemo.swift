import ArgumentParser
import CivitasLedger
import CivitasPilot
import Foundation

/// `civitas demo`: a pilot community on this machine — 3 validators and 2
/// observers as real processes on loopback with a generated CA, certificates
/// and genesis — a short workload of governance records through the HTTP API,
/// `civitas status` of every node, a summary of the records, a clean shutdown.
struct PilotDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pilot",
        abstract: "Run a pilot community (3 validators, 2 observers) as real processes, drive a workload, print status, stop.")

    @Option(help: "Where to put the community's files (default: a new temporary directory, kept afterwards).")
    var dir: String?

    @Option(help: "First of the loopback ports to use (peer, client API and admin API ports follow).")
    var basePort: Int = 27_000

    func run() async throws {
        let root = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("civitas-demo-\(getpid())").path
        let pilot = PilotCommunity(root: root, binary: try Self.ownBinary(), basePort: basePort)
        say("1. Setting up community '\(pilot.community)' in \(root)")
        try pilot.setUp()
        print("   a community CA, 5 node directories (keys, TLS certificates, node.toml), \(pilot.sample.members.count) subjects, genesis.civ")
        say("2. Starting 3 validators and 2 observers (mutual TLS on loopback)")
        try pilot.startAll()
        do {
            try await pilot.waitUntilReady()
            for node in pilot.nodes { print("   \(node.name): peers 127.0.0.1:\(node.peerPort), client \(node.clientURL), admin \(node.adminURL)") }
            let ids = try await workload(pilot)
            say("4. civitas status of every node")
            for node in pilot.nodes {
                print(try pilot.run(["status", "--node", node.adminURL]).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
                print()
            }
            let chain = try await pilot.waitForAgreement()
            print("   all 5 nodes at height \(chain.height), head \(chain.headHash.prefix(16))…")
            try await summary(pilot, proposal: ids.proposal, request: ids.request)
        } catch {
            print("demo failed: \(error)")
            _ = await pilot.stopAll()
            throw ExitCode(1)
        }
        say("6. Stopping (SIGTERM: each node drains and stops)")
        let statuses = await pilot.stopAll()
        for (node, status) in zip(pilot.nodes, statuses) { print("   \(node.name) exited with status \(status.map(String.init) ?? "?")") }
        guard statuses.allSatisfy({ $0 == 0 }) else { throw ExitCode(1) }
        print("\nDone. Node logs and data are in \(root).")
    }

    // MARK: - The workload

    func workload(_ p: PilotCommunity) async throws -> (proposal: String, request: String) {
        say("3. A morning in the community (every record submitted through an observer, waiting for its block)")
        let observers = p.indices(of: .observer)
        var turn = 0
        func via() -> Int { turn += 1; return observers[turn % observers.count] }
        @discardableResult
        func record(_ who: String, _ what: String, _ payload: TransactionPayload) async throws -> PilotSubmission {
            let s = try await p.submit(payload, as: who, to: via())
            let name = p.sample.member(who).displayName
            if s.applied {
                print("   ✓ \(name): \(what)  [block \(s.height.map(String.init) ?? "?")]")
            } else {
                print("   ✗ \(name): \(what)  → HTTP \(s.status): \(s.reason ?? s.answer?.status ?? "no reason given")")
            }
            return s
        }
        try await record("committee", "notice (general): water off on Tuesday 9:00-12:00", .notice(Notice(
            category: .general, title: "Water off on Tuesday", body: "Pipe maintenance in buildings 1-5, 9:00-12:00.")))
        let accounts = try await record("owners", "notice (finance): Q1 maintenance fund accounts", .notice(Notice(
            category: .finance, title: "Q1 maintenance fund accounts",
            body: "Income 182,400 CNY; lift repairs 61,200 CNY; greening 8,900 CNY.")))
        try await record("owners", "correction superseding the accounts (greening was 9,800 CNY)", .notice(Notice(
            category: .finance, title: "Q1 maintenance fund accounts (corrected)",
            body: "Correction: greening was 9,800 CNY, not 8,900 CNY.", supersedes: accounts.transaction.id)))
        try await record("party", "notice (party affairs): branch meeting on Friday", .notice(Notice(
            category: .partyAffairs, title: "Branch meeting", body: "Friday 19:00 in the activity room.")))
        try await record("wang", "tries to publish a party-affairs notice (a resident may not)", .notice(Notice(
            category: .partyAffairs, title: "Unofficial notice", body: "This should be refused.")))
        let head = await p.status(observers[0])?.chain.height ?? 0
        let terms = ProposalTerms(
            title: "Install a second lift in building 5", description: "Owners share the cost by floor.",
            options: ["yes", "no", "abstain"], eligibleRoles: RoleSet([.resident]), closing: .height(head + 8),
            quorumBasisPoints: 5_000, passBasisPoints: 6_000)
        let proposal = try await record("committee", "opens a proposal: a second lift for building 5 (residents vote; closes at height \(head + 8))",
                                        .proposal(Proposal(terms: terms, endorsements: [])))
        for (who, choice) in [("wang", 0), ("li", 0), ("zhao", 1)] {
            try await record(who, "votes \(terms.options[choice])", .ballot(Ballot(proposal: proposal.transaction.id, choice: UInt32(choice))))
        }
        let request = try await record("wang", "service request: the lift in building 3 stops between floors", .serviceRequest(ServiceRequest(
            serviceCode: "elevator", description: "Lift in building 3 stops between floors 4 and 5.", location: "Bldg 3 lift")))
        try await record("manager", "assigns it to Steady Lift Maintenance", .assignment(Assignment(
            request: request.transaction.id, provider: try p.key("lifts").publicKey.subjectID, note: "Urgent: elderly residents upstairs.")))
        try await record("lifts", "acknowledges", .serviceResponse(ServiceResponse(request: request.transaction.id, status: .acknowledged,
                                                                                   note: "Technician on the way.")))
        try await record("lifts", "resolves it (fixed)", .serviceResponse(ServiceResponse(request: request.transaction.id, status: .resolvedFixed,
                                                                                          note: "Replaced the door sensor.")))
        try await record("wang", "closes it with a rating of 5", .closure(Closure(request: request.transaction.id, outcome: .closed, rating: 5,
                                                                                comment: "Fixed within the morning.")))
        try await record("elders", "records 2.5 volunteer hours for Zhao", .volunteerRecord(VolunteerRecord(
            volunteer: try p.key("zhao").publicKey.subjectID, activity: "Weekly visits to elderly residents", minutes: 150, day: 20_790)))
        // Let the proposal close: blocks keep coming as records arrive.
        var closed = false
        for i in 0..<20 where !closed {
            if let s = await p.status(observers[0]), s.chain.height >= head + 8 { closed = true; break }
            try await record("committee", "notice (general): reminder \(i + 1)", .notice(Notice(
                category: .general, title: "Reminder \(i + 1)", body: "Sorting waste: kitchen waste goes in the green bin.")))
        }
        return (proposal.transaction.id.hex, request.transaction.id.hex)
    }

    // MARK: - The summary

    func summary(_ p: PilotCommunity, proposal proposalID: String, request requestID: String) async throws {
        let reader = p.nodes[p.indices(of: .observer).last!]
        say("5. What the chain now records (read from \(reader.name))")
        let node = reader.clientURL
        print(try p.run(["query", "notices", "--node", node]).indented)
        print(try p.run(["query", "proposal", proposalID, "--node", node]).indented)
        print(try p.run(["query", "service-request", requestID, "--node", node]).indented)
        print(try p.run(["query", "providers", "--node", node]).indented)
        print(try p.run(["query", "volunteers", "--node", node]).indented)
    }

    // MARK: - Helpers

    static func ownBinary() throws -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    func say(_ line: String) { print("\n" + line) }
}

extension String {
    var indented: String { split(separator: "\n", omittingEmptySubsequences: false).map { "   " + $0 }.joined(separator: "\n") }
}
