import Foundation
import Glibc
import ProcessLaunch
import SafeText
import Telemetry
import Tracing

/// The span around the wrapped command, named and attributed per the OpenTelemetry process conventions.
///
/// otel-cli swaps `process.pid` and `process.parent_pid` and drops the exit code; here `process.pid` is the
/// child's pid, `process.parent_pid` hybrid-run's own (the child's parent), and every end records
/// `process.exit.code`.
struct RootSpan: Sendable {
    let span: any Span
    let name: String
    /// Wall-clock start, nanoseconds since the Unix epoch (for the report; the exporter keeps its own).
    let startTime: Int64

    init(command: [String], configuration: HybridRunConfiguration, ci: CIContext?, context: ServiceContext) {
        let executable = String(command[0].split(separator: "/").last ?? Substring(command[0]))
        // The report shows the name too: masked once, here, for both.
        name = Redaction.redactingCredentials(in: configuration.spanName ?? executable)
        startTime = Self.now()
        span = startSpan(name, context: context, ofKind: .internal)
        span.attributes["process.executable.name"] = executable
        span.attributes["process.command_args"] = SpanAttribute.stringArray(Self.shownArguments(command))
        span.attributes["process.parent_pid"] = Int(getpid())
        for attribute in ci?.taskAttributes ?? [] { span.attributes[attribute.key] = attribute.value }
        for attribute in configuration.spanAttributes {
            span.attributes[attribute.key] = Redaction.redactingValue(attribute.value, named: attribute.key)
        }
    }

    var context: ServiceContext { span.context }

    /// The command line as spans and the report show it: secrets masked.
    static func shownArguments(_ command: [String]) -> [String] {
        Redaction.redactingArguments(command)
    }

    /// Wall-clock time in nanoseconds since the Unix epoch (to the microsecond: what a report needs).
    static func now() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1e6) * 1000
    }

    func started(pid: pid_t) {
        span.attributes["process.pid"] = Int(pid)
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        if length > 0 { span.attributes["process.executable.path"] = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }

    /// Records how the command ended and ends the span. A non-zero exit or a signal death is an error.
    func end(status: Int32, termination: ChildTermination?, ci: CIContext?) {
        span.attributes["process.exit.code"] = Int(status)
        var result = "success"
        switch termination {
        case .signaled(let signal)?:
            let name = SignalNames.name(of: signal)
            span.attributes["error.type"] = name
            span.setStatus(SpanStatus(code: .error, message: "terminated by \(name)"))
            result = signal == SIGINT || signal == SIGTERM || signal == SIGHUP ? "cancellation" : "failure"
        case _ where status != 0:
            span.attributes["error.type"] = "\(status)"
            span.setStatus(SpanStatus(code: .error, message: "exit code \(status)"))
            result = termination == nil ? "error" : "failure"
        default:
            break
        }
        if ci != nil { span.attributes["cicd.pipeline.task.run.result"] = result }
        span.end()
    }
}
