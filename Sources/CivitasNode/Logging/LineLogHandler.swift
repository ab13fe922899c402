public import Logging

/// A handler that writes each event as one line: the metadata plumbing every
/// format shares (handler, provider and event metadata merged, the error
/// added), so a format only renders the line.
public protocol LineLogHandler: LogHandler {
    var label: String { get }
    var output: LogOutput { get }
    /// The line for one event; `metadata` is merged and holds `error` if the event had one.
    func line(time: String, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String
}

extension LineLogHandler {
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = self.metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        if let error = event.error { all["error"] = .string("\(error)") }
        output.write(line(time: LogTime.now(), level: event.level, message: event.message.description, metadata: all))
    }
}
