import Foundation
import Logging
import SafeText

#if canImport(Glibc)
import Glibc
#endif

/// Writes a program's own log lines to stderr, never stdout, so wrapping a command never changes its output.
///
/// Text lines read `program: [warning: ]message key=value…`; JSON lines carry every metadata field. Either
/// way the `trace_id` and `span_id` of the active span come from the metadata provider, so a line in a CI
/// log leads to its trace (the guide's "trace links in logs").
///
/// A text line is always one line: control characters in it (a value quoted from the user, a server or the
/// child) are escaped, so nothing quoted can forge a `program:` line or drive the terminal.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let programName: String
    private let format: TelemetryConfiguration.LogFormat

    public init(programName: String, level: Logger.Level, format: TelemetryConfiguration.LogFormat, metadataProvider: Logger.MetadataProvider?) {
        self.programName = programName
        self.logLevel = level
        self.format = format
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let line = switch format {
        case .text: textLine(level: event.level, message: "\(event.message)", metadata: merged)
        case .json: jsonLine(level: event.level, message: "\(event.message)", metadata: merged)
        }
        Self.write(line + "\n")
    }

    func textLine(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "\(programName): "
        switch level {
        case .warning: line += "warning: "
        case .error, .critical: line += "error: "
        default: break
        }
        line += message
        for key in metadata.keys.sorted() where key != "trace_flags" {
            line += " \(key)=\(metadata[key]!)"
        }
        return ShownText.escapingControlCharacters(line)
    }

    func jsonLine(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var fields = metadata.mapValues { "\($0)" }
        fields["program"] = programName
        fields["level"] = level.rawValue
        fields["message"] = message
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(fields)).map { String(decoding: $0, as: UTF8.self) } ?? message
    }

    /// One `write(2)` per line, so lines from concurrent tasks and from the child never interleave mid-line.
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
