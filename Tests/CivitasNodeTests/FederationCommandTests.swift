import CivitasCodec
import CivitasIdentity
import CivitasLedger
import CivitasNode
import Foundation
import Testing

/// `civitas federation init | add | show` and `civitas tx federation-adopt`, as
/// an operator runs them: real processes on real files.
@Suite(.serialized) struct FederationCommandTests {
    static func run(_ arguments: [String], in dir: String) async throws -> (Int32, String) {
        try await runProgram(try CivitasBinary.locate(), arguments, in: dir)
    }

    /// Runs `arguments` and expects it to succeed; its output.
    @discardableResult
    static func ok(_ arguments: [String], in dir: String) async throws -> String {
        let (status, output) = try await run(arguments, in: dir)
        #expect(status == 0, "\(arguments.prefix(3)): \(output)")
        return output
    }

    /// Two communities set up as an operator would: CAs, keys, genesis documents
    /// (lianhua-east with one validator, hehua-north with three).
    static func setUpCity(in dir: String) async throws {
        for c in ["lianhua-east", "hehua-north"] { try await ok(["ca", "init", "--community", c, "--out", "ca-\(c)"], in: dir) }
        for key in ["east-committee", "east-node", "north-committee", "north-node1", "north-node2", "north-node3"] {
            try await ok(["keys", "new", "--out", "\(key).key"], in: dir)
        }
        try await ok(["genesis", "--community", "lianhua-east", "--validator", "Committee=east-committee.key,east-node.key",
                      "--subject", "east-committee.key:Committee:Office:residentsCommittee", "--out", "east.civ"], in: dir)
        try await ok(["genesis", "--community", "hehua-north", "--validator", "A=north-committee.key,north-node1.key",
                      "--validator", "B=north-committee.key,north-node2.key", "--validator", "C=north-committee.key,north-node3.key",
                      "--subject", "north-committee.key:Committee:Office:residentsCommittee", "--out", "north.civ"], in: dir)
    }

    static func document(_ path: String) throws -> FederationDocument {
        try FederationDocument(encoded: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    static func genesis(_ path: String) throws -> GenesisDocument {
        try GenesisDocument(encoded: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test func aDocumentIsBuiltShownAndSignedForAdoptionFromTheCommandLine() async throws {
        try await withScratchDirectoryAsync { dir in
            try await Self.setUpCity(in: dir)
            let created = try await Self.ok(["federation", "init", "--out", "city.fed"], in: dir)
            #expect(created.contains("an empty federation document"), "\(created)")
            #expect(try Self.document(dir + "/city.fed").sequence == 0)
            let (again, againOut) = try await Self.run(["federation", "init", "--out", "city.fed"], in: dir)
            #expect(again != 0 && againOut.contains("city.fed already exists; pass --force to replace it"), "\(againOut)")

            let added = try await Self.ok(["federation", "add", "--document", "city.fed", "--community", "lianhua-east",
                                           "--genesis", "east.civ", "--ca", "ca-lianhua-east/ca.pem"], in: dir)
            #expect(added.contains("added 'lianhua-east'") && added.contains("sequence 1, 1 communities"), "\(added)")
            try await Self.ok(["federation", "add", "--document", "city.fed", "--community", "hehua-north",
                               "--genesis", "north.civ", "--ca", "ca-hehua-north/ca.pem"], in: dir)

            // The file holds each community as its genesis document and its CA say.
            let document = try Self.document(dir + "/city.fed")
            let east = try Self.genesis(dir + "/east.civ"), north = try Self.genesis(dir + "/north.civ")
            #expect(document.sequence == 2 && document.communities.map(\.community.name) == ["hehua-north", "lianhua-east"])
            #expect(document.member(north.community) == FederationMember(genesis: north, caCertificate: document.member(north.community)!.caCertificate))
            #expect(document.member(east.community)?.validators == east.validatorKeys)
            let bundle = try TrustBundle(federation: document)
            #expect(bundle.communities == [east.community, north.community])

            // Shown with names, node IDs and CA fingerprints, and the hash.
            let shown = try await Self.ok(["federation", "show", "city.fed"], in: dir)
            #expect(shown.contains("federation document, sequence 2: 2 communities"), "\(shown)")
            #expect(shown.contains("hash: \(document.hash.hex)"), "\(shown)")
            #expect(shown.contains("\nhehua-north\n") && shown.contains("\nlianhua-east\n"), "\(shown)")
            #expect(shown.contains("genesis:     \(north.hash.hex)") && shown.contains("validators:  3, by node ID in vote order:"), "\(shown)")
            for (i, key) in north.validatorKeys.enumerated() { #expect(shown.contains("#\(i)  \(key.nodeID)"), "\(shown)") }
            for ca in bundle.authorities { #expect(shown.contains("CA SHA-256:  \(ca.fingerprint)"), "\(shown)") }
            #expect(!shown.contains("WRONG"))
            let inspected = try await Self.ok(["inspect", "city.fed"], in: dir)
            #expect(inspected.hasPrefix("federation document ("), "\(inspected)")

            // The gateways' trust bundle, written from the document, reads back as the same CAs.
            let wrote = try await Self.ok(["federation", "bundle", "city.fed", "--out", "federation.pem"], in: dir)
            #expect(wrote.contains("2 community CAs from federation document sequence 2"), "\(wrote)")
            let written = try TrustBundle(pemEncoded: try String(contentsOfFile: dir + "/federation.pem", encoding: .utf8), path: "federation.pem")
            #expect(written == bundle)

            // Adding a community again replaces its entry, as a new version.
            let replaced = try await Self.ok(["federation", "add", "--document", "city.fed", "--community", "lianhua-east",
                                              "--genesis", "east.civ", "--ca", "ca-lianhua-east/ca.pem"], in: dir)
            #expect(replaced.contains("replaced 'lianhua-east'") && replaced.contains("sequence 3, 2 communities"), "\(replaced)")

            // The committee signs the adoption (printed, not sent).
            let printed = try await Self.ok(["tx", "federation-adopt", "--document", "city.fed", "--key", "east-committee.key",
                                             "--community", "lianhua-east", "--nonce", "1", "--print"], in: dir)
            let tx = try Transaction(encoded: try #require(Hex.decode(printed.trimmingCharacters(in: .whitespacesAndNewlines))))
            #expect(tx.hasValidSignature() && tx.community == east.community)
            #expect(tx.payload == .federationAdoption(FederationAdoption(document: try Self.document(dir + "/city.fed"))))
        }
    }

    /// `civitas tx referral`: a case passed to another community, signed like every other transaction.
    @Test func aReferralIsSignedFromTheCommandLine() async throws {
        try await withScratchDirectoryAsync { dir in
            try await Self.ok(["keys", "new", "--out", "committee.key"], in: dir)
            let request = String(repeating: "ab", count: 32)
            let printed = try await Self.ok(["tx", "referral", "--to", "hehua-north", "--kind", "request", "--reference", request,
                                             "--summary", "Their lift company serves Bldg 3 too", "--key", "committee.key",
                                             "--community", "lianhua-east", "--nonce", "4", "--print"], in: dir)
            let tx = try Transaction(encoded: try #require(Hex.decode(printed.trimmingCharacters(in: .whitespacesAndNewlines))))
            #expect(tx.hasValidSignature() && tx.nonce == 4)
            #expect(tx.payload == .referral(Referral(toCommunity: CommunityID("hehua-north")!, kind: .request,
                                                     reference: Hash(Hex.decode(request)!)!, summary: "Their lift company serves Bldg 3 too")))
            let (badTo, badToOut) = try await Self.run(["tx", "referral", "--to", "Hehua North", "--summary", "x", "--key", "committee.key",
                                                        "--community", "lianhua-east", "--nonce", "5", "--print"], in: dir)
            #expect(badTo != 0 && badToOut.contains("--to 'Hehua North' is not a community name"), "\(badToOut)")
            let (badKind, badKindOut) = try await Self.run(["tx", "referral", "--to", "hehua-north", "--kind", "favour", "--summary", "x",
                                                            "--key", "committee.key", "--community", "lianhua-east", "--nonce", "5",
                                                            "--print"], in: dir)
            #expect(badKind != 0 && badKindOut.contains("--kind 'favour': request or resource"), "\(badKindOut)")
        }
    }

    @Test func brokenFilesAndMismatchesAreOneClearLine() async throws {
        try await withScratchDirectoryAsync { dir in
            try await Self.setUpCity(in: dir)
            try await Self.ok(["federation", "init", "--out", "city.fed"], in: dir)
            try Data().write(to: URL(fileURLWithPath: dir + "/empty.fed"))
            try Data([0x41, 0x01, 0xff]).write(to: URL(fileURLWithPath: dir + "/garbage.fed"))
            try await Self.ok(["ca", "bundle", "--out", "bundle.pem", "ca-lianhua-east/ca.pem", "ca-hehua-north/ca.pem"], in: dir)
            let add = ["federation", "add", "--document", "city.fed", "--community", "lianhua-east"]
            let cases: [([String], String)] = [
                (["federation", "show", "missing.fed"], "cannot read the federation document missing.fed: no such file"),
                (["federation", "show", "empty.fed"], "empty.fed is empty; expected a federation document"),
                (["federation", "show", "east.civ"], "east.civ is a genesis document, not a federation document"),
                (["federation", "show", "garbage.fed"], "garbage.fed is not a federation document: "),
                (add + ["--genesis", "north.civ", "--ca", "ca-lianhua-east/ca.pem"],
                 "north.civ is the genesis document of 'hehua-north', not of 'lianhua-east'"),
                (add + ["--genesis", "east.civ", "--ca", "ca-hehua-north/ca.pem"],
                 "ca-hehua-north/ca.pem is the CA certificate of 'hehua-north', not of 'lianhua-east'"),
                (add + ["--genesis", "east.civ", "--ca", "bundle.pem"], "bundle.pem holds 2 CA certificates"),
                (add + ["--genesis", "east.civ", "--ca", "east-node.key"], "no '-----BEGIN CERTIFICATE-----' block"),
                (add + ["--genesis", "city.fed", "--ca", "ca-lianhua-east/ca.pem"], "city.fed is not a genesis document: "),
                (["federation", "add", "--document", "city.fed", "--community", "Lianhua", "--genesis", "east.civ", "--ca", "x"],
                 "'Lianhua' is not a community name"),
                (["tx", "federation-adopt", "--document", "city.fed", "--key", "east-committee.key", "--community", "lianhua-east",
                  "--nonce", "1", "--print"], "city.fed does not list community 'lianhua-east'"),
            ]
            for (arguments, message) in cases {
                let (status, output) = try await Self.run(arguments, in: dir)
                #expect(status != 0 && output.contains(message), "\(arguments): \(output)")
            }
            // Nothing was written by the refused commands.
            #expect(try Self.document(dir + "/city.fed").communities.isEmpty)
        }
    }

    @Test func theAdoptionIsSubmittedLikeEveryOtherTransaction() async throws {
        let chain = TestChain()
        let service = try FakeNodeService(chain: chain)
        try await withScratchDirectoryAsync { dir in
            try Data(chain.key("committee").pemRepresentation.utf8).write(to: URL(fileURLWithPath: "\(dir)/committee.key"))
            let document = try FederationDocument(sequence: 1, communities: [
                FederationMember(genesis: chain.genesis, caCertificate: Array("stand-in CA".utf8)),
            ])
            try Data(document.encoded()).write(to: URL(fileURLWithPath: "\(dir)/city.fed"))
            try await HostileHTTPClientTests.withServer(service, limits: HTTPServerLimits()) { port in
                let output = try await Self.ok(["tx", "federation-adopt", "--document", "city.fed", "--key", "committee.key",
                                                "--node", "http://127.0.0.1:\(port)", "--community", TestChain.community.name,
                                                "--pending-dir", "\(dir)/pending"], in: dir)
                #expect(output.contains("accepted") && output.contains("(federationAdoption, nonce"), "\(output)")
            }
        }
        #expect(service.submissions.map(\.payload) == [.federationAdoption(FederationAdoption(document: try FederationDocument(
            sequence: 1, communities: [FederationMember(genesis: chain.genesis, caCertificate: Array("stand-in CA".utf8))])))])
        #expect(service.submissions.allSatisfy { $0.hasValidSignature() && $0.signer == chain.key("committee").publicKey })
    }
}
