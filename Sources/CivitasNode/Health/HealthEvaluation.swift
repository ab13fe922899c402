/// What the health verdict is judged from: figures the runtime already has.
public struct HealthInputs: Sendable, Hashable {
    /// Whether a Raft leader is known; nil on nodes that do not follow Raft (observers, gateways).
    public var hasLeader: Bool?
    public var height: UInt64
    /// The highest height any peer reported.
    public var bestPeerHeight: UInt64
    /// Connected peers in this node's own community.
    public var communityPeers: Int
    public var diskFreeBytes: UInt64
    public var diskTotalBytes: UInt64
    /// Seconds until the node certificate expires (negative once expired).
    public var certificateSecondsLeft: Int64
    /// Tamper evidence recorded in the chain, one line each ("community at height H").
    public var tamperEvidence: [String]

    public init(hasLeader: Bool?, height: UInt64, bestPeerHeight: UInt64, communityPeers: Int, diskFreeBytes: UInt64,
                diskTotalBytes: UInt64, certificateSecondsLeft: Int64, tamperEvidence: [String] = []) {
        self.tamperEvidence = tamperEvidence
        self.hasLeader = hasLeader; self.height = height; self.bestPeerHeight = bestPeerHeight
        self.communityPeers = communityPeers; self.diskFreeBytes = diskFreeBytes; self.diskTotalBytes = diskTotalBytes
        self.certificateSecondsLeft = certificateSecondsLeft
    }
}

extension HealthReport {
    /// The verdict for `inputs` against the `[health]` thresholds, with one
    /// reason per failed check, worded as `/readyz` and `civitas status` show them.
    public static func evaluate(_ inputs: HealthInputs, thresholds: NodeConfiguration.Health) -> HealthReport {
        var reasons: [String] = []
        // First, so an operator reading only the first reason sees it.
        if !inputs.tamperEvidence.isEmpty {
            reasons.append("TAMPER ALARM: two certified heads of one community's chain at one height: "
                           + inputs.tamperEvidence.joined(separator: "; "))
        }
        if inputs.hasLeader == false { reasons.append("no leader") }
        if inputs.bestPeerHeight > inputs.height, inputs.bestPeerHeight - inputs.height > thresholds.maxLagBlocks {
            reasons.append("behind peers by \(inputs.bestPeerHeight - inputs.height) blocks")
        }
        if inputs.communityPeers < thresholds.minPeers {
            reasons.append("too few peers (\(inputs.communityPeers) of \(thresholds.minPeers))")
        }
        if inputs.diskTotalBytes > 0 {
            let free = inputs.diskFreeBytes.multipliedFullWidth(by: 100)
            let floor = inputs.diskTotalBytes.multipliedFullWidth(by: UInt64(thresholds.diskFreePercent))
            if free < floor {
                let used = 100 - Int(Double(min(inputs.diskFreeBytes, inputs.diskTotalBytes)) * 100 / Double(inputs.diskTotalBytes))
                reasons.append("disk nearly full (\(used)%)")
            }
        }
        if inputs.certificateSecondsLeft <= 0 {
            reasons.append("certificate expired")
        } else if inputs.certificateSecondsLeft < Int64(thresholds.certificateWarnDays) * 86_400 {
            let days = inputs.certificateSecondsLeft / 86_400
            reasons.append(days == 0 ? "certificate expires in less than a day" : "certificate expires in \(days) days")
        }
        return HealthReport(level: reasons.isEmpty ? .healthy : .degraded, reasons: reasons)
    }
}
