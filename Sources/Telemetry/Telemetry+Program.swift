import Foundation
import Logging
import Tracing

extension Telemetry {
    /// A workload program's whole run: first, with `PYROSCOPE_ENABLE` true, the hand-off to hybrid-run
    /// (``ProfilerHandOff``: this call does not return then, the process runs again under hybrid-run); then
    /// telemetry started, `body` inside the program's top-level span (a child of the caller's `TRACEPARENT`),
    /// and a bounded shutdown.
    /// - Parameter body: does the work; returns false after logging the one line that says why it failed.
    /// - Returns: what `body` returned, for the program's exit status.
    public static func runProgram(_ programName: String, operation: String, _ body: (any Span, Logger) -> Bool) async -> Bool {
        let environment = ProcessInfo.processInfo.environment
        let handOffWarnings = ProfilerHandOff.handOffIfAsked(programName: programName, environment: environment, arguments: CommandLine.arguments)
        let telemetry = start(programName: programName, environment: environment)
        for warning in handOffWarnings { telemetry.logger.warning("\(warning)") }
        let succeeded = withSpan(operation, context: telemetry.incomingContext, ofKind: .internal) { span in
            body(span, telemetry.logger)
        }
        await telemetry.shutdown()
        return succeeded
    }
}
