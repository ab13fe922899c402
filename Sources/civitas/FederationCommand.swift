import ArgumentParser
import CivitasCodec
import CivitasIdentity
import CivitasLedger
import Foundation

/// `civitas federation init | add | show`: the city's federation document —
/// its communities with their genesis hashes, validator keys and CA
/// certificates (docs/federation.md). A community joins by adopting it with
/// `civitas tx federation-adopt`.
struct FederationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "federation",
        abstract: "Build and read the city's federation document (communities, genesis hashes, validator keys, CAs).",
        discussion: """
        The document is written as its canonical bytes (docs/codec.md, type 0x41). Every change made with `add` \
        raises its sequence by one: a community that adopted an earlier version can adopt the new one.
        """,
        subcommands: [Init.self, Add.self, Show.self, Bundle.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write an empty federation document (sequence 0, no communities).")

        @Option(help: "Where to write the document.")
        var out: String

        @Flag(help: "Replace an existing file.")
        var force = false

        func run() throws {
            if FileManager.default.fileExists(atPath: out) && !force { throw ToolError("\(out) already exists; pass --force to replace it") }
            let document = try FederationFile.build { () throws(LedgerError) in try FederationDocument(sequence: 0, communities: []) }
            try FederationFile.write(document, to: out)
            print("wrote \(out): an empty federation document; add communities with `civitas federation add --document \(out) …`")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a community to a federation document, or replace its entry (a new genesis, validators or CA).",
            discussion: "The validator keys are the genesis document's, in its vote order; the CA certificate is the community's `ca.pem`.")

        @Option(help: "The federation document to change (written back in place).")
        var document: String

        @Option(help: "The community's name.")
        var community: String

        @Option(help: "The community's genesis document (from `civitas genesis`).")
        var genesis: String

        @Option(help: "The community's CA certificate (PEM, from `civitas ca init`).")
        var ca: String

        func run() throws {
            guard let name = CommunityID(community) else {
                throw ToolError("'\(community)' is not a community name: use 1-64 of a-z, 0-9 and '-', not at either end")
            }
            let current = try FederationFile.read(document)
            let genesisDocument = try FederationFile.readGenesis(genesis)
            guard genesisDocument.community == name else {
                throw ToolError("\(genesis) is the genesis document of '\(genesisDocument.community)', not of '\(name)'")
            }
            let authority = try Self.readCA(ca, community: name)
            let member = FederationMember(genesis: genesisDocument, caCertificate: CertificateDER.der(authority.certificate))
            let replaced = current.member(name) != nil
            let updated = try FederationFile.build { () throws(LedgerError) in try current.setting(member) }
            try FederationFile.write(updated, to: document)
            print("""
            \(replaced ? "replaced" : "added") '\(name)': genesis \(genesisDocument.hash.hex), \(member.validators.count) validator(s), CA SHA-256 \(authority.fingerprint)
            \(document): sequence \(updated.sequence), \(updated.communities.count) communities, \(updated.fieldsSize + 2) bytes
            hash: \(updated.hash.hex)
            """)
        }

        /// The one community CA certificate in `path`, which must serve `community`.
        static func readCA(_ path: String, community: CommunityID) throws -> CommunityCACertificate {
            let authorities: [CommunityCACertificate]
            do {
                authorities = try TrustBundle(pemEncoded: try IdentityFiles.readText(path), path: path).authorities
            } catch {
                throw ToolError("\(error)")
            }
            guard authorities.count == 1, let ca = authorities.first else {
                throw ToolError("\(path) holds \(authorities.count) CA certificates; give the one community's ca.pem")
            }
            guard ca.community == community else {
                throw ToolError("\(path) is the CA certificate of '\(ca.community)', not of '\(community)'")
            }
            return ca
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a federation document: its communities, validators and CAs, and its hash.")

        @Argument(help: "The federation document.")
        var path: String

        func run() throws {
            let document = try FederationFile.read(path)
            print("federation document, sequence \(document.sequence): \(document.communities.count) communities, \(document.fieldsSize + 2) bytes")
            print("hash: \(document.hash.hex)")
            for member in document.communities {
                print("")
                print(member.community.name)
                print("  genesis:     \(member.genesisHash.hex)")
                print("  validators:  \(member.validators.count), by node ID in vote order:")
                for (i, key) in member.validators.enumerated() { print("    #\(i)  \(key.nodeID)") }
                do {
                    let ca = try CommunityCACertificate(try CertificateDER.certificate(member.caCertificate))
                    let mismatch = ca.community == member.community ? "" : "  (WRONG: it serves '\(ca.community)')"
                    print("  CA:          \(ca.community)\(mismatch), valid until \(ca.certificate.notValidAfter)")
                    print("  CA SHA-256:  \(ca.fingerprint)")
                } catch {
                    print("  CA:          not a Civitas community CA certificate (\(member.caCertificate.count) bytes): \(error)")
                }
            }
        }
    }
}

extension FederationCommand {
    /// `civitas federation bundle DOC --out FILE`: the trust bundle a gateway
    /// loads (`[tls] trust_bundle`), written from the document — each
    /// community's CA, checked to serve the community it is listed for. A
    /// gateway takes a new version without a restart: write the bundle again
    /// and send it SIGHUP (`systemctl reload`), which reloads its certificates
    /// and trust and closes links the new trust refuses.
    struct Bundle: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the city's CA trust bundle (PEM) from a federation document, for gateways' [tls] trust_bundle.")

        @Argument(help: "The federation document.")
        var path: String

        @Option(help: "Where to write the PEM bundle (replaced atomically).")
        var out: String

        func run() throws {
            let document = try FederationFile.read(path)
            let bundle: TrustBundle
            do {
                bundle = try TrustBundle(federation: document)
            } catch {
                throw ToolError("\(path): \(error)")
            }
            try Data(bundle.pemString.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            print("wrote \(out): \(bundle.authorities.count) community CAs from federation document sequence \(document.sequence) (\(document.hash.hex.prefix(16))…)")
        }
    }
}

/// Reading and writing federation documents (and the genesis documents `add` takes), with one-line errors.
enum FederationFile {
    /// A federation document is at most this large (60 KiB of fields; anything far larger is not one).
    static let maxFileBytes = 1 << 20

    static func read(_ path: String) throws -> FederationDocument {
        let bytes = try readBytes(path, what: "federation document")
        if bytes.first == GenesisDocument.typeTag {
            throw ToolError("\(path) is a genesis document, not a federation document (make one with `civitas federation init`)")
        }
        do {
            return try FederationDocument(encoded: bytes)
        } catch {
            throw ToolError("\(path) is not a federation document: \(error)")
        }
    }

    static func readGenesis(_ path: String) throws -> GenesisDocument {
        let bytes = try readBytes(path, what: "genesis document")
        do {
            return try GenesisDocument(encoded: bytes)
        } catch {
            throw ToolError("\(path) is not a genesis document: \(error)")
        }
    }

    static func readBytes(_ path: String, what: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ToolError("cannot read the \(what) \(path): no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw ToolError("cannot read the \(what) \(path)") }
        guard !data.isEmpty else { throw ToolError("\(path) is empty; expected a \(what)") }
        guard data.count <= maxFileBytes else { throw ToolError("\(path) is \(data.count) bytes; a \(what) is far smaller") }
        return [UInt8](data)
    }

    /// Writes the document's canonical bytes atomically (a reader never sees half a file).
    static func write(_ document: FederationDocument, to path: String) throws {
        do {
            try Data(document.encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ToolError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Runs a document-building step and turns its error into the tool's one-line error.
    static func build(_ body: () throws(LedgerError) -> FederationDocument) throws -> FederationDocument {
        do { return try body() } catch { throw ToolError("\(error)") }
    }
}
