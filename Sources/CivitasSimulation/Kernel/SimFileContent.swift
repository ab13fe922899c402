/// Bytes written to a simulated disk, held once however many files and
/// disks hold them: the nodes of a simulated community write the same block
/// records to their block stores, and a run of thousands of nodes cannot
/// keep a copy per node (issue #17). Immutable; interned by content in a
/// `SimChunkPool` shared by the disks of a run.
final class SimChunk {
    let bytes: [UInt8]
    let hash: Int
    private let pool: SimChunkPool?

    fileprivate init(_ bytes: [UInt8], hash: Int, pool: SimChunkPool?) {
        self.bytes = bytes
        self.hash = hash
        self.pool = pool
    }

    deinit { pool?.forget(self) }
}

/// The chunks alive in a run, by content: a write whose bytes some disk
/// already holds shares them. A chunk leaves the pool when the last file
/// holding it lets go. Single-threaded, like the disks that use it.
final class SimChunkPool {
    private var chunks: [Int: [Unmanaged<SimChunk>]] = [:]

    init() {}

    /// Chunks held now (for figures).
    var count: Int { chunks.values.reduce(0) { $0 + $1.count } }

    /// A chunk holding `bytes`: an existing one with the same bytes, or a new one.
    func chunk(_ bytes: UnsafeRawBufferPointer) -> SimChunk {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        let hash = hasher.finalize()
        for candidate in chunks[hash] ?? [] {
            let chunk = candidate.takeUnretainedValue()
            if chunk.bytes.count == bytes.count, chunk.bytes.withUnsafeBytes({ $0.elementsEqual(bytes) }) { return chunk }
        }
        let chunk = SimChunk(Array(bytes), hash: hash, pool: self)
        chunks[hash, default: []].append(Unmanaged.passUnretained(chunk))
        return chunk
    }

    func chunk(_ bytes: [UInt8]) -> SimChunk { bytes.withUnsafeBytes { chunk($0) } }

    /// A piece of `count` zeros (a file extended by a truncate, or written past its end).
    func zeros(_ count: Int) -> SimFileContent.Piece {
        SimFileContent.Piece(chunk: chunk([UInt8](repeating: 0, count: count)), start: 0, count: count)
    }

    fileprivate func forget(_ chunk: SimChunk) {
        guard var list = chunks[chunk.hash] else { return }
        list.removeAll { $0.toOpaque() == Unmanaged.passUnretained(chunk).toOpaque() }
        chunks[chunk.hash] = list.isEmpty ? nil : list
    }
}

/// A file's bytes as a sequence of pieces of chunks: a write adds a piece
/// (its bytes interned in the pool) instead of copying into one array per
/// file, so files that hold the same writes share their bytes.
struct SimFileContent {
    /// `chunk.bytes[start ..< start + count]`.
    struct Piece {
        let chunk: SimChunk
        let start: Int
        let count: Int

        var bytes: [UInt8] { Array(chunk.bytes[start..<(start + count)]) }
    }

    private(set) var pieces: [Piece] = []
    /// Where each piece ends in the file.
    private var ends: [Int] = []

    init() {}

    init(_ bytes: [UInt8], pool: SimChunkPool) {
        if !bytes.isEmpty { append([Piece(chunk: pool.chunk(bytes), start: 0, count: bytes.count)]) }
    }

    /// The pieces `pieces`, in order.
    init(_ pieces: [Piece]) { append(pieces) }

    var count: Int { ends.last ?? 0 }

    /// The bytes in `offset ..< offset + count` (clipped to the end).
    func read(at offset: Int, count: Int) -> [UInt8] {
        let end = min(self.count, offset + count)
        guard offset < end else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(end - offset)
        var i = pieceIndex(containing: offset)
        var at = offset
        while at < end {
            let piece = pieces[i]
            let pieceStart = ends[i] - piece.count
            let from = piece.start + (at - pieceStart)
            let to = piece.start + (min(end, ends[i]) - pieceStart)
            out.append(contentsOf: piece.chunk.bytes[from..<to])
            at = min(end, ends[i])
            i += 1
        }
        return out
    }

    /// Every byte (crashes, tests).
    var bytes: [UInt8] { read(at: 0, count: count) }

    /// Replaces `range` (within the file) with `replacement`; returns the pieces removed.
    @discardableResult
    mutating func replace(_ range: Range<Int>, with replacement: [Piece]) -> [Piece] {
        let first = split(at: range.lowerBound)
        let last = split(at: range.upperBound)
        let removed = Array(pieces[first..<last])
        let tail = Array(pieces[last...])
        pieces.removeSubrange(first...)
        ends.removeSubrange(first...)
        append(replacement)
        append(tail)
        return removed
    }

    /// Flips the bits `mask` of the byte at `offset` (< count), in a chunk of its own.
    mutating func flip(at offset: Int, mask: UInt8, pool: SimChunkPool) {
        let byte = read(at: offset, count: 1)[0] ^ mask
        replace(offset..<(offset + 1), with: [Piece(chunk: pool.chunk([byte]), start: 0, count: 1)])
    }

    /// Cuts the file to `size` bytes or extends it with `zeros` (a piece of zeros of the missing length).
    mutating func resize(to size: Int, zeros: (Int) -> Piece) {
        if size < count {
            replace(size..<count, with: [])
        } else if size > count {
            append([zeros(size - count)])
        }
    }

    private mutating func append(_ list: [Piece]) {
        for piece in list where piece.count > 0 {
            pieces.append(piece)
            ends.append(count + piece.count)
        }
    }

    /// The index of the piece holding byte `offset` (`offset` < `count`).
    private func pieceIndex(containing offset: Int) -> Int {
        var low = 0, high = ends.count - 1
        while low < high {
            let mid = (low + high) / 2
            if ends[mid] <= offset { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Makes a piece boundary at `offset` (0 ... count); returns the index of the piece that starts there.
    private mutating func split(at offset: Int) -> Int {
        if offset >= count { return pieces.count }
        let i = pieceIndex(containing: offset)
        let pieceStart = ends[i] - pieces[i].count
        if pieceStart == offset { return i }
        let piece = pieces[i]
        let head = offset - pieceStart
        pieces[i] = Piece(chunk: piece.chunk, start: piece.start, count: head)
        ends[i] = offset
        pieces.insert(Piece(chunk: piece.chunk, start: piece.start + head, count: piece.count - head), at: i + 1)
        ends.insert(offset + piece.count - head, at: i + 1)
        return i + 1
    }
}
