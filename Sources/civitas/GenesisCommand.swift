import ArgumentParser
import CivitasLedger
import Foundation
import CivitasNode

/// `civitas genesis`: builds a community's genesis document.
struct GenesisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genesis",
        abstract: "Build a genesis document from the founding validators and subjects.",
        discussion: """
        Keys are 64 hex digits or key files (PEM, public or private). Flags:
          --validator NAME=SUBJECT_KEY,NODE_KEY     (repeat; the order is the validator order)
          --subject KEY:DISPLAY NAME:UNIT:ROLE+ROLE (repeat)
          --registrar KEY                           (repeat; default: every residentsCommittee subject)
        or --from FILE, a TOML or JSON file with the same content:
          community = "lianhua-east"
          registrars = ["<hex>"]
          [[validators]]  name = "committee", subject = "<hex>", node = "<hex>"
          [[subjects]]    key = "<hex>", display_name = "Wang", unit = "Bldg 3-201", roles = ["resident"]
        Flags add to the file. The document is written as its canonical bytes (`civitas inspect` reads it).
        """)

    @Option(help: "The community's name (overrides the file's).")
    var community: String?

    @Option(name: .customLong("validator"), help: "NAME=SUBJECT_KEY,NODE_KEY")
    var validators: [String] = []

    @Option(name: .customLong("subject"), help: "KEY:DISPLAY NAME:UNIT:ROLE+ROLE")
    var subjects: [String] = []

    @Option(name: .customLong("registrar"), help: "A subject key that may register subjects.")
    var registrars: [String] = []

    @Option(name: .customLong("from"), help: "A TOML or JSON file listing validators, subjects and registrars.")
    var file: String?

    @Option(help: "Genesis time in milliseconds since the Unix epoch (default: now).")
    var time: UInt64?

    @Option(help: "Milliseconds between blocks.")
    var blockIntervalMs: UInt64 = 200

    @Option(help: "Blocks between checkpoints.")
    var checkpointInterval: UInt64 = 100

    @Option(help: "Endorsements a proposal needs.")
    var proposalEndorsements: UInt32 = 10

    @Option(help: "Volunteer points per hour.")
    var pointsPerHour: UInt32 = 10

    @Option(help: "Where to write the document.")
    var out: String

    @Flag(help: "Replace an existing file.")
    var force = false

    func run() throws {
        var spec = GenesisSpec()
        if let file {
            do { spec = try GenesisSpec.read(path: file) } catch { throw ToolError("\(error)") }
        }
        guard let name = community ?? spec.community else { throw ToolError("name the community with --community") }
        guard let communityID = CommunityID(name) else { throw ToolError("'\(name)' is not a community name") }

        var validatorEntries: [ValidatorEntry] = []
        for v in spec.validators ?? [] {
            validatorEntries.append(ValidatorEntry(
                name: v.name, subject: try KeyReference.publicKey(v.subject, what: "validator \(v.name) subject"),
                nodeKey: try KeyReference.publicKey(v.node, what: "validator \(v.name) node")))
        }
        for text in validators { validatorEntries.append(try Self.parseValidator(text)) }
        guard !validatorEntries.isEmpty else { throw ToolError("name at least one validator (--validator NAME=SUBJECT_KEY,NODE_KEY)") }
        guard Set(validatorEntries.map(\.nodeKey)).count == validatorEntries.count else { throw ToolError("two validators share a node key") }

        var genesisSubjects: [GenesisSubject] = []
        for s in spec.subjects ?? [] {
            genesisSubjects.append(GenesisSubject(
                key: try KeyReference.publicKey(s.key, what: "subject \(s.displayName)"), displayName: s.displayName, unit: s.unit,
                roles: try KeyReference.roles(s.roles.joined(separator: "+"), what: "subject \(s.displayName)")))
        }
        for text in subjects { genesisSubjects.append(try Self.parseSubject(text)) }
        guard Set(genesisSubjects.map(\.key)).count == genesisSubjects.count else { throw ToolError("a subject key is listed twice") }

        var registrarKeys = try (spec.registrars ?? []).map { try KeyReference.publicKey($0, what: "registrar") }
        registrarKeys += try registrars.map { try KeyReference.publicKey($0, what: "--registrar") }
        if registrarKeys.isEmpty {
            registrarKeys = genesisSubjects.filter { $0.roles.contains(.residentsCommittee) }.map(\.key)
        }
        try Self.checkSomeoneCanAct(registrars: registrarKeys, subjects: genesisSubjects, validators: validatorEntries)
        let document = GenesisDocument(
            community: communityID, time: time ?? UInt64(Date().timeIntervalSince1970 * 1_000), validators: validatorEntries,
            registrars: Array(Set(registrarKeys)), subjects: genesisSubjects,
            parameters: GenesisParameters(blockInterval: blockIntervalMs, checkpointInterval: checkpointInterval,
                                          proposalEndorsements: proposalEndorsements, pointsPerHour: pointsPerHour))
        let bytes = document.encoded()
        do {
            _ = try GenesisDocument(encoded: bytes)
        } catch {
            throw ToolError("the document does not validate: \(error)")
        }
        if FileManager.default.fileExists(atPath: out) && !force { throw ToolError("\(out) already exists; pass --force to replace it") }
        guard FileManager.default.createFile(atPath: out, contents: Data(bytes)) else { throw ToolError("cannot write \(out)") }
        print("""
        wrote \(out) (\(bytes.count) bytes)
        community:  \(communityID)
        validators: \(validatorEntries.count), subjects: \(genesisSubjects.count), registrars: \(Set(registrarKeys).count)
        hash:       \(document.hash.hex)
        """)
    }

    /// A community where nobody can register anyone can never do anything:
    /// refused. A validator whose subject is not registered can sign nothing
    /// until a registrar registers it: a warning.
    static func checkSomeoneCanAct(registrars: [PublicKey], subjects: [GenesisSubject], validators: [ValidatorEntry]) throws {
        let registered = Set(subjects.map(\.key))
        guard registrars.contains(where: registered.contains) else {
            throw ToolError("""
                no registrar is a registered subject, so nobody could ever register anyone and the community could record nothing. \
                Give a subject the residentsCommittee role (--subject KEY:NAME:UNIT:residentsCommittee), or name a subject \
                with --registrar KEY (it must also be given with --subject)
                """)
        }
        for v in validators where !registered.contains(v.subject) {
            FileHandle.standardError.write(Data("""
                warning: validator \(v.name)'s subject is not a registered subject (add it with --subject): \
                it can sign nothing until a registrar registers it

                """.utf8))
        }
    }

    static func parseValidator(_ text: String) throws -> ValidatorEntry {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        let keys = parts.count == 2 ? parts[1].split(separator: ",").map(String.init) : []
        guard parts.count == 2, !parts[0].isEmpty, keys.count == 2 else {
            throw ToolError("--validator '\(text)' is not NAME=SUBJECT_KEY,NODE_KEY")
        }
        return ValidatorEntry(name: parts[0], subject: try KeyReference.publicKey(keys[0], what: "validator \(parts[0]) subject"),
                              nodeKey: try KeyReference.publicKey(keys[1], what: "validator \(parts[0]) node"))
    }

    static func parseSubject(_ text: String) throws -> GenesisSubject {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, !parts[1].isEmpty else {
            throw ToolError("--subject '\(text)' is not KEY:DISPLAY NAME:UNIT:ROLE+ROLE (use --from FILE for names with ':')")
        }
        return GenesisSubject(key: try KeyReference.publicKey(parts[0], what: "subject \(parts[1])"), displayName: parts[1],
                              unit: parts[2], roles: try KeyReference.roles(parts[3], what: "subject \(parts[1])"))
    }
}
