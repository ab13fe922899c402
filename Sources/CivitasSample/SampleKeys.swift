public import CivitasLedger

/// Keys for a sample community's members and nodes, derived from a seed:
/// the same seed gives the same keys, so a demo's output and a simulation's
/// run repeat. Never for a real community: whoever knows the seed holds them.
public struct SampleKeys: Sendable {
    let seed: [UInt8]

    public init(seed: [UInt8]) { self.seed = seed }

    public init(seed: UInt64) { self.init(seed: withUnsafeBytes(of: seed.littleEndian) { Array($0) }) }

    /// The subject key of the member called `name`.
    public func member(_ name: String) -> SigningKey { derive("member", name) }

    /// The ledger key of node `index` (from 0).
    public func node(_ index: Int) -> SigningKey { derive("node", String(index)) }

    func derive(_ kind: String, _ label: String) -> SigningKey {
        SigningKey(seed: Hashing.sha256(Array("civitas sample \(kind)".utf8) + [0] + seed + [0] + Array(label.utf8)))
    }
}
