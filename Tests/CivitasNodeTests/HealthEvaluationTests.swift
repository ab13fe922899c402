import CivitasNode
import Foundation
import Testing

@Suite struct HealthEvaluationTests {
    static let fine = HealthInputs(hasLeader: true, height: 100, bestPeerHeight: 100, communityPeers: 2, diskFreeBytes: 50,
                                   diskTotalBytes: 100, certificateSecondsLeft: 90 * 86_400)
    let thresholds = NodeConfiguration.Health()  // min 1 peer, lag 10, 5% free, 14 days

    @Test func healthyHasNoReasons() {
        #expect(HealthReport.evaluate(Self.fine, thresholds: thresholds) == HealthReport(level: .healthy, reasons: []))
        var observer = Self.fine
        observer.hasLeader = nil
        #expect(HealthReport.evaluate(observer, thresholds: thresholds).level == .healthy)
        var atTheLimit = Self.fine
        atTheLimit.bestPeerHeight = 110
        atTheLimit.diskFreeBytes = 5
        #expect(HealthReport.evaluate(atTheLimit, thresholds: thresholds).level == .healthy)
    }

    @Test func everyReasonWorded() {
        let bad = HealthInputs(hasLeader: false, height: 100, bestPeerHeight: 112, communityPeers: 0, diskFreeBytes: 4,
                               diskTotalBytes: 100, certificateSecondsLeft: 5 * 86_400 + 10)
        #expect(HealthReport.evaluate(bad, thresholds: thresholds) == HealthReport(level: .degraded, reasons: [
            "no leader", "behind peers by 12 blocks", "too few peers (0 of 1)", "disk nearly full (96%)", "certificate expires in 5 days",
        ]))
        var expired = Self.fine
        expired.certificateSecondsLeft = -1
        #expect(HealthReport.evaluate(expired, thresholds: thresholds).reasons == ["certificate expired"])
    }

    /// Tamper evidence in the chain is the first reason, naming each community and height.
    @Test func tamperEvidenceRaisesTheAlarmFirst() {
        var tampered = Self.fine
        tampered.hasLeader = false
        tampered.tamperEvidence = ["maple-court at height 300", "pine-row at height 20"]
        let report = HealthReport.evaluate(tampered, thresholds: thresholds)
        #expect(report.level == .degraded)
        #expect(report.reasons == ["TAMPER ALARM: two certified heads of one community's chain at one height: maple-court at height 300; pine-row at height 20",
                                   "no leader"])
    }
}

@Suite struct DiskUsageTests {
    @Test func measuresFilesAndTheFileSystem() throws {
        try withScratchDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/blocks", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: dir + "/a", contents: Data(count: 1_000))
            _ = FileManager.default.createFile(atPath: dir + "/blocks/b", contents: Data(count: 24))
            let report = DiskUsage.report(for: dir)
            #expect(report.usedBytes == 1_024)
            #expect(report.totalBytes > 0 && report.freeBytes <= report.totalBytes)
            #expect(DiskUsage.fileSystem(of: dir + "/missing") == nil)
        }
    }
}
