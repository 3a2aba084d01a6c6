import Foundation
import Instrumentation
import Logging
import SafeText
import Tracing

extension Telemetry {
    /// A workload program's whole run: first, with `PYROSCOPE_ENABLE` true, the hand-off to hybrid-run
    /// (``ProfilerHandOff``: this call does not return then, the process runs again under hybrid-run); then
    /// telemetry started, `body` inside the program's top-level span (a child of the caller's `TRACEPARENT`),
    /// and a bounded shutdown. For profilers outside the process, the process context (``ProcessContext``) is
    /// published first, and every span `body` starts in this task is published as its thread's context while it
    /// runs (``ThreadContextTracer``).
    /// - Parameter body: does the work. An error it throws is the program's failure: its description, with
    ///   credentials masked (``Redaction``), becomes the span's status and `exception` event and the one line
    ///   logged.
    /// - Returns: whether `body` returned, for the program's exit status.
    public static func runProgram(_ programName: String, operation: String, _ body: (any Span, Logger) throws -> Void) async -> Bool {
        let environment = ProcessInfo.processInfo.environment
        let handOffWarnings = ProfilerHandOff.handOffIfAsked(programName: programName, environment: environment, arguments: CommandLine.arguments)
        let telemetry = start(programName: programName, environment: environment)
        for warning in handOffWarnings { telemetry.logger.warning("\(warning)") }
        ProcessContext.publish(resource: telemetry.resource, logger: telemetry.logger)
        let tracer = threadContextTracer(base: InstrumentationSystem.tracer)
        let succeeded = withTracer(tracer) {
            withSpan(operation, context: telemetry.incomingContext, ofKind: .internal) { span in
                do {
                    try body(span, telemetry.logger)
                    return true
                } catch {
                    let message = Redaction.redactingCredentials(in: "\(error)")
                    // What `recordError` writes (OTel's exception conventions), but with the masked message.
                    span.addEvent(SpanEvent(name: "exception", attributes: [
                        "exception.type": .string(String(describing: type(of: error))), "exception.message": .string(message),
                    ]))
                    span.setStatus(SpanStatus(code: .error, message: message))
                    telemetry.logger.error("\(message)")
                    return false
                }
            }
        }
        await telemetry.shutdown()
        return succeeded
    }
}
