import CivitasNode
import Foundation
import Testing

/// The files in deploy/ stay true to the node: its example configurations are
/// accepted by the node's own loader, and every metric its Prometheus files
/// name is one the node exports.
@Suite struct DeployFilesTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy")

    static func files(in directory: String, ending suffix: String) throws -> [URL] {
        let dir = deploy.appendingPathComponent(directory)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(suffix) }.sorted()
            .map { dir.appendingPathComponent($0) }
    }

    @Test func exampleConfigurationsAreAccepted() throws {
        let configs = try Self.files(in: "config", ending: ".toml")
        #expect(configs.count >= 2)
        for url in configs {
            let text = try String(contentsOf: url, encoding: .utf8)
            try withScratchDirectory { dir in
                // The node directory `civitas init` makes, with the files the configuration names.
                try ConfigurationTests.writeNode(dir)
                do {
                    let c = try NodeConfiguration.parse(text, path: dir + "/node.toml")
                    #expect(c.node.community.name == "lianhua-east", "\(url.lastPathComponent)")
                    #expect(c.api.adminListen.host == "127.0.0.1", "\(url.lastPathComponent): the admin API should stay local")
                } catch {
                    Issue.record("\(url.lastPathComponent): \(error)")
                }
            }
        }
    }

    @Test func prometheusFilesNameOnlyMetricsTheNodeExports() throws {
        let exported = Set(NodeMetrics.Name.all)
        var named: Set<String> = []
        for url in try Self.files(in: "prometheus", ending: ".yml") {
            let text = try String(contentsOf: url, encoding: .utf8)
            let pattern = try Regex("civitas_[a-z_]+")
            for match in text.matches(of: pattern) {
                var name = String(text[match.range])
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && !exported.contains(name) {
                    name = String(name.dropLast(suffix.count))
                }
                named.insert(name)
            }
        }
        #expect(!named.isEmpty)
        #expect(named.subtracting(exported).isEmpty, "not exported by the node: \(named.subtracting(exported).sorted())")
    }
}
