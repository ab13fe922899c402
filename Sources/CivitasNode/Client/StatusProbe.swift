public import Foundation

/// `civitas status`'s core: fetch `/status`, judge it, render it.
public enum StatusProbe {
    /// The exit code: 0 healthy, 1 degraded, 2 unreachable or an answer that is not a status report.
    public enum Verdict: Int32, Sendable {
        case healthy = 0, degraded = 1, unreachable = 2
    }

    public struct Outcome: Sendable {
        public var verdict: Verdict
        public var report: NodeStatusReport?
        /// Why the node could not be judged (unreachable, bad answer).
        public var problem: String?
    }

    public static func probe(node: String, timeout: TimeInterval = 5) async -> Outcome {
        guard let client = NodeHTTPClient(base: node, timeout: timeout) else {
            return Outcome(verdict: .unreachable, problem: "'\(node)' is not an http:// URL")
        }
        let answer: NodeHTTPClient.Answer
        do { answer = try await client.get("/status") } catch {
            return Outcome(verdict: .unreachable, problem: "unreachable: \(error)")
        }
        guard answer.status == 200 else {
            return Outcome(verdict: .unreachable, problem: "GET /status answered \(answer.status): \(answer.reason)")
        }
        guard let report = try? JSONDecoder().decode(NodeStatusReport.self, from: answer.body) else {
            return Outcome(verdict: .unreachable, problem: "GET /status did not answer a status report")
        }
        return Outcome(verdict: report.health.level == .healthy ? .healthy : .degraded, report: report)
    }

    /// The report as readable text, grouped as `civitas status` prints it.
    public static func render(_ r: NodeStatusReport) -> String {
        var lines: [String] = []
        func add(_ s: String) { lines.append(s) }
        add("node        \(r.identity.nodeID)  (\(r.identity.role) in '\(r.identity.community)', version \(r.identity.version))")
        add("health      \(r.health.level.rawValue)" + (r.health.reasons.isEmpty ? "" : ": " + r.health.reasons.joined(separator: "; ")))
        if let raft = r.raft {
            add("raft        term \(raft.term), \(raft.role ?? "not a voter"), leader \(raft.leader ?? "none"), commit \(raft.commitIndex), applied \(raft.appliedIndex)")
        } else {
            add("raft        not a member")
        }
        let age = r.chain.headAgeMillis.map { " (\(formatAge(millis: $0)) ago)" } ?? ""
        add("chain       height \(r.chain.height), head \(r.chain.headHash.prefix(16))…\(age), best peer height \(r.chain.bestPeerHeight)")
        add("mempool     \(r.mempool.transactions) transactions, \(r.mempool.bytes) bytes, \(r.mempool.signers) signers")
        let usedPercent = r.disk.totalBytes == 0 ? 0 : Double(r.disk.totalBytes - min(r.disk.freeBytes, r.disk.totalBytes)) * 100 / Double(r.disk.totalBytes)
        add("disk        \(r.disk.dataDirectory): \(formatBytes(r.disk.usedBytes)) used by the node, \(formatBytes(r.disk.freeBytes)) free (\(String(format: "%.0f", usedPercent))% full)")
        add("certificate expires \(r.certificate.notAfter) (\(formatAge(millis: UInt64(max(0, r.certificate.secondsLeft)) * 1_000)) left)")
        let byCommunity = Dictionary(grouping: r.peers, by: \.community)
        add("peers       \(r.peers.count)")
        for community in byCommunity.keys.sorted() {
            add("  \(community):")
            for p in byCommunity[community]!.sorted(by: { $0.nodeID < $1.nodeID }) {
                let rtt = p.roundTripMillis.map { String(format: "%.1f ms", $0) } ?? "-"
                add("    \(p.nodeID)  \(p.role)  \(p.address)  rtt \(rtt)")
            }
        }
        if !r.gossip.isEmpty {
            add("gossip      " + r.gossip.keys.sorted().map { "\($0)=\(r.gossip[$0]!)" }.joined(separator: " "))
        }
        if !r.checkpoints.isEmpty || !r.tamperEvidence.isEmpty {
            add("federation  neighbours' last checkpoints anchored in this chain")
            for c in r.checkpoints.sorted(by: { $0.community < $1.community }) {
                let age = c.ageMillis.map { ", anchored \(formatAge(millis: $0)) ago" } ?? ""
                add("  \(c.community): height \(c.height), header \(c.headerHash.prefix(16))…\(age)")
            }
            for e in r.tamperEvidence.sorted(by: { ($0.community, $0.height) < ($1.community, $1.height) }) {
                add("  TAMPER ALARM \(e.community) at height \(e.height): anchored \(e.anchoredHeaderHash.prefix(16))…, "
                    + "also certified \(e.conflictingHeaderHash.prefix(16))… (recorded at height \(e.recordedHeight))")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func formatAge(millis: UInt64) -> String {
        let s = millis / 1_000
        if s < 120 { return millis < 10_000 ? String(format: "%.1f s", Double(millis) / 1_000) : "\(s) s" }
        if s < 7_200 { return "\(s / 60) min" }
        if s < 172_800 { return "\(s / 3_600) h" }
        return "\(s / 86_400) days"
    }

    static func formatBytes(_ n: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), i = 0
        while v >= 1_024 && i < units.count - 1 { v /= 1_024; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f", v) + " " + units[i]
    }
}
