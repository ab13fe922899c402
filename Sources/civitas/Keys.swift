import ArgumentParser
import CivitasLedger
import Foundation

/// `civitas keys …`: Ed25519 keys as PKCS#8 PEM files.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and show Ed25519 keys (PKCS#8 PEM, readable by `openssl pkey`).",
        subcommands: [New.self, Show.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and write it as PEM (mode 0600).")

        @Option(name: .shortAndLong, help: "Where to write the private key.")
        var out: String

        @Flag(help: "Replace an existing file.")
        var force = false

        func run() throws {
            if FileManager.default.fileExists(atPath: out) && !force {
                throw ToolError("\(out) already exists; pass --force to replace it")
            }
            let key = SigningKey.generate()
            try KeyFile.write(key, to: out)
            print(KeyFile.summary(key.publicKey, path: out))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a key's public key, subject ID and node ID.")

        @Argument(help: "A private key PEM file.")
        var path: String

        func run() throws {
            let key = try KeyFile.read(path)
            print(KeyFile.summary(key.publicKey, path: path))
        }
    }
}

/// Reading and writing key files (the shell's side of `SigningKey`).
enum KeyFile {
    static func write(_ key: SigningKey, to path: String) throws {
        let created = FileManager.default.createFile(
            atPath: path, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600])
        guard created else { throw ToolError("cannot write \(path)") }
    }

    static func read(_ path: String) throws -> SigningKey {
        guard let data = FileManager.default.contents(atPath: path) else { throw ToolError("cannot read \(path)") }
        do {
            return try SigningKey(pem: String(decoding: data, as: UTF8.self))
        } catch {
            throw ToolError("\(path): \(error)")
        }
    }

    static func summary(_ key: PublicKey, path: String) -> String {
        """
        key file:   \(path)
        public key: \(key.raw.hex)
        subject ID: \(key.subjectID)
        node ID:    \(key.nodeID)
        """
    }
}
