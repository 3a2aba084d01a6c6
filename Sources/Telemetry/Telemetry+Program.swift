import Logging
import Tracing

extension Telemetry {
    /// A workload program's whole run: telemetry started, `body` inside the program's top-level span (a child
    /// of the caller's `TRACEPARENT`), then a bounded shutdown.
    /// - Parameter body: does the work; returns false after logging the one line that says why it failed.
    /// - Returns: what `body` returned, for the program's exit status.
    public static func runProgram(_ programName: String, operation: String, _ body: (any Span, Logger) -> Bool) async -> Bool {
        let telemetry = start(programName: programName)
        let succeeded = withSpan(operation, context: telemetry.incomingContext, ofKind: .internal) { span in
            body(span, telemetry.logger)
        }
        await telemetry.shutdown()
        return succeeded
    }
}
