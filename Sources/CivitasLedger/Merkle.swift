public import CivitasCodec

/// The Merkle tree of RFC 6962 / RFC 9162 over a block's transactions:
/// leaves are SHA-256(0x00 ‖ encoded transaction), inner nodes
/// SHA-256(0x01 ‖ left ‖ right), and an odd tree splits at the largest power
/// of two below its size (no duplicated leaves, so no CVE-2012-2459).
public enum Merkle {
    /// The root of an empty tree: SHA-256 of no bytes.
    public static let emptyRoot: Hash = Hashing.sha256([])

    /// The leaf hash of `data`.
    public static func leafHash(_ data: [UInt8]) -> Hash {
        data.withUnsafeBytes { Hashing.sha256(prefix: 0x00, $0) }
    }

    /// The inner node over `left` and `right`.
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        left.withUnsafeBytes { l in right.withUnsafeBytes { r in Hashing.sha256(prefix: 0x01, l, r) } }
    }

    /// The root over `leaves` (already leaf-hashed).
    public static func root(_ leaves: [Hash]) -> Hash {
        leaves.isEmpty ? emptyRoot : subtreeRoot(leaves[...])
    }

    static func subtreeRoot(_ leaves: ArraySlice<Hash>) -> Hash {
        if leaves.count == 1 { return leaves.first! }
        let k = splitPoint(leaves.count)
        let mid = leaves.startIndex + k
        return nodeHash(subtreeRoot(leaves[..<mid]), subtreeRoot(leaves[mid...]))
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func splitPoint(_ n: Int) -> Int {
        1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }

    /// The inclusion proof for leaf `index`.
    public static func proof(index: Int, leaves: [Hash]) -> InclusionProof {
        precondition(leaves.indices.contains(index), "leaf index out of range")
        var path: [Hash] = []
        collectPath(index, leaves[...], into: &path)
        return InclusionProof(leafIndex: UInt64(index), treeSize: UInt64(leaves.count), path: path)
    }

    static func collectPath(_ m: Int, _ leaves: ArraySlice<Hash>, into path: inout [Hash]) {
        guard leaves.count > 1 else { return }
        let k = splitPoint(leaves.count)
        let mid = leaves.startIndex + k
        if m < k {
            collectPath(m, leaves[..<mid], into: &path)
            path.append(subtreeRoot(leaves[mid...]))
        } else {
            collectPath(m - k, leaves[mid...], into: &path)
            path.append(subtreeRoot(leaves[..<mid]))
        }
    }
}

/// Proof that one leaf is in a tree of a given size and root (type 0x50).
public struct InclusionProof: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x50 }
    public static var formatVersion: UInt8 { 1 }

    public var leafIndex: UInt64
    public var treeSize: UInt64
    /// Sibling hashes from the leaf up.
    public var path: [Hash]

    public init(leafIndex: UInt64, treeSize: UInt64, path: [Hash]) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.path = path
    }

    /// True if `leafHash` is leaf `leafIndex` of the tree of `treeSize` leaves whose root is `root` (RFC 9162 §2.1.3.2).
    public func verify(leafHash: Hash, root: Hash) -> Bool {
        guard leafIndex < treeSize else { return false }
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        for p in path {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = Merkle.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = Merkle.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    public func encode(to w: inout ByteWriter) { w.writeVarint(leafIndex); w.writeVarint(treeSize); w.writeList(path) }
    public init(from r: inout ByteReader) throws(CodecError) {
        leafIndex = try r.readVarint()
        treeSize = try r.readVarint()
        path = try r.readList(limit: 64)
    }
    public static var minEncodedSize: Int { 3 }
}
