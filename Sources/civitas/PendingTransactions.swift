import CivitasCodec
import CivitasLedger
import CivitasNode
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Signed transactions whose answer is not known yet, one per signer, kept on
/// disk until it is. A retry resends these bytes — never a newly signed
/// transaction with the same nonce, which the node would refuse as a
/// different transaction already pending, or as a used nonce once the first
/// one commits. (Clients of etcd and CometBFT retry the same request the same way.)
struct PendingTransactions {
    let directory: String

    /// `--pending-dir`, else `$CIVITAS_PENDING_DIR`, else `$XDG_STATE_HOME/civitas/pending`, else `~/.local/state/civitas/pending`.
    init(directory: String?) {
        let env = ProcessInfo.processInfo.environment
        if let directory {
            self.directory = directory
        } else if let dir = env["CIVITAS_PENDING_DIR"], !dir.isEmpty {
            self.directory = dir
        } else if let state = env["XDG_STATE_HOME"], !state.isEmpty {
            self.directory = state + "/civitas/pending"
        } else {
            self.directory = FileManager.default.homeDirectoryForCurrentUser.path + "/.local/state/civitas/pending"
        }
    }

    func path(for signer: PublicKey) -> String { "\(directory)/\(signer.raw.hex).tx" }

    /// The signer's unresolved transaction, if one is kept (an unreadable file is reported, not ignored).
    func load(_ signer: PublicKey) throws -> Transaction? {
        let file = path(for: signer)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Hex.decode(text), let tx = try? Transaction(encoded: bytes), tx.signer == signer else {
            throw ToolError("\(file) does not hold a signed transaction of this key; remove it if it is stale")
        }
        return tx
    }

    /// Keeps `tx` (written to a temporary file and renamed, so a crash leaves the old or the new one whole).
    func keep(_ tx: Transaction) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let file = path(for: tx.signer)
            let temporary = file + ".tmp"
            try Data((Hex.encode(tx.encoded()) + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, file) == 0 else { throw ToolError("rename \(temporary): \(String(cString: strerror(errno)))") }
        } catch {
            throw ToolError("cannot keep the signed transaction in \(directory) until its answer is known: \(error.localizedDescription)")
        }
    }

    /// The answer for `tx` is known: forget it (only if it is still the one kept).
    func resolve(_ tx: Transaction) {
        if (try? load(tx.signer))?.id == tx.id { try? FileManager.default.removeItem(atPath: path(for: tx.signer)) }
    }
}
