import CivitasTestSupport
import CivitasCodec
import CivitasLedger
import Testing

/// RFC 6962 §2.1, written straight from the definitions (slow and obvious on purpose).
enum ReferenceMerkle {
    static func sha(_ bytes: [UInt8]) -> [UInt8] { Hashing.sha256(bytes).bytes }

    /// k: the largest power of two smaller than n (n > 1).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[n]).
    static func mth(_ d: ArraySlice<[UInt8]>) -> [UInt8] {
        switch d.count {
        case 0: return sha([])
        case 1: return sha([0x00] + d.first!)
        default:
            let k = split(d.count)
            return sha([0x01] + mth(d.prefix(k)) + mth(d.dropFirst(k)))
        }
    }

    /// The length of PATH(m, D[n]), from the recursion alone.
    static func pathLength(_ m: Int, _ n: Int) -> Int {
        guard n > 1 else { return 0 }
        let k = split(n)
        return 1 + (m < k ? pathLength(m, k) : pathLength(m - k, n - k))
    }

    /// PATH(m, D[n]).
    static func path(_ m: Int, _ d: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard d.count > 1 else { return [] }
        let k = split(d.count)
        return m < k ? path(m, d.prefix(k)) + [mth(d.dropFirst(k))] : path(m - k, d.dropFirst(k)) + [mth(d.prefix(k))]
    }
}

@Suite("Merkle trees")
struct MerkleTests {
    static func leaves(_ n: Int) -> [[UInt8]] {
        var g = SplitMix64(seed: 0x3E4C1E + UInt64(n))
        return (0..<n).map { _ in g.bytes(g.int(0...40)) }
    }

    @Test func sha256MatchesPublishedVectors() {
        #expect(Hashing.sha256([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hashing.sha256(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func emptyTreeRootIsTheRFC6962Vector() {
        #expect(Merkle.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Merkle.root([]) == Merkle.emptyRoot)
        #expect(Block.transactionRoot([]) == Merkle.emptyRoot)
    }

    @Test func leafAndNodeHashesAreDomainSeparated() {
        let a = Hashing.sha256([1]), b = Hashing.sha256([2])
        #expect(Merkle.leafHash([7, 8]).bytes == ReferenceMerkle.sha([0x00, 7, 8]))
        #expect(Merkle.nodeHash(a, b).bytes == ReferenceMerkle.sha([0x01] + a.bytes + b.bytes))
        // A leaf whose data is two hashes does not collide with the node over them.
        #expect(Merkle.leafHash(a.bytes + b.bytes) != Merkle.nodeHash(a, b))
    }

    @Test func rootsForZeroToThirtyThreeLeavesMatchTheReference() {
        for n in 0...33 {
            let d = Self.leaves(n)
            #expect(Merkle.root(d.map(Merkle.leafHash)).bytes == ReferenceMerkle.mth(d[...]), "n = \(n)")
        }
    }

    @Test func proofsMatchTheReferencePathAndVerifyForEveryIndex() {
        for n in 1...33 {
            let d = Self.leaves(n)
            let hashes = d.map(Merkle.leafHash)
            let root = Merkle.root(hashes)
            for m in 0..<n {
                let proof = Merkle.proof(index: m, leaves: hashes)
                #expect(proof.leafIndex == UInt64(m) && proof.treeSize == UInt64(n))
                #expect(proof.path.map(\.bytes) == ReferenceMerkle.path(m, d[...]), "n = \(n), m = \(m)")
                #expect(proof.path.count == ReferenceMerkle.pathLength(m, n))
                #expect(proof.verify(leafHash: hashes[m], root: root), "n = \(n), m = \(m)")
            }
        }
    }

    @Test func tamperedProofsFail() {
        var g = SplitMix64(seed: 0x7A3)
        for n in 1...33 {
            let hashes = Self.leaves(n).map(Merkle.leafHash)
            let root = Merkle.root(hashes)
            for m in 0..<n {
                let proof = Merkle.proof(index: m, leaves: hashes)
                let leaf = hashes[m]
                // Tampered leaf, including a neighbour's leaf hash and the raw (un-prefixed) hash.
                var bad = leaf.bytes
                bad[g.int(0...31)] ^= 1
                #expect(!proof.verify(leafHash: Hash(bad)!, root: root))
                if n > 1 { #expect(!proof.verify(leafHash: hashes[(m + 1) % n], root: root)) }
                // Wrong root.
                #expect(!proof.verify(leafHash: leaf, root: Merkle.root(Array(hashes.dropLast()))))
                // Each tampered path element.
                for i in proof.path.indices {
                    var p = proof
                    var e = p.path[i].bytes
                    e[g.int(0...31)] ^= 0x80
                    p.path[i] = Hash(e)!
                    #expect(!p.verify(leafHash: leaf, root: root), "n = \(n), m = \(m), element \(i)")
                }
                // Every other index.
                for j in 0..<(n + 2) where j != m {
                    var p = proof
                    p.leafIndex = UInt64(j)
                    #expect(!p.verify(leafHash: leaf, root: root), "n = \(n), proof of \(m) claimed as \(j)")
                }
                // Truncated and extended paths.
                if !proof.path.isEmpty {
                    var p = proof
                    p.path.removeLast()
                    #expect(!p.verify(leafHash: leaf, root: root))
                    p = proof
                    p.path.removeFirst()
                    #expect(!p.verify(leafHash: leaf, root: root))
                }
                var p = proof
                p.path.append(root)
                #expect(!p.verify(leafHash: leaf, root: root))
                p = proof
                p.path.insert(leaf, at: 0)
                #expect(!p.verify(leafHash: leaf, root: root))
            }
        }
    }

    /// A wrong tree size fails whenever it changes the shape of the path: a different proof length, or an index
    /// at or beyond the size. (RFC 9162 proofs bind the size only through the path's shape: a proof for (0, 3)
    /// also verifies as (0, 4) against the same root, so callers take the size from the signed header.)
    @Test func wrongTreeSizeFails() {
        for n in 1...33 {
            let d = Self.leaves(n)
            let hashes = d.map(Merkle.leafHash)
            let root = Merkle.root(hashes)
            for m in 0..<n {
                let proof = Merkle.proof(index: m, leaves: hashes)
                for size in [0] + Array(1...40) where size != n {
                    var p = proof
                    p.treeSize = UInt64(size)
                    let shapeDiffers = size <= m || ReferenceMerkle.pathLength(m, size) != proof.path.count
                    if shapeDiffers { #expect(!p.verify(leafHash: hashes[m], root: root), "n = \(n), m = \(m), size \(size)") }
                }
                var p = proof
                p.treeSize = .max
                #expect(!p.verify(leafHash: hashes[m], root: root))
            }
        }
    }

    @Test func emptyAndDegenerateProofsFail() {
        let leaf = Merkle.leafHash([1])
        #expect(InclusionProof(leafIndex: 0, treeSize: 1, path: []).verify(leafHash: leaf, root: leaf))
        #expect(!InclusionProof(leafIndex: 0, treeSize: 0, path: []).verify(leafHash: leaf, root: leaf))
        #expect(!InclusionProof(leafIndex: 1, treeSize: 1, path: []).verify(leafHash: leaf, root: leaf))
        #expect(!InclusionProof(leafIndex: 0, treeSize: 2, path: []).verify(leafHash: leaf, root: leaf))
        #expect(!InclusionProof(leafIndex: 0, treeSize: 0, path: []).verify(leafHash: Merkle.emptyRoot, root: Merkle.emptyRoot))
    }

    @Test func blockInclusionProofsVerifyAgainstTheHeaderRoot() throws {
        var g = Gen(seed: 40)
        let c = g.community()
        let txs = (0..<11).map { _ in g.transaction(community: c) }
        let block = Block(community: c, height: 1, previous: Hash(), time: 0, proposer: 0, transactions: txs)
        for (i, tx) in txs.enumerated() {
            let proof = block.inclusionProof(index: i)
            let leaf = Merkle.leafHash(tx.encoded())
            #expect(proof.verify(leafHash: leaf, root: block.header.transactionRoot))
            // The proof travels as an object and still verifies.
            #expect(try InclusionProof(encoded: proof.encoded()).verify(leafHash: leaf, root: block.header.transactionRoot))
            // The leaf is the full encoding (type and version bytes included), not the fields alone nor the ID.
            #expect(!proof.verify(leafHash: Merkle.leafHash(tx.canonicalBytes()), root: block.header.transactionRoot))
            #expect(!proof.verify(leafHash: tx.id, root: block.header.transactionRoot))
        }
    }
}
