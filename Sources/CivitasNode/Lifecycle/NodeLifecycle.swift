import Hummingbird
public import Logging
public import ServiceLifecycle

/// The running pieces of a node: what the APIs serve, the runtime service, and
/// what SIGHUP does. `makeNodeRuntime(configuration:logger:metrics:)` builds it.
public struct NodeRuntimeParts: Sendable {
    /// What the client and admin APIs answer from.
    public var service: any NodeService
    /// Runs Raft, the mempool, block production, storage and gossip until graceful shutdown.
    public var runtime: any Service
    /// Reloads certificates, the trust bundle and revocation lists (SIGHUP).
    public var reload: @Sendable () async -> Void

    public init(service: any NodeService, runtime: any Service, reload: @escaping @Sendable () async -> Void) {
        self.service = service
        self.runtime = runtime
        self.reload = reload
    }
}

/// Assembles the node's service group: the runtime, the client API, the admin API
/// and the SIGHUP handler. SIGTERM and SIGINT shut it down gracefully, in reverse
/// order: reloads stop, the APIs stop taking requests and finish the ones in
/// flight, then the runtime drains and stops.
public enum NodeLifecycle {
    public static func serviceGroup(configuration: NodeConfiguration, parts: NodeRuntimeParts, metrics: NodeMetrics,
                                    logger: Logger) throws -> ServiceGroup {
        var clientSettings = ClientAPI.Settings()
        clientSettings.maxBodyBytes = configuration.api.maxBodyBytes
        let api = configuration.api
        let client = try NodeHTTPServer(
            router: ClientAPI.router(service: parts.service, metrics: metrics, settings: clientSettings),
            key: "api.client_listen", address: api.clientListen, name: "civitas-client-api", limits: api.clientLimits,
            tls: api.clientTLS, metrics: metrics, logger: logger.with(label: "civitas.api.client"))
        let admin = try NodeHTTPServer(
            router: AdminAPI.router(service: parts.service, metrics: metrics),
            key: "api.admin_listen", address: api.adminListen, name: "civitas-admin-api", limits: api.adminLimits,
            metrics: metrics, logger: logger.with(label: "civitas.api.admin"))
        let reloadNode = parts.reload
        let reload: @Sendable () async -> Void = {
            await reloadNode()
            do {
                if try client.reload() != nil { logger.info("client API certificate reloaded") }
            } catch {
                logger.error("client API certificate not reloaded; the old one stays in use", metadata: ["error": "\(error)"])
            }
        }
        return serviceGroup(runtime: parts.runtime, servers: [client, admin], reload: reload, logger: logger)
    }

    /// The group for any runtime and servers (tests run it with closure services).
    public static func serviceGroup(runtime: any Service, servers: [any Service], reload: @escaping @Sendable () async -> Void,
                                    logger: Logger) -> ServiceGroup {
        let stopAll = ServiceGroupConfiguration.ServiceConfiguration.TerminationBehavior.gracefullyShutdownGroup
        var services = [ServiceGroupConfiguration.ServiceConfiguration(
            service: runtime, successTerminationBehavior: stopAll, failureTerminationBehavior: stopAll)]
        for server in servers {
            services.append(.init(service: server, successTerminationBehavior: stopAll, failureTerminationBehavior: stopAll))
        }
        services.append(.init(service: HangupReloadService(logger: logger, onReload: reload)))
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        return ServiceGroup(configuration: configuration)
    }
}

extension Logger {
    func with(label: String) -> Logger {
        var copy = Logger(label: label, factory: { _ in handler })
        copy.logLevel = logLevel
        return copy
    }
}
