import CivitasNodeCore

/// What the planner's report reads from a finished run besides `CityRun`'s
/// own measurements: the simulator's (`NodeSimulation`) or the live runner's
/// (`LiveCityRun`), so one report is built one way for both.
protocol CityRunWorld {
    /// When the run ended, since its start.
    var ended: SimTime { get }
    /// Community `c`'s nodes by index: validators, then observers, then its gateway.
    func members(_ c: Int) -> Range<Int>
    var nodeCount: Int { get }
    func role(ofNode i: Int) -> NodeCoreRole
    /// Each community's clients: what they submitted and how long each record waited.
    var clients: [ClientLedger] { get }
    /// Whether community `c`'s city link is cut at the end.
    func isCut(_ c: Int) -> Bool
    /// "simulated" or "live".
    var mode: String { get }
    func safety(replay: String) -> CityReport.Safety
}

extension NodeSimulation: CityRunWorld {
    var ended: SimTime { now }
    var nodeCount: Int { nodes.count }
    func role(ofNode i: Int) -> NodeCoreRole { nodes[i].role }
    func isCut(_ c: Int) -> Bool { network.isolatedGroups.contains(c) }
    var mode: String { "simulated" }

    func safety(replay: String) -> CityReport.Safety {
        CityReport.Safety(passed: report.passed, checked: NodeSimulationReport.Property.allCases.map(\.rawValue),
                          violation: report.violation?.description, replay: replay)
    }
}
