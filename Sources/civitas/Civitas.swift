import ArgumentParser

/// The `civitas` command-line tool.
@main
struct Civitas: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "civitas",
        abstract: "Civitas: a ledger network for community governance.",
        discussion: """
        Set up a node with `civitas ca`, `civitas init` and `civitas genesis`; run it with
        `civitas node run`; watch it with `civitas status`; use it with `civitas tx` and `civitas query`.
        """,
        subcommands: [Demo.self, Keys.self, Inspect.self, Sim.self, Verify.self, CA.self, InitCommand.self, GenesisCommand.self,
                      NodeCommand.self, StatusCommand.self, TxCommand.self, QueryCommand.self, FederationCommand.self]
    )
}

/// A failure the tool reports as one clear line and exit code 1.
struct ToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
