/// A planner's city, as `civitas sim city` runs it: communities of their own
/// size at their own place, each with its own network and workload; the city
/// links between their gateways, by class and distance; drills on a schedule
/// and faults drawn from the seed; the protocol's settings. Parsed from a
/// scenario file by `CityScenario`; run by `NodeSimulation` (the same engine
/// as the node campaign, so every node is the product's node).
public struct CityPlan: Sendable, Hashable {
    public var name: String
    /// The planner's question the scenario answers (its opening comment).
    public var question: String
    public var seed: UInt64
    public var durationSeconds: UInt64
    /// Hour of the day (0..<24) at which the run starts, for the daily rhythm.
    public var startHour: Double
    public var communities: [Community]
    /// The class of the city's links between gateways, unless a pair has its own.
    public var cityLink: LinkClass
    public var cityLinks: [CityLink]
    public var drills: [Drill]
    /// Mean seconds between random faults of each kind, city-wide (absent: none).
    public var randomFaults: [FaultKind: UInt64]
    /// How long a random fault lasts (seconds, drawn uniformly).
    public var randomFaultLength: ClosedRange<UInt64>
    public var protocolSettings: ProtocolSettings

    public struct Community: Sendable, Hashable {
        public var name: String
        public var xKm: Double
        public var yKm: Double
        /// The subject each validator serves, by the sample community's member
        /// names ("committee", "party", "owners", "manager", "street").
        public var validators: [String]
        public var observers: Int
        public var gateway: Bool
        /// Residents registered in the community's genesis (they sign its workload).
        public var residents: Int
        /// The network inside the community.
        public var link: LinkClass
        public var workload: Workload
        public var nodes: Int { validators.count + observers + (gateway ? 1 : 0) }
    }

    public struct Workload: Sendable, Hashable {
        /// Records submitted per day on average (the rhythm shapes the hours).
        public var recordsPerDay: Double
        /// Share of each kind of record (normalised).
        public var mix: [RecordKind: Double]
        public var rhythm: Rhythm
        /// Share of residents who vote on the day's proposal over the run (a ballot day).
        public var ballotTurnout: Double

        public static let standard = Workload(
            recordsPerDay: 1_200,
            mix: [.serviceRequest: 0.45, .notice: 0.1, .volunteer: 0.25, .referral: 0.05, .ballot: 0.15],
            rhythm: .daily, ballotTurnout: 0)
    }

    public enum RecordKind: String, Sendable, Hashable, CaseIterable {
        case serviceRequest = "service_request"
        case notice
        case volunteer
        case referral
        case ballot
    }

    public enum Rhythm: String, Sendable, Hashable {
        /// Quiet at night, a morning peak (7-9) and an evening peak (18-21).
        case daily
        case flat

        /// The rate at `hour` (0..<24) against the day's mean (the day's integral is 24).
        public func factor(atHour hour: Double) -> Double {
            guard self == .daily else { return 1 }
            let h = hour.truncatingRemainder(dividingBy: 24)
            switch h {
            case ..<6: return 0.12
            case ..<7: return 0.6
            case ..<9: return 2.6
            case ..<12: return 1.2
            case ..<14: return 1.4
            case ..<18: return 0.6
            case ..<21: return 2.2
            case ..<23: return 0.9
            default: return 0.28
            }
        }

        /// The highest factor of the day (for drawing arrivals by thinning).
        public var peak: Double { self == .daily ? 2.6 : 1 }
    }

    /// A class of link: what a fibre line, a community's broadband or a 4G
    /// modem gives, with latency growing with distance.
    public struct LinkClass: Sendable, Hashable {
        public var name: String
        public var baseLatencyMillis: Double
        /// One-way delay per km (light in fibre: 5 µs/km; routes are not straight, so more).
        public var microsPerKm: Double
        public var jitterMillis: Double
        public var loss: Double
        public var bandwidthMbps: Double

        public static let fibre = LinkClass(name: "fibre", baseLatencyMillis: 0.5, microsPerKm: 7.5, jitterMillis: 0.5, loss: 0.0005, bandwidthMbps: 1_000)
        public static let broadband = LinkClass(name: "broadband", baseLatencyMillis: 4, microsPerKm: 10, jitterMillis: 3, loss: 0.002, bandwidthMbps: 100)
        public static let cellular = LinkClass(name: "4g", baseLatencyMillis: 30, microsPerKm: 10, jitterMillis: 15, loss: 0.01, bandwidthMbps: 20)
        public static let all = [fibre, broadband, cellular]

        /// One-way latency over `km`, in ms.
        public func latencyMillis(km: Double) -> Double { baseLatencyMillis + km * microsPerKm / 1_000 }

        /// The simulator's profile of this class over `km` (with `loss` if given).
        public func profile(km: Double, loss: Double? = nil) -> SimNetwork.LinkProfile {
            func duration(_ millis: Double) -> Duration { .microseconds(Int64((millis * 1_000).rounded())) }
            return SimNetwork.LinkProfile(baseLatency: duration(latencyMillis(km: km)), jitter: duration(jitterMillis), loss: loss ?? self.loss,
                                          duplication: 0, tailProbability: 0.01, tailLatency: duration(jitterMillis * 10 + 20),
                                          bytesPerSecond: bandwidthMbps * 125_000)
        }
    }

    /// A city link between two communities' gateways with its own class or loss.
    public struct CityLink: Sendable, Hashable {
        public var a: Int
        public var b: Int
        public var link: LinkClass
        public var loss: Double?
    }

    public enum FaultKind: String, Sendable, Hashable, CaseIterable {
        case validatorCrash = "validator-crash"
        case leaderIsolated = "leader-isolated"
        case communityOffline = "community-offline"
        case gatewayDown = "gateway-down"
        case lossyCityLinks = "lossy-city-links"
        case clockStep = "clock-step"
    }

    /// A fault at a set time: what, where, how long.
    public struct Drill: Sendable, Hashable {
        public var atSecond: UInt64
        public var kind: FaultKind
        /// The community it strikes (nil: drawn from the seed; lossy city links strike the whole city).
        public var community: Int?
        /// A validator crash: which validator (from 0; nil: the leader).
        public var validator: Int?
        public var lengthSeconds: UInt64
        /// Lossy city links: the loss added.
        public var loss: Double
        /// A clock step: how far (ms; negative: back).
        public var stepMillis: Int64
    }

    /// The protocol settings a planner may ask about; the defaults are the node's own.
    public struct ProtocolSettings: Sendable, Hashable {
        public var tickMillis: UInt64 = 100
        /// Election timeout range in ms (drawn per reset).
        public var electionTimeoutMillis: ClosedRange<UInt64> = 1_000...2_000
        public var heartbeatMillis: UInt64 = 100
        public var preVote = true
        public var checkQuorum = true
        /// A block at most this often (the genesis block interval).
        public var blockIntervalMillis: UInt64 = 1_000
        /// Peers each node keeps links to (Plumtree pushes to these eagerly).
        public var gossipFanout = 5
        /// Blocks between checkpoints (the genesis checkpoint interval).
        public var checkpointInterval: UInt64 = 60

        public init() {}
    }

    public var nodes: Int { communities.map(\.nodes).reduce(0, +) }

    /// The city link between communities `a` and `b`: its class, distance and loss.
    public func cityLink(_ a: Int, _ b: Int) -> (link: LinkClass, km: Double, loss: Double) {
        let km = distance(a, b)
        if let own = cityLinks.first(where: { ($0.a, $0.b) == (a, b) || ($0.a, $0.b) == (b, a) }) {
            return (own.link, km, own.loss ?? own.link.loss)
        }
        return (cityLink, km, cityLink.loss)
    }

    public func distance(_ a: Int, _ b: Int) -> Double {
        let (p, q) = (communities[a], communities[b])
        return ((p.xKm - q.xKm) * (p.xKm - q.xKm) + (p.yKm - q.yKm) * (p.yKm - q.yKm)).squareRoot()
    }
}
