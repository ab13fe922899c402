// The closing lines of `make bench-ordering`, computed from the "result:"
// lines of the etcd, Civitas and ceiling outputs of the same run.
import Foundation

enum Summary {
    /// Every "result: k=v ..." line of a file, as dictionaries.
    static func results(_ path: String) throws -> [[String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw LoadError.usage("summary: cannot read \(path)") }
        return text.split(separator: "\n").compactMap { line -> [String: String]? in
            guard line.hasPrefix("result: ") else { return nil }
            var d: [String: String] = [:]
            for pair in line.dropFirst(8).split(separator: " ") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { d[String(kv[0])] = String(kv[1]) }
            }
            return d
        }
    }

    static func find(_ rs: [[String: String]], phase: String, _ key: String, file: String) throws -> Double {
        guard let r = rs.first(where: { $0["phase"] == phase }), let v = r[key].flatMap(Double.init), v.isFinite else {
            throw LoadError.usage("summary: no \(phase) \(key) in \(file)")
        }
        return v
    }

    static func run(files: [String: String]) throws {
        guard let e = files["etcd"], let c = files["civitas"], let k = files["ceiling"] else {
            throw LoadError.usage("summary: --etcd FILE --civitas FILE --ceiling FILE are required")
        }
        let etcd = try results(e), civ = try results(c), ceil = try results(k)
        let etcdSat = try find(etcd, phase: "saturation", "throughput", file: e)
        let civSat = try find(civ, phase: "saturation", "throughput", file: c)
        let etcdP99 = try find(etcd, phase: "open", "p99_ms", file: e)
        let civP99 = try find(civ, phase: "open", "p99_ms", file: c)
        let offered = try find(etcd, phase: "open", "offered", file: e)
        let civOffered = try find(civ, phase: "open", "offered", file: c)
        guard offered == civOffered else { throw LoadError.usage("summary: the open loops ran at different rates (\(offered), \(civOffered))") }
        let product = try find(ceil, phase: "ceiling", "product", file: k)
        let parallel = try find(ceil, phase: "ceiling", "parallel", file: k)
        let errors = (try? find(civ, phase: "open", "errors", file: c)) ?? 0
        let x = civSat / etcdSat, y = civP99 / etcdP99, z = 100 * civSat / product
        print("saturation: civitas \(fmt(civSat, 1)) writes/s, etcd \(fmt(etcdSat, 1)) writes/s = \(fmt(x, 2))x (target >= 0.8x: \(x >= 0.8 ? "met" : "NOT met"))")
        print("p99 at \(fmt(offered, 0)) writes/s offered: civitas \(fmt(civP99, 2)) ms, etcd \(fmt(etcdP99, 2)) ms = \(fmt(y, 2))x (target <= 1x: \(y <= 1 ? "met" : "NOT met"))" + (errors > 0 ? "; civitas had \(Int(errors)) failed requests in the open loop" : ""))
        print("verify ceiling: civitas at saturation is \(fmt(z, 1))% of \(fmt(product, 0)) verifications/s (cores x one core), \(fmt(100 * civSat / parallel, 1))% of \(fmt(parallel, 0))/s measured on all cores at once; the three validators share these cores and each verifies every signature, so three nodes on this machine can reach at most a third of it together")
        let pipeline = cpuLines(etcd: etcd, civitas: civ, ceiling: ceil)
        let pipelineText = pipeline.map { "pipeline cpu/write \(fmt($0, 2))x etcd" } ?? "pipeline cpu/write not measured"
        print("ordering: \(fmt(x, 2))x etcd writes/s, p99 \(fmt(y, 2))x etcd, \(pipelineText), \(fmt(z, 1))% of verify ceiling")
    }

    /// CPU time per acknowledged write, of each cluster (its member processes,
    /// read from /proc by the run script) and of the load generator, over the
    /// target's whole run; then the pipeline's own cost: the three validators'
    /// CPU per write minus three signature checks at the single-core verify
    /// rate measured in the same run, against etcd's whole CPU per write.
    /// Returns that ratio (target: at most 1), nil if the run recorded no CPU time.
    static func cpuLines(etcd: [[String: String]], civitas: [[String: String]], ceiling: [[String: String]]) -> Double? {
        func perWrite(_ rs: [[String: String]], _ phase: String) -> Double? {
            guard let g = rs.first(where: { $0["phase"] == "generator" }),
                  let writes = g["acknowledged"].flatMap(Double.init), writes > 0,
                  let r = rs.first(where: { $0["phase"] == phase }), let cpu = r["cpu_seconds"].flatMap(Double.init) else { return nil }
            return cpu / writes
        }
        guard let etcdCluster = perWrite(etcd, "cluster"), let civCluster = perWrite(civitas, "cluster"),
              let etcdGen = perWrite(etcd, "generator"), let civGen = perWrite(civitas, "generator") else { return nil }
        let us = { (x: Double) in fmt(x * 1e6, 0) }
        print("cpu per acknowledged write (whole run, warm-up included): civitas nodes \(us(civCluster)) us + generator \(us(civGen)) us; etcd members \(us(etcdCluster)) us + generator \(us(etcdGen)) us")
        guard let c = ceiling.first(where: { $0["phase"] == "ceiling" }), let single = c["single_core"].flatMap(Double.init), single > 0 else {
            return nil
        }
        let checks = 3 / single
        let pipeline = max(0, civCluster - checks)
        let ratio = pipeline / etcdCluster
        print("pipeline cpu per write: civitas \(us(civCluster)) us - 3 signature checks at \(fmt(single, 0))/s (\(us(checks)) us) = \(us(pipeline)) us; etcd \(us(etcdCluster)) us = \(fmt(ratio, 2))x (target <= 1x: \(ratio <= 1 ? "met" : "NOT met"))")
        return ratio
    }
}
