import Logging

/// `civitas node run`: configuration → logging → metrics → runtime → service group.
public enum NodeLauncher {
    public static func run(configurationPath: String) async throws {
        var configuration = try NodeConfiguration.load(path: configurationPath)
        NodeLogging.bootstrap(configuration.log)
        var logger = Logger(label: "civitas.node")
        logger.logLevel = configuration.log.level
        configuration.api = FileDescriptorBudget.fit(configuration.api, available: FileDescriptorBudget.raiseSoftLimit(), logger: logger)
        let metrics = NodeMetrics.bootstrap()
        logger.info("starting", metadata: [
            "config": .string(configuration.path), "community": .string(configuration.node.community.name),
            "role": .string(configuration.node.role.rawValue), "client_api": .string(configuration.api.clientListen.description),
            "admin_api": .string(configuration.api.adminListen.description),
        ])
        let parts = try await makeNodeRuntime(configuration: configuration, logger: logger, metrics: metrics)
        let group = try NodeLifecycle.serviceGroup(configuration: configuration, parts: parts, metrics: metrics, logger: logger)
        try await group.run()
        logger.info("stopped")
    }
}
