/// A test's own failure, for setup steps outside `#expect` (a tool that failed, a file that is missing).
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
