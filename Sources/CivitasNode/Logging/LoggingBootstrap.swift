public import Logging

/// Installs the log handler the configuration names, once per process.
public enum NodeLogging {
    /// A handler factory for `format` at `level`, writing to `output`.
    public static func makeHandler(format: NodeConfiguration.Log.Format, level: Logger.Level,
                                   output: LogOutput = .standardError) -> @Sendable (String) -> any LogHandler {
        { label in
            switch format {
            case .logfmt: return LogfmtLogHandler(label: label, output: output, level: level)
            case .json: return JSONLogHandler(label: label, output: output, level: level)
            }
        }
    }

    /// Bootstraps swift-log for the whole process (call once, before any logger is made).
    public static func bootstrap(_ log: NodeConfiguration.Log, output: LogOutput = .standardError) {
        LoggingSystem.bootstrap(makeHandler(format: log.format, level: log.level, output: output))
    }
}
