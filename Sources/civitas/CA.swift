import ArgumentParser
import CivitasIdentity
import CivitasLedger
import Foundation

/// `civitas ca …`: community CAs, node certificates, revocation lists and the federation bundle.
struct CA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Community certificate authorities and node certificates (PEM files that openssl reads).",
        discussion: "File layout, the certificate profile and openssl commands to inspect them: docs/identity.md.",
        subcommands: [Init.self, Issue.self, Revoke.self, CRL.self, Bundle.self, Show.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a community CA: DIR/ca.pem, DIR/ca.key (mode 0600) and an empty DIR/crl.pem.")

        @Option(help: "The community's name (a-z, 0-9, '-').")
        var community: String

        @Option(help: "The CA directory to create.")
        var out: String

        @Option(help: "Days the CA certificate is valid.")
        var days = 3650

        @Option(help: "Days the revocation list is valid before it must be re-signed with `civitas ca crl`.")
        var crlDays = CADirectory.defaultCRLDays

        func run() throws {
            guard let id = CommunityID(community) else {
                throw ToolError("'\(community)' is not a community name: use 1-64 of a-z, 0-9 and '-', not at either end")
            }
            let authority = try identity { () throws(IdentityError) in
                try CADirectory.initialize(at: out, community: id, days: days, crlDays: crlDays, now: Date())
            }
            let dir = CADirectory(path: out)
            print("""
            community CA for '\(id)' created
            certificate: \(dir.certificatePath)   (SHA-256 \(authority.ca.fingerprint))
            private key: \(dir.keyPath)   (mode 0600; keep it offline)
            CRL:         \(dir.revocationListPath)
            valid until: \(authority.ca.certificate.notValidAfter)
            """)
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a node certificate and TLS key into OUT (node.pem, tls.key, ca.pem).",
            discussion: """
            --node-key names the node's Ed25519 ledger key (a private key from `civitas keys new`, or its \
            public key PEM); the certificate carries the node ID derived from it. With `--node-key generate` \
            a new ledger key is written to OUT/ledger.key (mode 0600).
            """)

        @Option(help: "The CA directory.")
        var ca: String

        @Option(help: "The node's ledger key PEM file (private or public), or 'generate'.")
        var nodeKey: String

        @Option(help: "validator, observer or gateway.")
        var role: String

        @Option(help: "The node directory to write.")
        var out: String

        @Option(help: "Days the certificate is valid (never beyond the CA's own expiry).")
        var days = 365

        func run() throws {
            guard let nodeRole = CertificateNames.role(named: role) else {
                throw ToolError("unknown role '\(role)': use validator, observer or gateway")
            }
            let ledgerKey: PublicKey
            var generated: SigningKey?
            if nodeKey == "generate" {
                let key = SigningKey.generate()
                ledgerKey = key.publicKey
                generated = key
            } else {
                ledgerKey = try Self.readLedgerKey(nodeKey)
            }
            if generated != nil, FileManager.default.fileExists(atPath: out + "/ledger.key") {
                throw ToolError("\(out)/ledger.key already exists; pass it with --node-key instead of 'generate'")
            }
            let issued = try identity { () throws(IdentityError) in
                try CADirectory(path: ca).issue(nodeKey: ledgerKey, role: nodeRole, days: days, now: Date(), into: out)
            }
            if let generated {
                try KeyFile.write(generated, to: out + "/ledger.key")
            }
            print("""
            issued \(issued.identity.role) certificate for \(issued.identity.nodeID) in community '\(issued.identity.community)'
            serial:      \(issued.identity.serialHex)
            valid until: \(issued.identity.notAfter)
            """)
            for file in issued.files { print("wrote       \(file)") }
            if generated != nil { print("wrote       \(out)/ledger.key (new Ed25519 ledger key, mode 0600)") }
        }

        static func readLedgerKey(_ path: String) throws -> PublicKey {
            guard let data = FileManager.default.contents(atPath: path) else { throw ToolError("cannot read \(path)") }
            let text = String(decoding: data, as: UTF8.self)
            if text.contains("-----BEGIN PUBLIC KEY-----") {
                do { return try PublicKey(pem: text) } catch { throw ToolError("\(path): \(error)") }
            }
            do { return try SigningKey(pem: text).publicKey } catch { throw ToolError("\(path): \(error)") }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a node certificate: add it to DIR/crl.pem and re-sign the list.")

        @Option(help: "The CA directory.")
        var ca: String

        @Option(help: "The certificate to revoke (PEM).")
        var cert: String

        @Option(help: "Days the new revocation list is valid.")
        var crlDays = CADirectory.defaultCRLDays

        func run() throws {
            let list = try identity { () throws(IdentityError) in
                try CADirectory(path: ca).revoke(certificateFile: cert, now: Date(), crlDays: crlDays)
            }
            print("revocation list \(CADirectory(path: ca).revocationListPath) is now number \(list.number) with \(list.entries.count) revoked certificate(s)")
            print("copy it to every node that keeps this community's list; nodes reload it without a restart")
        }
    }

    struct CRL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crl", abstract: "Re-sign the revocation list with a new validity window (run before its next update).")

        @Option(help: "The CA directory.")
        var ca: String

        @Option(help: "Days the new revocation list is valid.")
        var crlDays = CADirectory.defaultCRLDays

        func run() throws {
            let list = try identity { () throws(IdentityError) in
                try CADirectory(path: ca).refreshRevocationList(now: Date(), crlDays: crlDays)
            }
            print("revocation list number \(list.number), next update \(list.nextUpdate.map { "\($0)" } ?? "none")")
        }
    }

    struct Bundle: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a federation trust bundle from community CA certificates (or earlier bundles).")

        @Option(help: "The bundle file to write.")
        var out: String

        @Argument(help: "CA certificate or bundle PEM files.")
        var certificates: [String]

        @Flag(help: "Replace an existing bundle file.")
        var force = false

        func run() throws {
            guard !certificates.isEmpty else { throw ToolError("name at least one CA certificate (DIR/ca.pem)") }
            let bundle = try identity { () throws(IdentityError) in
                var all: [CommunityCACertificate] = []
                for path in certificates {
                    all += try TrustBundle(pemEncoded: IdentityFiles.readText(path), path: path).authorities
                }
                let bundle = TrustBundle(all)
                try IdentityFiles.write(bundle.pemString, to: out, mode: IdentityFiles.publicMode, replace: force)
                return bundle
            }
            print("wrote \(out) with \(bundle.authorities.count) community CA(s):")
            for ca in bundle.authorities { print("  \(ca.community)  SHA-256 \(ca.fingerprint)") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the Civitas identity and validity of a certificate, bundle or revocation list.")

        @Argument(help: "A PEM file: node certificate, CA certificate, bundle or CRL.")
        var path: String

        @Option(help: "Warn when less than this many days remain.")
        var warnDays = 30

        func run() throws {
            let now = Date()
            let warn = TimeInterval(warnDays) * 86_400
            let text = try identity { () throws(IdentityError) in try IdentityFiles.readText(path) }
            if text.contains("-----BEGIN X509 CRL-----") {
                let list = try identity { () throws(IdentityError) in try RevocationList(pemEncoded: text, path: path) }
                print("revocation list")
                print("  issuer:       \(list.issuer)")
                print("  number:       \(list.number)")
                print("  this update:  \(list.thisUpdate)")
                if let next = list.nextUpdate {
                    let days = Int((next.timeIntervalSince(now) / 86_400).rounded(.down))
                    let state = next < now ? "PAST: re-sign it with `civitas ca crl`" : next.timeIntervalSince(now) < ExpiryNotice.defaultListWarning ? "due in \(days) days: re-sign it with `civitas ca crl`" : "in \(days) days"
                    print("  next update:  \(next)  (\(state))")
                }
                print("  revoked:      \(list.entries.isEmpty ? "none" : "\(list.entries.count) certificate(s)")")
                for e in list.entries { print("    serial \(e.serialHex) at \(e.revokedAt)") }
                return
            }
            let certificates = try identity { () throws(IdentityError) in try CertificateDER.certificates(pem: text, path: path) }
            for certificate in certificates {
                if let ca = try? CommunityCACertificate(certificate) {
                    print("community CA")
                    print("  community:    \(ca.community)")
                    print("  SHA-256:      \(ca.fingerprint)")
                    print("  " + ExpiryNotice(item: .communityCA(ca.community), expiresAt: certificate.notValidAfter, now: now, warnWithin: warn).description)
                } else {
                    do {
                        let id = try NodeIdentity(certificate)
                        print("node certificate")
                        print("  node ID:      \(id.nodeID)")
                        print("  community:    \(id.community)")
                        print("  role:         \(id.role)")
                        print("  serial:       \(id.serialHex)")
                        print("  issuer:       \(certificate.issuer)")
                        print("  " + ExpiryNotice(item: .nodeCertificate(id.nodeID), expiresAt: id.notAfter, now: now, warnWithin: warn).description)
                    } catch {
                        print("not a Civitas certificate: \(error)")
                        print("  subject:      \(certificate.subject)")
                    }
                }
                print("  subject:      \(certificate.subject)")
                print("  valid:        \(certificate.notValidBefore) to \(certificate.notValidAfter)")
            }
        }
    }
}

/// Runs an identity operation and turns its error into the tool's one-line error.
private func identity<T>(_ body: () throws(IdentityError) -> T) throws -> T {
    do { return try body() } catch { throw ToolError("\(error)") }
}
