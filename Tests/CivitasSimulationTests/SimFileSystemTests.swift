import CivitasSimulation
import CivitasStorage
import Testing

/// The simulated disk's bytes against the plain model it was first written
/// as (each file's bytes as written and as synced, and its unsynced
/// operations): the same contents after every write, truncate, sync,
/// corruption and crash, with the crash's draws (how many operations land,
/// whether and how the next tears) taken from the same seed.
struct SimFileSystemTests {
    /// The original disk model, one file.
    struct Reference {
        enum Op { case write(Int, [UInt8]), truncate(Int) }
        var data: [UInt8] = []
        var durable: [UInt8] = []
        var pending: [Op] = []
        var random: SimRandom

        static func apply(_ op: Op, to data: inout [UInt8]) {
            switch op {
            case let .write(offset, bytes):
                if data.count < offset + bytes.count { data.append(contentsOf: repeatElement(0, count: offset + bytes.count - data.count)) }
                data.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
            case let .truncate(size):
                if size < data.count { data.removeLast(data.count - size) } else { data.append(contentsOf: repeatElement(0, count: size - data.count)) }
            }
        }

        mutating func perform(_ op: Op) {
            pending.append(op)
            Self.apply(op, to: &data)
        }

        mutating func sync() {
            durable = data
            pending = []
        }

        mutating func corrupt(at offset: Int, mask: UInt8) {
            guard offset < data.count else { return }
            data[offset] ^= mask
            if offset < durable.count { durable[offset] ^= mask }
        }

        mutating func tear(_ op: Op, into data: inout [UInt8]) {
            guard case let .write(offset, bytes) = op, !bytes.isEmpty else { return }
            let sector = 512
            var start = offset - offset % sector
            while start < offset + bytes.count {
                let end = min(offset + bytes.count, start - start % sector + sector)
                if random.chance(0.5) {
                    let from = max(start, offset)
                    if data.count < end { data.append(contentsOf: repeatElement(0, count: end - data.count)) }
                    data.replaceSubrange(from..<end, with: bytes[(from - offset)..<(end - offset)])
                }
                start = end
            }
            if random.chance(0.5), data.count < offset + bytes.count {
                data.append(contentsOf: repeatElement(0, count: offset + bytes.count - data.count))
            }
        }

        mutating func crash() {
            let keep = Int(random.below(UInt64(pending.count + 1)))
            for op in pending.prefix(keep) { Self.apply(op, to: &durable) }
            var landed = durable
            if keep < pending.count, random.chance(0.75) { tear(pending[keep], into: &landed) }
            pending = []
            durable = landed
            data = landed
        }
    }

    @Test(arguments: Array(UInt64(1)...40))
    func contentsMatchThePlainModelThroughCrashes(seed: UInt64) throws {
        let fs = SimFileSystem(seed: seed)
        var reference = Reference(random: SimRandom(seed: seed))
        var draw = SimRandom(seed: seed &* 7_919)
        try fs.createDirectory("/d")
        var file = try fs.open("/d/f", create: true)
        try fs.syncDirectory("/d")
        for step in 0..<400 {
            switch draw.below(100) {
            case 0..<55:
                // Appends mostly; sometimes an overwrite, or a write past the end.
                let size = reference.data.count
                let offset = draw.chance(0.7) ? size : Int(draw.below(UInt64(size + 2_000)))
                let bytes = (0..<Int(draw.between(1...1_500))).map { _ in UInt8(truncatingIfNeeded: draw.next()) }
                try bytes.withUnsafeBytes { try file.write($0, at: offset) }
                reference.perform(.write(offset, bytes))
            case 55..<65:
                let size = Int(draw.below(UInt64(reference.data.count + 1_000)))
                try file.truncate(to: size)
                reference.perform(.truncate(size))
            case 65..<85:
                try file.sync()
                reference.sync()
            case 85..<90:
                let offset = Int(draw.below(UInt64(reference.data.count + 1)))
                let mask = UInt8(truncatingIfNeeded: draw.next()) | 1
                fs.corrupt("/d/f", at: offset, xor: mask)
                reference.corrupt(at: offset, mask: mask)
            default:
                fs.crash()
                reference.crash()
                file = try fs.open("/d/f", create: false)
            }
            #expect(fs.contents("/d/f") == reference.data, "seed \(seed), step \(step)")
            #expect(try file.size() == reference.data.count)
        }
    }
}
