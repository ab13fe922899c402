import ArgumentParser
import CivitasNode

/// `civitas node …`: run a node.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run a community node.", subcommands: [Run.self, Check.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a node until SIGTERM or SIGINT (graceful: drains, then stops); SIGHUP reloads certificates.")

        @Option(help: "The node's configuration file (node.toml).")
        var config: String

        func run() async throws {
            do {
                try await NodeLauncher.run(configurationPath: config)
            } catch let error as ConfigurationError {
                throw ToolError("\(error)")
            } catch let error as NodeRuntimeError {
                throw ToolError("\(error)")
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a configuration file and print what it resolves to.")

        @Option(help: "The node's configuration file (node.toml).")
        var config: String

        func run() throws {
            let c: NodeConfiguration
            do { c = try NodeConfiguration.load(path: config) } catch { throw ToolError("\(error)") }
            print("""
            \(c.path): valid
            node:     \(c.node.role.rawValue) of '\(c.node.community)', data in \(c.node.dataDirectory)
            network:  listen \(c.network.listen), \(c.network.seeds.count) seed(s)
            api:      client \(c.api.clientListen), admin \(c.api.adminListen)
            genesis:  \(c.genesisFile)
            log:      \(c.log.format.rawValue) at \(c.log.level.rawValue)
            """)
        }
    }
}
