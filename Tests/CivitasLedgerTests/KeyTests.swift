import CivitasTestSupport
import CivitasCodec
import CivitasLedger
import Foundation
import Testing

@Suite("Keys and PEM")
struct KeyTests {
    static let openssl = "/usr/bin/openssl"
    static let hasOpenSSL = isExecutable(openssl)

    @Test func pemRoundTripsForPrivateAndPublicKeys() throws {
        for key in Keys.pool {
            let pem = key.pemRepresentation
            #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n") && pem.hasSuffix("-----END PRIVATE KEY-----\n"))
            #expect(try SigningKey(pem: pem).seed == key.seed)
            let publicPEM = key.publicKey.pemRepresentation
            #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----\n") && publicPEM.hasSuffix("-----END PUBLIC KEY-----\n"))
            #expect(try PublicKey(pem: publicPEM) == key.publicKey)
        }
    }

    @Test func pemIsTheStandardPKCS8AndSPKIEncoding() throws {
        // RFC 8410 §10.3 example key.
        let key = SigningKey(seed: try #require(Bytes32(hex: "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842")))
        #expect(key.pemRepresentation == """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
            -----END PRIVATE KEY-----

            """)
        #expect(key.publicKey.pemRepresentation == """
            -----BEGIN PUBLIC KEY-----
            MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
            -----END PUBLIC KEY-----

            """)
    }

    @Test(.enabled(if: hasOpenSSL, "needs /usr/bin/openssl"))
    func opensslReadsOurPrivateKeysAndDerivesTheSamePublicKey() throws {
        let dir = try scratchDirectory("keys-ours")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, key) in Keys.pool.prefix(4).enumerated() {
            let file = dir.appendingPathComponent("key-\(i).pem")
            try Data(key.pemRepresentation.utf8).write(to: file)
            let check = try runTool(Self.openssl, ["pkey", "-in", file.path, "-noout"])
            #expect(check.status == 0, "openssl refused our PEM: \(check.stderr)")
            let pub = try runTool(Self.openssl, ["pkey", "-in", file.path, "-pubout"])
            #expect(pub.status == 0, "\(pub.stderr)")
            #expect(String(decoding: pub.stdout, as: UTF8.self) == key.publicKey.pemRepresentation)
            // openssl re-writes the private key byte for byte as we do.
            let again = try runTool(Self.openssl, ["pkey", "-in", file.path])
            #expect(String(decoding: again.stdout, as: UTF8.self) == key.pemRepresentation)
        }
    }

    @Test(.enabled(if: hasOpenSSL, "needs /usr/bin/openssl"))
    func opensslGeneratedKeysAreReadAndSignVerifiably() throws {
        let dir = try scratchDirectory("keys-openssl")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("generated.pem")
        let gen = try runTool(Self.openssl, ["genpkey", "-algorithm", "ed25519", "-out", file.path])
        try #require(gen.status == 0, "openssl genpkey failed: \(gen.stderr)")
        let pem = try String(contentsOf: file, encoding: .utf8)
        let key = try SigningKey(pem: pem)
        let pub = try runTool(Self.openssl, ["pkey", "-in", file.path, "-pubout"])
        #expect(pub.status == 0)
        let opensslPublicPEM = String(decoding: pub.stdout, as: UTF8.self)
        #expect(opensslPublicPEM == key.publicKey.pemRepresentation)
        #expect(try PublicKey(pem: opensslPublicPEM) == key.publicKey)
        #expect(key.pemRepresentation == pem)
        // The key works.
        let message = Array("signed by an openssl key".utf8)
        #expect(key.publicKey.isValidSignature(key.sign(message, domain: .transaction), for: message, domain: .transaction))
        // The raw public key is the last 32 bytes of openssl's DER SubjectPublicKeyInfo.
        let der = try runTool(Self.openssl, ["pkey", "-in", file.path, "-pubout", "-outform", "DER"])
        #expect(Array(der.stdout.suffix(32)) == key.publicKey.raw.bytes)
    }

    @Test(.enabled(if: hasOpenSSL, "needs /usr/bin/openssl"))
    func opensslKeysOfOtherAlgorithmsAreRefused() throws {
        let dir = try scratchDirectory("keys-other")
        defer { try? FileManager.default.removeItem(at: dir) }
        for algorithm in ["x25519", "ed448"] {
            let file = dir.appendingPathComponent("\(algorithm).pem")
            let gen = try runTool(Self.openssl, ["genpkey", "-algorithm", algorithm, "-out", file.path])
            try #require(gen.status == 0, "\(gen.stderr)")
            let pem = try String(contentsOf: file, encoding: .utf8)
            #expect(throws: KeyError.notEd25519PrivateKey) { try SigningKey(pem: pem) }
            let pub = try runTool(Self.openssl, ["pkey", "-in", file.path, "-pubout"])
            #expect(throws: KeyError.notEd25519PublicKey) { try PublicKey(pem: String(decoding: pub.stdout, as: UTF8.self)) }
        }
    }

    static func pem(_ label: String, _ der: [UInt8]) -> String {
        "-----BEGIN \(label)-----\n\(Data(der).base64EncodedString())\n-----END \(label)-----\n"
    }

    static let pkcs8Prefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    static let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    @Test func malformedPrivateKeyPEMsGiveTheRightError() throws {
        let good = Keys.pool[0].pemRepresentation
        let body = good.split(separator: "\n")[1]
        #expect(throws: KeyError.missingPEMBlock(label: "PRIVATE KEY")) { try SigningKey(pem: "") }
        #expect(throws: KeyError.missingPEMBlock(label: "PRIVATE KEY")) { try SigningKey(pem: String(body)) }
        #expect(throws: KeyError.missingPEMBlock(label: "PRIVATE KEY")) { try SigningKey(pem: "-----BEGIN PRIVATE KEY-----\n\(body)\n") }
        #expect(throws: KeyError.missingPEMBlock(label: "PRIVATE KEY")) { try SigningKey(pem: "-----END PRIVATE KEY-----\n\(body)\n-----BEGIN PRIVATE KEY-----\n") }
        #expect(throws: KeyError.missingPEMBlock(label: "PRIVATE KEY")) { try SigningKey(pem: Keys.pool[0].publicKey.pemRepresentation) }
        #expect(throws: KeyError.missingPEMBlock(label: "PRIVATE KEY")) {
            try SigningKey(pem: good.replacingOccurrences(of: "PRIVATE KEY", with: "EC PRIVATE KEY"))
        }
        #expect(throws: KeyError.invalidBase64) { try SigningKey(pem: "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n") }
        #expect(throws: KeyError.invalidBase64) { try SigningKey(pem: "-----BEGIN PRIVATE KEY-----\n\(body.dropLast())\n-----END PRIVATE KEY-----\n") }
        let seed = [UInt8](repeating: 7, count: 32)
        #expect(throws: KeyError.notEd25519PrivateKey) { try SigningKey(pem: Self.pem("PRIVATE KEY", Self.pkcs8Prefix + seed.dropLast())) }
        #expect(throws: KeyError.notEd25519PrivateKey) { try SigningKey(pem: Self.pem("PRIVATE KEY", Self.pkcs8Prefix + seed + [0])) }
        var x25519 = Self.pkcs8Prefix
        x25519[11] = 0x6e  // OID 1.3.101.110 (X25519)
        #expect(throws: KeyError.notEd25519PrivateKey) { try SigningKey(pem: Self.pem("PRIVATE KEY", x25519 + seed)) }
        #expect(throws: KeyError.notEd25519PrivateKey) { try SigningKey(pem: Self.pem("PRIVATE KEY", [])) }
        // Whitespace and surrounding text are tolerated.
        #expect(try SigningKey(pem: "key file\n" + good.replacingOccurrences(of: "\n", with: "\r\n") + "trailer").seed == Keys.pool[0].seed)
        #expect(try SigningKey(pem: Self.pem("PRIVATE KEY", Self.pkcs8Prefix + seed)).seed.bytes == seed)
    }

    @Test func malformedPublicKeyPEMsGiveTheRightError() throws {
        let raw = [UInt8](repeating: 9, count: 32)
        #expect(try PublicKey(pem: Self.pem("PUBLIC KEY", Self.spkiPrefix + raw)).raw.bytes == raw)
        #expect(throws: KeyError.missingPEMBlock(label: "PUBLIC KEY")) { try PublicKey(pem: Keys.pool[0].pemRepresentation) }
        #expect(throws: KeyError.invalidBase64) { try PublicKey(pem: "-----BEGIN PUBLIC KEY-----\n@@\n-----END PUBLIC KEY-----") }
        #expect(throws: KeyError.notEd25519PublicKey) { try PublicKey(pem: Self.pem("PUBLIC KEY", Self.spkiPrefix + raw.dropLast())) }
        var x25519 = Self.spkiPrefix
        x25519[8] = 0x6e
        #expect(throws: KeyError.notEd25519PublicKey) { try PublicKey(pem: Self.pem("PUBLIC KEY", x25519 + raw)) }
    }
}
