import Logging
import SafeText
import Synchronization

/// Receives swift-otel's own diagnostic logs so they never reach the user's terminal.
///
/// swift-otel logs every applied override at info level and every failed export as it happens; a wrapper
/// must not print either into the child's output. What matters to the user is summarized once:
/// - a problem logged while ``Telemetry/start(programName:environment:configure:)`` bootstraps swift-otel and
///   reads the caller's context (a setting swift-otel did not apply) is handed back by ``finishStartup()`` to be
///   reported at once: it is not a reason why spans were dropped;
/// - the first problem logged after that is the reason ``Telemetry/shutdown()`` gives when spans were dropped.
///
/// The handler's level is fixed at warning: swift-otel sets its logger's level from the process's `OTEL_LOG_LEVEL`,
/// and `error` there must not hide the failures this summary is made of.
final class DiagnosticRecorder: Sendable {
    private struct State {
        var startingUp = true
        var startupProblems: [String] = []
        var firstProblem: String?
    }

    private let state = Mutex(State())

    /// The first problem logged after start-up, on one line.
    var problem: String? { state.withLock { $0.firstProblem } }

    /// Ends start-up and returns the problems logged during it, on one line each.
    func finishStartup() -> [String] {
        state.withLock { state in
            state.startingUp = false
            return state.startupProblems
        }
    }

    func record(level: Logger.Level, message: String, error: (any Error)?, metadata: Logger.Metadata?) {
        guard level >= .warning else { return }
        var text = message
        // swift-otel names the variable it did not apply and why; its value is left out (headers hold credentials).
        if let key = metadata?["environment_key"] { text += ": \(key)" }
        if let hint = metadata?["hint"] { text += " (\(hint))" }
        if let error { text += ": \(error)" } else if let error = metadata?["error"] ?? metadata?["error.message"] { text += ": \(error)" }
        let oneLine = ShownText.value(Redaction.redactingCredentials(in: text), limit: 300)
        state.withLock { state in
            if state.startingUp {
                state.startupProblems.append(oneLine)
            } else if state.firstProblem == nil {
                state.firstProblem = oneLine
            }
        }
    }

    func makeLogger() -> Logger {
        Logger(label: "swift-otel") { _ in Handler(recorder: self) }
    }

    struct Handler: LogHandler {
        let recorder: DiagnosticRecorder
        var metadata: Logger.Metadata = [:]

        var logLevel: Logger.Level {
            get { .warning }
            set {}  // See the type's comment: the summary must not depend on OTEL_LOG_LEVEL.
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.record(level: event.level, message: "\(event.message)", error: event.error,
                            metadata: metadata.merging(event.metadata ?? [:]) { _, new in new })
        }
    }
}
