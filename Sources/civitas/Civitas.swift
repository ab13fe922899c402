import ArgumentParser

/// The `civitas` command-line tool.
@main
struct Civitas: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "civitas",
        abstract: "Civitas: a ledger network for community governance.",
        discussion: """
        The node, its APIs and `civitas status` arrive with later issues; today the tool
        handles keys, inspects encoded objects and runs the ledger demo.
        """,
        subcommands: [Demo.self, Keys.self, Inspect.self, Sim.self, Verify.self, CA.self]
    )
}

/// A failure the tool reports as one clear line and exit code 1.
struct ToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
