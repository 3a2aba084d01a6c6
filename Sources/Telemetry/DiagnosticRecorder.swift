import Logging
import SafeText
import Synchronization

/// Receives swift-otel's own diagnostic logs so they never reach the user's terminal.
///
/// swift-otel logs every applied override at info level and every failed export as it happens; a wrapper
/// must not print either into the child's output. What matters to the user is summarized once at exit by
/// ``Telemetry/shutdown()``: the first problem seen, if any.
final class DiagnosticRecorder: Sendable {
    private let firstProblem = Mutex<String?>(nil)

    var problem: String? { firstProblem.withLock { $0 } }

    func record(level: Logger.Level, message: String, metadata: Logger.Metadata?) {
        guard level >= .warning else { return }
        var text = message
        if let error = metadata?["error"] ?? metadata?["error.message"] { text += ": \(error)" }
        let oneLine = String(Redaction.redactingCredentials(in: text).split(whereSeparator: \.isNewline).joined(separator: " ").prefix(300))
        firstProblem.withLock { if $0 == nil { $0 = oneLine } }
    }

    func makeLogger() -> Logger {
        Logger(label: "swift-otel") { _ in Handler(recorder: self) }
    }

    struct Handler: LogHandler {
        let recorder: DiagnosticRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.record(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { _, new in new })
        }
    }
}
