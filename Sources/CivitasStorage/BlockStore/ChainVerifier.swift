public import CivitasLedger
public import CivitasCodec

/// Re-verifies a stored chain from its files, touching nothing: every byte of
/// every segment is read and checksummed, every block decoded and checked —
/// heights contiguous from 1, each previous hash the hash of the header before
/// (the genesis document's for block 1), the community, the proposer, the
/// Merkle root of the transactions, the commit certificate against the genesis
/// validators, and every transaction signature — and the index is checked
/// against what the segments hold.
///
/// It stops at the first bad height and reports it with the file and offset.
public struct ChainVerifier {
    /// The blocks directory (`DIR/blocks`).
    public let directory: String
    public let genesis: GenesisDocument
    public let options: BlockStoreOptions
    private let fileSystem: any FileSystem

    public init(directory: String, fileSystem: any FileSystem, genesis: GenesisDocument, options: BlockStoreOptions = .init()) {
        self.directory = directory
        self.fileSystem = fileSystem
        self.genesis = genesis
        self.options = options
    }

    /// Verifies the chain; I/O errors are reported as faults, never thrown.
    /// Without `checkSignatures` (a fast integrity scan) no Ed25519 signature is
    /// checked — neither certificate votes nor transactions — and everything
    /// else is: checksums, heights, links, certificate heights and hashes,
    /// Merkle roots.
    public func run(checkSignatures: Bool = true) -> ChainVerificationReport {
        var run = Run(verifier: self, checkSignatures: checkSignatures)
        do {
            try run.scan()
        } catch {
            run.fault(height: run.nextHeight, path: directory, offset: 0, "reading the store failed: \(error)")
        }
        return run.report
    }

    private func segmentPath(_ firstHeight: UInt64) -> String {
        joinPath(directory, BlockFormat.segmentName(firstHeight: firstHeight))
    }

    /// One verification pass.
    private struct Run {
        let verifier: ChainVerifier
        let checkSignatures: Bool
        let validators: [PublicKey]
        var report = ChainVerificationReport()
        var nextHeight: UInt64 = 1
        var previousHash: Hash
        /// Where each verified block is, to check the index against.
        var found = BlockCatalog()

        init(verifier: ChainVerifier, checkSignatures: Bool) {
            self.verifier = verifier
            self.checkSignatures = checkSignatures
            validators = verifier.genesis.validatorKeys
            previousHash = verifier.genesis.hash
            report.genesisHash = previousHash
        }

        mutating func fault(height: UInt64, path: String, offset: Int, _ reason: String) {
            if report.firstFault == nil {
                report.firstFault = .init(height: height, path: path, offset: offset, reason: reason)
            }
        }

        mutating func scan() throws(StorageError) {
            let fs = verifier.fileSystem
            let names = try fs.list(verifier.directory)
            let disk = names.compactMap(BlockFormat.firstHeight(ofSegmentNamed:)).sorted()
            report.segments = disk.count
            report.strayFiles = names.filter {
                BlockFormat.firstHeight(ofSegmentNamed: $0) == nil && $0 != BlockFormat.indexName && $0 != BlockFormat.indexName + ".tmp"
            }.sorted()
            let index = try loadIndex()
            for (i, first) in disk.enumerated() {
                let path = verifier.segmentPath(first)
                let isLast = i == disk.count - 1
                let file = try fs.open(path, create: false)
                defer { file.close() }
                var reader = try BlockSegmentReader(path: path, file: file, maxRecordBytes: verifier.options.maxRecordBytes)
                defer { report.bytesRead += reader.bytesRead }
                switch try reader.segmentHeader() {
                case let .failure(damage):
                    if isLast && !damage.definite && reader.size <= BlockFormat.segmentHeaderSize && !(index?.segments.contains { $0.firstHeight == first } ?? false) {
                        report.unsyncedTail = .init(height: nextHeight, path: path, offset: 0,
                                                    reason: "a segment whose creation a crash interrupted (\(damage.reason)); opening removes it")
                        return
                    }
                    return fault(height: nextHeight, path: path, offset: 0, "the segment header: \(damage.reason)")
                case let .success(header) where header.firstHeight != first:
                    return fault(height: nextHeight, path: path, offset: 0, "the segment header says it starts at height \(header.firstHeight), its name says \(first)")
                case .success:
                    break
                }
                guard first == nextHeight else {
                    if first > nextHeight {
                        return fault(height: nextHeight, path: path, offset: 0, "heights \(nextHeight)…\(first - 1) are missing before this segment: a segment file was lost")
                    }
                    return fault(height: nextHeight, path: path, offset: 0, "this segment starts at height \(first), but the segments before it hold blocks through \(nextHeight - 1)")
                }
                found.segments.append(.init(firstHeight: first, end: BlockFormat.segmentHeaderSize))
                let number = found.segments.count - 1
                var position = BlockSegmentReader.Position(offset: BlockFormat.segmentHeaderSize, nextHeight: nextHeight,
                                                            lastHash: found.hashes.last)
                let stop = try reader.walk(&position, checkPayloads: true, keepPayloads: true) { header, offset, payload in
                    guard check(header, payload: payload ?? [], path: path, payloadOffset: offset + BlockFormat.itemHeaderSize) else { return false }
                    found.add(.init(offset: offset, length: Int32(header.length), segment: Int32(number)), hash: header.hash)
                    return true
                }
                found.segments[number].end = position.offset
                found.segments[number].sealed = position.sealed
                let indexed = index?.segments.first { $0.firstHeight == first }
                switch stop {
                case .end:
                    break
                case .stoppedByVisitor:
                    return
                case let .damaged(offset, damage):
                    switch try BlockTailVerdict.judge(damage, at: offset, reader: &reader, isLastSegment: isLast, vouchedThrough: indexed?.end ?? 0) {
                    case let .corrupt(reason):
                        return fault(height: nextHeight, path: path, offset: offset, reason)
                    case .torn:
                        report.unsyncedTail = .init(height: nextHeight, path: path, offset: offset,
                                                    reason: "\(reader.size - offset) bytes of a write that was never synced (\(damage.reason)); opening cuts them off")
                    }
                }
                if let indexed, indexed.end > position.offset {
                    return fault(height: nextHeight, path: path, offset: position.offset,
                                 "the index records \(indexed.end) bytes of this segment as synced, but only \(position.offset) hold valid records: synced blocks are gone")
                }
                if !isLast && found.locations.last.map({ Int($0.segment) != number }) ?? true {
                    return fault(height: nextHeight, path: path, offset: position.offset, "this segment holds no blocks, yet a later segment exists")
                }
                if !isLast && !position.sealed {
                    return fault(height: nextHeight, path: path, offset: position.offset,
                                 "this segment does not end with its seal, yet a later segment exists: its end is missing")
                }
            }
            if let index { compare(index, disk: disk) }
        }

        /// Checks one block record's payload; records the fault and returns false if it is bad.
        mutating func check(_ header: BlockItemHeader, payload: ArraySlice<UInt8>, path: String, payloadOffset: Int) -> Bool {
            let height = header.height
            let limits = verifier.options.decodingLimits
            let decoded = payload.withUnsafeBytes { buffer in
                Result { () throws(CodecError) -> SealedBlock in try SealedBlock(encodedBuffer: buffer, limits: limits) }
            }
            let block: SealedBlock
            switch decoded {
            case let .success(b):
                block = b
            case let .failure(error):
                fault(height: height, path: path, offset: payloadOffset + error.offset, "the block does not decode: \(error)")
                return false
            }
            let headerHash = block.header.hash
            guard block.height == height, headerHash == header.hash else {
                fault(height: height, path: path, offset: payloadOffset, "the record is labelled height \(height) \(header.hash.hex) but holds block \(block.height) \(headerHash.hex)")
                return false
            }
            guard block.header.community == verifier.genesis.community else {
                fault(height: height, path: path, offset: payloadOffset, "the block belongs to community '\(block.header.community)', not '\(verifier.genesis.community)'")
                return false
            }
            guard block.header.previous == previousHash else {
                let what = height == 1 ? "the genesis hash" : "the hash of block \(height - 1)"
                fault(height: height, path: path, offset: payloadOffset, "the previous hash \(block.header.previous.hex) is not \(what), \(previousHash.hex)")
                return false
            }
            guard Int(block.header.proposer) < validators.count else {
                fault(height: height, path: path, offset: payloadOffset, "the proposer #\(block.header.proposer) is not one of the \(validators.count) validators")
                return false
            }
            do throws(LedgerError) {
                if checkSignatures {
                    try block.verify(validators: validators)
                } else {
                    guard block.certificate.height == height, block.certificate.headerHash == headerHash else {
                        throw LedgerError.certificate("certificate is for height \(block.certificate.height) \(block.certificate.headerHash.hex), not this block")
                    }
                    try block.block.verifyBody(checkSignatures: false)
                }
            } catch {
                fault(height: height, path: path, offset: payloadOffset, error.description)
                return false
            }
            previousHash = headerHash
            nextHeight = height + 1
            report.verifiedBlocks = height
            report.verifiedTransactions += block.block.transactions.count
            report.headHash = headerHash
            return true
        }

        /// The index, if one exists and checks out on its own; records what was found.
        mutating func loadIndex() throws(StorageError) -> BlockCatalog? {
            let path = joinPath(verifier.directory, BlockFormat.indexName)
            guard verifier.fileSystem.exists(path) else {
                report.index = .missing
                return nil
            }
            let file = try verifier.fileSystem.open(path, create: false)
            defer { file.close() }
            let bytes = try file.readAll()
            report.bytesRead += bytes.count
            switch BlockCatalog.decodeIndex(bytes, maxRecordBytes: verifier.options.maxRecordBytes) {
            case let .success(catalog):
                report.index = .consistent(coveredHeight: catalog.count)
                return catalog
            case let .failure(damage):
                report.index = .damaged("the index \(damage.reason)")
                return nil
            }
        }

        /// Checks the index against the verified segments. Blocks the index
        /// records as synced that the segments no longer hold are a chain fault.
        mutating func compare(_ index: BlockCatalog, disk: [UInt64]) {
            for (i, segment) in index.segments.enumerated() {
                guard i < found.segments.count, found.segments[i].firstHeight == segment.firstHeight else {
                    if report.firstFault == nil && !disk.contains(segment.firstHeight) {
                        fault(height: max(segment.firstHeight, nextHeight), path: verifier.segmentPath(segment.firstHeight), offset: 0,
                              "the segment file is missing, but the index lists it as holding synced blocks from height \(segment.firstHeight)")
                    } else if report.firstFault == nil {
                        report.index = .mismatch("the index lists segment \(BlockFormat.segmentName(firstHeight: segment.firstHeight)) where the files do not")
                    }
                    return
                }
                if report.firstFault == nil && found.segments[i].end < segment.end {
                    return fault(height: nextHeight, path: verifier.segmentPath(segment.firstHeight), offset: found.segments[i].end,
                                 "the index records \(segment.end) bytes of this segment as synced, but only \(found.segments[i].end) hold valid records: synced blocks are gone")
                }
            }
            let comparable = min(index.count, found.count)
            if report.firstFault == nil && index.count > found.count {
                let location = index.locations[Int(found.count)]
                let segment = index.segments[Int(location.segment)]
                return fault(height: found.count + 1, path: verifier.segmentPath(segment.firstHeight), offset: location.offset,
                             "the index records blocks through \(index.count) as synced, but the segments hold only \(found.count)")
            }
            for i in 0..<Int(comparable) where index.locations[i] != found.locations[i] || index.hashes[i] != found.hashes[i] {
                let l = index.locations[i], f = found.locations[i]
                report.index = .mismatch("the index places height \(i + 1) at segment #\(l.segment) offset \(l.offset) (\(index.hashes[i].hex.prefix(12))…), the segments at #\(f.segment) offset \(f.offset) (\(found.hashes[i].hex.prefix(12))…)")
                return
            }
            for (i, segment) in index.segments.enumerated() where i + 1 < index.segments.count && segment.end != found.segments[i].end {
                report.index = .mismatch("the index records \(segment.end) bytes of sealed segment \(BlockFormat.segmentName(firstHeight: segment.firstHeight)), it holds \(found.segments[i].end)")
                return
            }
        }
    }
}

/// What `ChainVerifier` found.
public struct ChainVerificationReport: Sendable, Hashable, CustomStringConvertible {
    /// A height that does not verify, with the file and byte offset of the evidence.
    public struct Fault: Sendable, Hashable, CustomStringConvertible {
        public var height: UInt64
        public var path: String
        public var offset: Int
        public var reason: String

        public var description: String { "height \(height): \(reason) (\(path), offset \(offset))" }
    }

    /// What the index file holds relative to the segments.
    public enum IndexFinding: Sendable, Hashable {
        /// It checks out and agrees with the segments; it covers heights 1 through `coveredHeight`.
        case consistent(coveredHeight: UInt64)
        /// There is none; opening the store rebuilds it.
        case missing
        /// It fails its checksum or its own rules; opening the store rebuilds it.
        case damaged(String)
        /// It checks out on its own but disagrees with the segments; opening the store may not notice, so rebuild it
        /// (delete `blocks/index`; the next open rebuilds it).
        case mismatch(String)
    }

    public var genesisHash: Hash?
    /// Heights 1 through this passed every check.
    public var verifiedBlocks: UInt64 = 0
    public var verifiedTransactions = 0
    /// The header hash of the last verified block.
    public var headHash: Hash?
    public var segments = 0
    /// Bytes read from segment and index files.
    public var bytesRead = 0
    /// The first height that does not verify; nil if the whole chain does.
    public var firstFault: Fault?
    /// A torn write that was never synced, after the last verified block: not damage, opening cuts it off.
    public var unsyncedTail: Fault?
    public var index: IndexFinding = .missing
    /// Files in the blocks directory that the store did not write.
    public var strayFiles: [String] = []

    /// Every block verified, and the index (if any) agrees with them.
    public var isClean: Bool {
        guard firstFault == nil else { return false }
        switch index {
        case .consistent, .missing: return true
        case .damaged, .mismatch: return false
        }
    }

    public var description: String {
        var lines: [String] = []
        lines.append("\(segments) segment\(segments == 1 ? "" : "s"), \(bytesRead) bytes read")
        let head = headHash.map { ", head \($0.hex)" } ?? ""
        lines.append("blocks: \(verifiedBlocks) verified (\(verifiedTransactions) transactions)\(head)")
        switch index {
        case let .consistent(covered): lines.append("index: consistent, covers heights 1…\(covered)")
        case .missing: lines.append("index: missing (the store rebuilds it when opened)")
        case let .damaged(why): lines.append("index: DAMAGED: \(why) (the store rebuilds it when opened)")
        case let .mismatch(why): lines.append("index: DISAGREES with the segments: \(why) (delete blocks/index; the store rebuilds it when opened)")
        }
        if let tail = unsyncedTail { lines.append("unsynced tail: \(tail.reason) (\(tail.path), offset \(tail.offset))") }
        if !strayFiles.isEmpty { lines.append("stray files (not the store's): \(strayFiles.joined(separator: ", "))") }
        if let fault = firstFault {
            lines.append("first bad height: \(fault.height)")
            lines.append("  file: \(fault.path), offset \(fault.offset)")
            lines.append("  reason: \(fault.reason)")
            lines.append("  way out: \(BlockFormat.wayOut)")
        }
        return lines.joined(separator: "\n")
    }
}
