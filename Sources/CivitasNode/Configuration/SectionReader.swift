import CivitasCodec
import CivitasLedger
import Foundation
import TOMLKit

/// Reads typed values from one section, reporting each problem under its full key.
struct SectionReader {
    enum PathKind { case file, directory, parentDirectory }

    let name: String
    let table: TOMLTable?
    let reader: ConfigurationReader
    /// True when the section itself is missing (already reported): its required keys are not reported again.
    var sectionMissing = false

    private func raw(_ key: String, required: Bool) -> (any TOMLValueConvertible)? {
        guard let value = table?[key] else {
            if required && !sectionMissing { reader.problem("\(name).\(key)", "missing (required)") }
            return nil
        }
        return value
    }

    /// Whether the section sets `key` at all.
    func has(_ key: String) -> Bool { table?[key] != nil }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let value = raw(key, required: required) else { return nil }
        guard let s = value.string else {
            reader.problem("\(name).\(key)", "expected a string, found \(value.type)")
            return nil
        }
        return s
    }

    func integer(_ key: String, in range: ClosedRange<Int>, required: Bool = false) -> Int? {
        guard let value = raw(key, required: required) else { return nil }
        guard let n = value.int else {
            reader.problem("\(name).\(key)", "expected an integer, found \(value.type)")
            return nil
        }
        guard range.contains(n) else {
            reader.problem("\(name).\(key)", "\(n) is out of range (\(range.lowerBound) to \(range.upperBound))")
            return nil
        }
        return n
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, required: Bool = false) -> T?
    where T.RawValue == String {
        guard let s = string(key, required: required) else { return nil }
        guard let value = T(rawValue: s) else {
            let names = T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            reader.problem("\(name).\(key)", "'\(s)' is not one of \(names)")
            return nil
        }
        return value
    }

    func address(_ key: String, required: Bool = false) -> HostPort? {
        guard let s = string(key, required: required) else { return nil }
        guard let address = HostPort(parsing: s, allowPortZero: key != "advertise") else {
            reader.problem("\(name).\(key)", "'\(s)' is not host:port")
            return nil
        }
        return address
    }

    func addresses(_ key: String) -> [HostPort]? {
        array(key, of: "\"host:port\" strings", element: "a \"host:port\" string") { s in
            HostPort(parsing: s).map { .success($0) } ?? .failure("'\(s)' is not host:port")
        }
    }

    /// http:// or https:// URLs.
    func urls(_ key: String) -> [String]? {
        array(key, of: "http:// URLs", element: "a URL string") { s in
            (s.hasPrefix("http://") || s.hasPrefix("https://")) && URL(string: s)?.host != nil
                ? .success(s) : .failure("'\(s)' is not an http:// or https:// URL")
        }
    }

    /// Ed25519 public keys, each 64 hexadecimal digits.
    func publicKeys(_ key: String) -> [PublicKey]? {
        array(key, of: "node keys (64 hexadecimal digits each)", element: "a node key string") { s in
            guard s.count == 64, let raw = Bytes32(hex: s) else { return .failure("'\(s)' is not a node key (64 hexadecimal digits)") }
            return .success(PublicKey(raw: raw))
        }
    }

    enum Parsed<T> {
        case success(T)
        case failure(String)
    }

    /// An array of strings, each parsed by `parse`; one problem per bad
    /// element (`key[i]`), the good ones kept.
    private func array<T>(_ key: String, of what: String, element: String, parse: (String) -> Parsed<T>) -> [T]? {
        guard let value = raw(key, required: false) else { return nil }
        guard let array = value.array else {
            reader.problem("\(name).\(key)", "expected an array of \(what), found \(value.type)")
            return nil
        }
        var result: [T] = []
        for (i, item) in array.enumerated() {
            guard let s = item.string else {
                reader.problem("\(name).\(key)[\(i)]", "expected \(element), found \(item.type)")
                continue
            }
            switch parse(s) {
            case let .success(parsed): result.append(parsed)
            case let .failure(why): reader.problem("\(name).\(key)[\(i)]", why)
            }
        }
        return result
    }

    /// A path, resolved against the configuration file's directory, checked to exist as `kind`.
    func path(_ key: String, required: Bool = false, mustExist kind: PathKind) -> String? {
        guard let s = string(key, required: required) else { return nil }
        guard !s.isEmpty else {
            reader.problem("\(name).\(key)", "is empty")
            return nil
        }
        let url = s.hasPrefix("/") ? URL(fileURLWithPath: s) : URL(fileURLWithPath: reader.baseDirectory).appendingPathComponent(s)
        let resolved = url.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory)
        switch kind {
        case .file:
            if !exists { reader.problem("\(name).\(key)", "\(resolved) does not exist"); return nil }
            if isDirectory.boolValue { reader.problem("\(name).\(key)", "\(resolved) is a directory, not a file"); return nil }
        case .directory:
            if !exists { reader.problem("\(name).\(key)", "\(resolved) does not exist"); return nil }
            if !isDirectory.boolValue { reader.problem("\(name).\(key)", "\(resolved) is not a directory"); return nil }
        case .parentDirectory:
            if exists && !isDirectory.boolValue { reader.problem("\(name).\(key)", "\(resolved) is not a directory"); return nil }
            let parent = url.standardizedFileURL.deletingLastPathComponent().path
            if !exists && !FileManager.default.fileExists(atPath: parent) {
                reader.problem("\(name).\(key)", "neither \(resolved) nor its parent directory exists")
                return nil
            }
        }
        return resolved
    }
}
