#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// The node's file descriptors, planned at start: the soft limit is raised to
/// the hard one, and if the HTTP servers' connection caps plus the peer links
/// plus a reserve for storage would not fit, the client API's cap is lowered
/// (with a warning) so that no flood of connections can exhaust them.
enum FileDescriptorBudget {
    /// Descriptors kept for the data directory (WAL segments, block segments,
    /// SQLite and its journal), logs, the runtime's threads and event loops.
    static let reserve = 256
    /// Peer links (`TransportSettings.maxInbound` + `maxOutbound`).
    static let peerLinks = 96

    /// The soft limit after raising it as far as the hard limit allows.
    static func raiseSoftLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1_024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// `api` with the client API's connection cap lowered to what `available` descriptors allow.
    static func fit(_ api: NodeConfiguration.API, available: Int, logger: Logger) -> NodeConfiguration.API {
        var api = api
        let fixed = reserve + peerLinks + api.adminLimits.maxConnections
        let room = max(16, available - fixed)
        if api.clientLimits.maxConnections > room {
            logger.warning("api.max_connections lowered to fit the file descriptor limit", metadata: [
                "configured": "\(api.clientLimits.maxConnections)", "lowered_to": "\(room)", "nofile_limit": "\(available)",
                "hint": "raise LimitNOFILE (systemd) or ulimit -n",
            ])
            api.clientLimits.maxConnections = room
            api.clientLimits.maxConnectionsPerAddress = min(api.clientLimits.maxConnectionsPerAddress, room)
        }
        return api
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
