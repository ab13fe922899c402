import CivitasNode
import Testing

@Suite struct NodeServiceContractTests {
    @Test func healthyReportHasNoReasons() {
        let report = HealthReport(level: .healthy, reasons: [])
        #expect(report.reasons.isEmpty)
    }
}
