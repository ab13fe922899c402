/// Something a pilot could not do, with what to look at.
public struct PilotFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
