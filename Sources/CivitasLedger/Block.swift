public import CivitasCodec

/// What validators sign (type 0x20). Its hash names the block.
public struct BlockHeader: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x20 }
    public static var formatVersion: UInt8 { 1 }

    public var community: CommunityID
    /// Genesis is height 0; the first block is height 1.
    public var height: UInt64
    /// Hash of the previous header (the genesis document's hash for height 1).
    public var previous: Hash
    /// Block time, set by the proposing leader; every deadline is computed from it.
    public var time: Timestamp
    /// The proposing validator's index in the genesis validator list.
    public var proposer: UInt32
    public var transactionCount: UInt32
    /// Merkle root of the transactions (see `Merkle`).
    public var transactionRoot: Hash

    public init(community: CommunityID, height: UInt64, previous: Hash, time: Timestamp, proposer: UInt32,
                transactionCount: UInt32, transactionRoot: Hash) {
        self.community = community
        self.height = height
        self.previous = previous
        self.time = time
        self.proposer = proposer
        self.transactionCount = transactionCount
        self.transactionRoot = transactionRoot
    }

    /// SHA-256 of the header's encoding: the block's name, and what votes sign.
    public var hash: Hash { canonicalHash }

    public func encode(to w: inout ByteWriter) {
        w.write(community)
        w.writeVarint(height)
        w.write(previous)
        w.writeVarint(time)
        w.writeVarint(proposer)
        w.writeVarint(transactionCount)
        w.write(transactionRoot)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        community = try r.read()
        height = try r.readVarint()
        previous = try r.read()
        time = try r.readVarint()
        proposer = try r.readVarint(as: UInt32.self)
        transactionCount = UInt32(try r.readVarint("transaction count", in: 0...UInt64(FieldLimits.blockTransactions)))
        transactionRoot = try r.read()
    }

    public static var minEncodedSize: Int { 2 + 1 + 32 + 1 + 1 + 1 + 32 }
}

/// A header and its transactions in canonical, uncompressed form (type 0x21).
public struct Block: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x21 }
    public static var formatVersion: UInt8 { 1 }

    public var header: BlockHeader
    public var transactions: [Transaction]

    public init(header: BlockHeader, transactions: [Transaction]) {
        self.header = header
        self.transactions = transactions
    }

    /// Builds the header for `transactions` (count and Merkle root filled in).
    public init(community: CommunityID, height: UInt64, previous: Hash, time: Timestamp, proposer: UInt32,
                transactions: [Transaction]) {
        self.transactions = transactions
        header = BlockHeader(community: community, height: height, previous: previous, time: time, proposer: proposer,
                             transactionCount: UInt32(transactions.count),
                             transactionRoot: Block.transactionRoot(transactions))
    }

    /// Merkle leaf hashes of `transactions`, in block order.
    public static func leafHashes(_ transactions: [Transaction]) -> [Hash] {
        transactions.map { Merkle.leafHash($0.encoded()) }
    }

    /// The Merkle root over `transactions`.
    public static func transactionRoot(_ transactions: [Transaction]) -> Hash {
        Merkle.root(leafHashes(transactions))
    }

    /// The inclusion proof of transaction `index`.
    public func inclusionProof(index: Int) -> InclusionProof {
        Merkle.proof(index: index, leaves: Block.leafHashes(transactions))
    }

    /// Checks the body against the header: count, Merkle root, and (if asked) every signature.
    public func verifyBody(checkSignatures: Bool = true, using verifier: SignatureVerifier = .direct) throws(LedgerError) {
        guard transactions.count == Int(header.transactionCount) else {
            throw LedgerError.blockMismatch("header says \(header.transactionCount) transactions, body has \(transactions.count)")
        }
        guard Block.transactionRoot(transactions) == header.transactionRoot else {
            throw LedgerError.blockMismatch("Merkle root of the body does not match the header")
        }
        for (i, tx) in transactions.enumerated() {
            guard tx.community == header.community else {
                throw LedgerError.blockMismatch("transaction #\(i) belongs to community '\(tx.community)'")
            }
            if checkSignatures && !tx.hasValidSignature(using: verifier) {
                throw LedgerError.badTransactionSignature(index: i, id: tx.id)
            }
        }
    }

    public func encode(to w: inout ByteWriter) {
        w.write(header)
        BlockBody.encode(transactions, to: &w)
    }

    public init(from r: inout ByteReader) throws(CodecError) {
        header = try r.read()
        transactions = try BlockBody.decode(from: &r, expectedCount: header.transactionCount)
    }

    public static var minEncodedSize: Int { BlockHeader.minEncodedSize + 1 }
}

/// The transaction list of a block: a count, then each transaction's fields
/// (the type and version bytes are implied).
enum BlockBody {
    static func encode(_ transactions: [Transaction], to w: inout ByteWriter) {
        w.writeVarint(UInt64(transactions.count))
        for tx in transactions { tx.encode(to: &w) }
    }

    static func decode(from r: inout ByteReader, expectedCount: UInt32) throws(CodecError) -> [Transaction] {
        let start = r.offset
        let txs = try r.readList(Transaction.self, limit: FieldLimits.blockTransactions)
        guard txs.count == Int(expectedCount) else {
            throw CodecError(.invalidValue(field: "transactions", reason: "body has \(txs.count), header says \(expectedCount)"), at: start)
        }
        return txs
    }

    static func canonicalBytes(_ transactions: [Transaction]) -> [UInt8] {
        Encoding(transactions: transactions).canonicalBytes()
    }

    /// The body as a value, so it shares the codec's sized-once encoding.
    struct Encoding: CanonicalCodable {
        let transactions: [Transaction]
        init(transactions: [Transaction]) { self.transactions = transactions }
        func encode(to w: inout ByteWriter) { BlockBody.encode(transactions, to: &w) }
        init(from r: inout ByteReader) throws(CodecError) { transactions = try r.readList(limit: FieldLimits.blockTransactions) }
        static var minEncodedSize: Int { 1 }
    }
}

/// A block with its commit certificate, as it is gossiped and stored (type 0x22).
///
/// The body travels as a standard zstd frame when its canonical encoding is at
/// least `compressionThreshold` bytes, and raw below it; each size has exactly
/// one format, and the decompressed bytes must themselves be canonical.
public struct SealedBlock: Hashable, Sendable, Codable, CanonicalObject {
    public static var typeTag: UInt8 { 0x22 }
    public static var formatVersion: UInt8 { 1 }

    /// Bodies of this many bytes or more are zstd-compressed.
    public static let compressionThreshold = 1024

    public var block: Block
    public var certificate: CommitCertificate

    public init(block: Block, certificate: CommitCertificate) {
        self.block = block
        self.certificate = certificate
    }

    public var header: BlockHeader { block.header }
    public var height: UInt64 { block.header.height }

    /// Checks the certificate against `validators` and the body against the header.
    public func verify(validators: [PublicKey], checkSignatures: Bool = true, using verifier: SignatureVerifier = .direct) throws(LedgerError) {
        let hash = block.header.hash
        guard certificate.headerHash == hash, certificate.height == block.header.height else {
            throw LedgerError.certificate("certificate is for height \(certificate.height) \(certificate.headerHash.hex), not this block")
        }
        try certificate.verify(validators: validators, using: verifier)
        try block.verifyBody(checkSignatures: checkSignatures, using: verifier)
    }

    /// Encodes with the body compressed as the threshold rule says. (Compression
    /// runs once; `encode(to:)` is for nesting and compresses on each pass.)
    public func encoded() -> [UInt8] {
        let wire = Wire(self)
        return ObjectEnvelope(wire).canonicalBytes()
    }

    public func encode(to w: inout ByteWriter) { Wire(self).encode(to: &w) }

    public init(from r: inout ByteReader) throws(CodecError) {
        let header = try r.read(BlockHeader.self)
        certificate = try r.read()
        let formatAt = r.offset
        let format = try r.readTag("body format", count: 2)
        let transactions: [Transaction]
        if format == 0 {
            let bodyStart = r.offset
            transactions = try BlockBody.decode(from: &r, expectedCount: header.transactionCount)
            guard r.offset - bodyStart < Self.compressionThreshold else {
                throw CodecError(.invalidValue(field: "body format", reason: "a body of \(r.offset - bodyStart) bytes must be zstd-compressed"), at: formatAt)
            }
        } else {
            let rawAt = r.offset
            let rawLength = try r.readVarint()
            guard rawLength >= UInt64(Self.compressionThreshold) else {
                throw CodecError(.invalidValue(field: "body format", reason: "a body of \(rawLength) bytes must not be compressed"), at: rawAt)
            }
            guard rawLength <= UInt64(r.limits.maxBodyBytes) else {
                throw CodecError(.lengthAboveLimit(length: rawLength, limit: r.limits.maxBodyBytes), at: rawAt)
            }
            // A frame is bounded by the body limit, not by the per-field limit.
            let frameLength = try r.readLength(limit: r.limits.maxBodyBytes, fieldLimitApplies: false)
            let frameAt = r.offset
            let frame = UnsafeRawBufferPointer(start: try r.take(frameLength), count: frameLength)
            let raw: [UInt8]
            do {
                raw = try Zstd.decompress(frame, expectedSize: Int(rawLength), maxSize: r.limits.maxBodyBytes)
            } catch {
                throw CodecError(error.kind, at: frameAt + error.offset)
            }
            let limits = r.limits
            let result = raw.withUnsafeBytes { buffer in
                Result { () throws(CodecError) -> [Transaction] in
                    var inner = ByteReader(buffer, limits: limits)
                    let txs = try BlockBody.decode(from: &inner, expectedCount: header.transactionCount)
                    try inner.finish()
                    return txs
                }
            }
            transactions = try result.get()
        }
        block = Block(header: header, transactions: transactions)
    }

    public static var minEncodedSize: Int { BlockHeader.minEncodedSize + CommitCertificate.minEncodedSize + 2 }

    /// The block's fields with the body already in its wire form.
    struct Wire: CanonicalObject {
        static var typeTag: UInt8 { SealedBlock.typeTag }
        static var formatVersion: UInt8 { SealedBlock.formatVersion }
        let header: BlockHeader
        let certificate: CommitCertificate
        let rawBody: [UInt8]
        let frame: [UInt8]?

        init(_ sealed: SealedBlock) {
            header = sealed.block.header
            certificate = sealed.certificate
            rawBody = BlockBody.canonicalBytes(sealed.block.transactions)
            frame = rawBody.count >= SealedBlock.compressionThreshold ? Zstd.compress(rawBody) : nil
        }

        func encode(to w: inout ByteWriter) {
            w.write(header)
            w.write(certificate)
            if let frame {
                w.writeByte(1)
                w.writeVarint(UInt64(rawBody.count))
                w.writeLengthPrefixed(frame)
            } else {
                w.writeByte(0)
                rawBody.withUnsafeBytes { w.writeRaw($0) }
            }
        }

        init(from r: inout ByteReader) throws(CodecError) {
            throw r.invalid("sealed block", "decode SealedBlock, not its wire form")
        }

        static var minEncodedSize: Int { SealedBlock.minEncodedSize }
    }
}
