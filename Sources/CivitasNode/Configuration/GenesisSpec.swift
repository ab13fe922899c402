import Foundation
import TOMLKit

/// The founding members of a community as `civitas genesis --from FILE` reads
/// them, from TOML or (for a `.json` file) JSON. Keys stay text here: the
/// command resolves each (hex or key file).
public struct GenesisSpec: Decodable, Sendable {
    public struct Validator: Decodable, Sendable {
        public var name: String
        public var subject: String
        public var node: String
    }
    public struct Subject: Decodable, Sendable {
        public var key: String
        public var displayName: String
        public var unit: String
        public var roles: [String]
        enum CodingKeys: String, CodingKey { case key, displayName = "display_name", unit, roles }
    }
    public var community: String?
    public var registrars: [String]?
    public var validators: [Validator]?
    public var subjects: [Subject]?

    public init() {}

    public static func read(path: String) throws -> GenesisSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "", "cannot be read")])
        }
        do {
            if path.hasSuffix(".json") { return try JSONDecoder().decode(GenesisSpec.self, from: data) }
            return try TOMLDecoder().decode(GenesisSpec.self, from: String(decoding: data, as: UTF8.self))
        } catch let error as TOMLParseError {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(
                key: "", "not valid TOML at line \(error.source.begin.line): \(error.description)")])
        } catch {
            throw ConfigurationError(path: path, problems: [ConfigurationProblem(key: "", "\(error)")])
        }
    }
}
