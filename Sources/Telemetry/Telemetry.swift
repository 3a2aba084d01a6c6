import Foundation
import Instrumentation
import Logging
import OTel
import SafeText
import ServiceLifecycle
import Synchronization
import Tracing

/// Tracing and logging set-up shared by hybrid-run, generator-otel and loader-otel.
///
/// One call to ``start(programName:environment:configure:)`` at the top of `main`: it bootstraps
/// swift-log (stderr, trace ids in metadata) and swift-otel (traces only, from the `OTEL_*` variables
/// after ``OTelEnvironment/sanitize(_:)``), and reads the caller's context from `TRACEPARENT`. One call to
/// ``shutdown()`` at the end flushes spans within ``TelemetryConfiguration/shutdownTimeout``.
public final class Telemetry: Sendable {
    public let logger: Logger
    public let configuration: TelemetryConfiguration
    /// The context to start a program's first span in: the caller's trace when `TRACEPARENT` is valid.
    public let incomingContext: ServiceContext
    /// Whether spans are exported at all (false with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`).
    public let isExporting: Bool
    /// The caller's `TRACEPARENT` and `TRACESTATE`, each only when valid, for a child when no span of ours exists.
    private let forwardedContext: [String: String]
    /// Where spans go (`OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT` or the default), as a user would want it named.
    public let tracesEndpoint: String
    /// The spans' resource attributes (`OTEL_RESOURCE_ATTRIBUTES`, `service.name` as swift-otel resolves it).
    let resource: [KeyValue]
    private let recorder: DiagnosticRecorder
    private let serviceGroup: ServiceGroup?
    private let runTask: Task<Void, Never>?

    private init(logger: Logger, configuration: TelemetryConfiguration, incomingContext: ServiceContext, forwardedContext: [String: String],
                 isExporting: Bool, tracesEndpoint: String, resource: [KeyValue], recorder: DiagnosticRecorder, serviceGroup: ServiceGroup?,
                 runTask: Task<Void, Never>?) {
        self.logger = logger
        self.configuration = configuration
        self.incomingContext = incomingContext
        self.forwardedContext = forwardedContext
        self.isExporting = isExporting
        self.tracesEndpoint = tracesEndpoint
        self.resource = resource
        self.recorder = recorder
        self.serviceGroup = serviceGroup
        self.runTask = runTask
    }

    /// Bootstraps logging and tracing for this process. Call once: swift-log and swift-otel are process-global.
    /// - Parameter configure: applies command-line flags, which win over the environment.
    public static func start(
        programName: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        configure: (inout TelemetryConfiguration) -> Void = { _ in }
    ) -> Telemetry {
        var configuration = TelemetryConfiguration(defaultServiceName: programName)
        var warnings = configuration.applyEnvironmentOverrides(environment)
        configure(&configuration)

        let level = configuration.logLevel
        let format = configuration.logFormat
        let metadataProvider = OTel.makeLoggingMetadataProvider()
        LoggingSystem.bootstrap({ _, provider in
            StderrLogHandler(programName: programName, level: level, format: format, metadataProvider: provider)
        }, metadataProvider: metadataProvider)
        let logger = Logger(label: programName)

        let settings = OTelEnvironment.sanitize(environment)
        let incoming = IncomingTraceContext(environment: environment)
        warnings += settings.warnings + incoming.warnings
        for warning in warnings { logger.warning("\(warning)") }

        let recorder = DiagnosticRecorder()
        var otelConfiguration = OTel.Configuration.default
        otelConfiguration.resourceAttributes = Dictionary(settings.resourceAttributes.map { ($0.key, $0.value) }) { _, later in later }
        otelConfiguration.traces.otlpExporter.headers = settings.exporterHeaders.map { ($0.key, $0.value) }
        // Only a default: swift-otel would let this win over `service.name` in OTEL_RESOURCE_ATTRIBUTES.
        let configuredName = ServiceName.configured(environment: settings.environment, resourceAttributes: settings.resourceAttributes)
        if configuredName == nil { otelConfiguration.serviceName = configuration.defaultServiceName }
        // What swift-otel's resource ends up with.
        let serviceName = configuredName ?? configuration.defaultServiceName
        let resource = settings.resourceAttributes.filter { $0.key != "service.name" } + [KeyValue(key: "service.name", value: serviceName)]
        otelConfiguration.logs.enabled = false
        otelConfiguration.metrics.enabled = false
        otelConfiguration.diagnosticLogger = .custom(recorder.makeLogger())

        let sdkDisabled = settings.environment["OTEL_SDK_DISABLED"] == "true"
        var serviceGroup: ServiceGroup?
        var runTask: Task<Void, Never>?
        // With the SDK disabled swift-otel would bootstrap nothing but a service that waits for shutdown;
        // skipping it keeps a wrapped command's start-up as short as it can be.
        if !sdkDisabled {
            do {
                let service = try OTel.bootstrap(configuration: otelConfiguration, environment: settings.environment)
                let group = ServiceGroup(services: [service], logger: recorder.makeLogger())
                serviceGroup = group
                runTask = Task {
                    do { try await group.run() } catch { recorder.record(level: .error, message: "\(error)", error: nil, metadata: nil) }
                }
            } catch {
                logger.warning("tracing is off: \(ShownText.value(Redaction.redactingCredentials(in: "\(error)")))")
            }
        }

        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(incoming.carrier, into: &context, using: EnvironmentCarrier())
        for problem in recorder.finishStartup() { logger.warning("swift-otel: \(problem)") }

        return Telemetry(
            logger: logger, configuration: configuration, incomingContext: context, forwardedContext: incoming.forwarded,
            isExporting: serviceGroup != nil && settings.isExporting, tracesEndpoint: OTelEnvironment.tracesEndpoint(in: settings.environment),
            resource: resource, recorder: recorder, serviceGroup: serviceGroup, runTask: runTask
        )
    }

    /// The `traceparent` of the span active in `context`; `nil` when tracing is off and no span exists.
    public func traceParent(of context: ServiceContext) -> TraceParent? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: EnvironmentCarrier())
        return carrier["TRACEPARENT"].flatMap(TraceParent.init)
    }

    /// The environment for a child process: `base` with the trace context of the span in `context`.
    ///
    /// `TRACEPARENT` and `TRACESTATE` are what the propagator injects for our span (whose trace state is the
    /// caller's, when valid: the span continues the caller's trace). With tracing off there is no span of ours, so
    /// the caller's values pass on as given, as the spec's forwarding mode says, but only when valid: a child never
    /// gets a tracestate that did not parse or that belongs to a traceparent that did not.
    public func childEnvironment(_ base: [String: String], context: ServiceContext) -> [String: String] {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: EnvironmentCarrier())
        var result = base
        result[IncomingTraceContext.traceParentVariable] = nil
        result[IncomingTraceContext.traceStateVariable] = nil
        let fields = carrier[IncomingTraceContext.traceParentVariable] != nil ? carrier : forwardedContext
        return result.merging(fields) { _, field in field }
    }

    /// Ends tracing: flushes pending spans, waiting at most ``TelemetryConfiguration/shutdownTimeout``.
    ///
    /// Never throws and never changes the caller's exit status. When spans could not be exported (collector
    /// down, black-holed, refusing them) one warning line says so.
    public func shutdown() async {
        guard let serviceGroup, let runTask else { return }
        await serviceGroup.triggerGracefulShutdown()
        let finished = await Self.completes(runTask, within: configuration.shutdownTimeout)
        guard isExporting else { return }
        if !finished {
            let reason = recorder.problem.map { " (\($0))" } ?? ""
            logger.warning("spans not exported to \(Redaction.redactingCredentials(in: tracesEndpoint)) within \(DurationText.format(configuration.shutdownTimeout)); they were dropped\(reason)")
        } else if let problem = recorder.problem {
            logger.warning("spans not exported to \(Redaction.redactingCredentials(in: tracesEndpoint)); they were dropped (\(problem))")
        }
    }

    /// Whether `task` ends within `timeout`. Returns at the first of the two without waiting for the other:
    /// a structured task group would wait for the task it cannot cancel.
    private static func completes(_ task: Task<Void, Never>, within timeout: Duration) async -> Bool {
        let resumed = Mutex(false)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let resume: @Sendable (Bool) -> Void = { value in
                let first = resumed.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: value) }
            }
            Task {
                await task.value
                resume(true)
            }
            Task {
                try? await Task.sleep(for: timeout)
                resume(false)
            }
        }
    }
}
