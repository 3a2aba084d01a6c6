import CurlHTTP
import Glibc
import Logging
import OTLPProfileExport
import ProcessLaunch
import Profiles
import ProfileExport
import PyroscopeExport
import Report
import SafeText
import Sampling
import SpanCapture
import Telemetry
import Tracing
import TraceSpans

/// One run of `hybrid-run -- COMMAND`: root span, child, signals, exit status.
///
/// Telemetry problems never change the exit status: it is the child's, or 125 when hybrid-run could not
/// start it, 126/127 when it could not be executed or found (the conventions of `env`, `nice`, `timeout`).
public struct HybridRunSession: Sendable {
    public static let ownErrorStatus: Int32 = 125

    let configuration: HybridRunConfiguration
    let configurationWarnings: [String]
    let command: [String]
    let environment: [String: String]

    public init(configuration: HybridRunConfiguration, configurationWarnings: [String], command: [String], environment: [String: String]) {
        self.configuration = configuration
        self.configurationWarnings = configurationWarnings
        self.command = command
        self.environment = environment
    }

    /// Runs the command to its end and returns the status hybrid-run should exit with.
    public func run() async -> Int32 {
        let ci = CIContext.detect(environment)
        let quiet = configuration.quiet
        let telemetry = Telemetry.start(programName: "hybrid-run", environment: configuration.telemetryEnvironment(environment, ci: ci)) {
            if quiet { $0.logLevel = max($0.logLevel, .warning) }
        }
        let logger = telemetry.logger
        for warning in configurationWarnings { logger.warning("\(warning)") }
        if telemetry.isExporting, let warning = DirectConnectionWarning.message(what: "spans", endpoint: telemetry.tracesEndpoint, environment: environment) {
            logger.warning("\(warning)")
        }

        let forwarder: SignalForwarder
        do {
            forwarder = try SignalForwarder { signal in logger.debug("relayed \(SignalNames.name(of: signal)) to the command") }
        } catch {
            logger.error("\(error)")
            await telemetry.shutdown()
            return Self.ownErrorStatus
        }

        // Before the command starts, so that what is wrong with the exporter's settings is said first, once.
        let pyroscope = configuration.effectiveProfilesExporter == .pyroscope ? makeUploader(logger: logger) : nil
        let otlpProfiles = configuration.effectiveProfilesExporter == .otlp ? makeOTLPProfileExporter(ci: ci, logger: logger) : nil
        let root = RootSpan(command: command, configuration: configuration, ci: ci, context: telemetry.incomingContext)
        var childEnvironment = telemetry.childEnvironment(environment, context: root.context)
        var capture: ChildSpanCapture?
        if configuration.wantsReport {
            let started = await ChildSpanCapture.start(childEnvironment: childEnvironment, logger: logger)
            (capture, childEnvironment) = (started.0, started.1)
        }
        let child: GatedChild
        do {
            child = try GatedChild.spawn(arguments: command, environment: childEnvironment)
        } catch {
            logger.error("\(error)")
            _ = await capture?.finish()
            root.end(status: Self.ownErrorStatus, termination: nil, ci: ci)
            await shutdownExporters(pyroscope, otlpProfiles)
            await telemetry.shutdown()
            return Self.ownErrorStatus
        }
        forwarder.forward(to: child.pid)
        CrashGuard.install(child: child.pid, programName: "hybrid-run")

        let profiler = configuration.isProfiling ? startProfiler(child, logger: logger) : nil
        let correlation = profiler == nil ? nil : makeCorrelation(root: root, telemetry: telemetry)
        let outcome = profiler?.execOutcome ?? child.release()
        if outcome == .started { root.started(pid: child.pid) }
        let uploader = profiler == nil ? nil : pyroscope
        let otlpExporter = profiler == nil ? nil : otlpProfiles
        if profiler == nil { await shutdownExporters(pyroscope, otlpProfiles) }
        // Every OTLP sample links to the root span; its trace may be the caller's (TRACEPARENT).
        let spanLink = otlpExporter == nil ? nil : telemetry.traceParent(of: root.context).flatMap { SpanLink(traceID: $0.traceID, spanID: $0.spanID) }
        let collector = profiler.map {
            ProfileCollector(profiler: $0, uploader: uploader, otlpExporter: otlpExporter, spanLink: spanLink, correlation: correlation, sampleRate: configuration.rate)
        }
        collector?.start(uploadInterval: configuration.uploadInterval)

        let termination = if let profiler { await profiler.waitForExit() } else { await ChildWaiter.wait(pid: child.pid) }
        forwarder.stop()
        let captured = await capture?.finish()

        let runProfile = await collector?.finish()
        let profileLink = uploader == nil ? nil : runProfile.flatMap { profile in
            PyroscopeQueryURL.forRun(serverAddress: configuration.serverAddress, applicationName: applicationName,
                                     traceID: correlation?.root.traceID, startTime: profile.startTime, endTime: profile.endTime)
        }
        // With `--wall`, the wall upload is a series of its own: a second link, same selector.
        let wallLink = profileLink == nil || runProfile?.hasWall != true ? nil : runProfile.flatMap { profile in
            PyroscopeQueryURL.forRun(serverAddress: configuration.serverAddress, applicationName: applicationName,
                                     traceID: correlation?.root.traceID, startTime: profile.startTime, endTime: profile.endTime,
                                     profileType: PyroscopeQueryURL.wallProfileType)
        }
        if let profileLink {
            var attributes: SpanAttributes = ["pyroscope.query.url": .string(profileLink)]
            if let wallLink { attributes["pyroscope.wall.query.url"] = SpanAttribute.string(wallLink) }
            root.span.addEvent(SpanEvent(name: "pyroscope.profile", attributes: attributes))
        }

        let status: Int32
        if case .failed(let error) = outcome, let shellStatus = outcome.shellStatus {
            let reason = error == ENOENT ? "command not found" : String(cString: strerror(error))
            logger.error("\(ShownText.path(command[0])): \(reason)")
            status = shellStatus
            root.end(status: status, termination: nil, ci: ci)
        } else {
            status = termination.exitStatus
            root.end(status: status, termination: termination, ci: ci)
        }
        let endTime = RootSpan.now()
        if let runProfile {
            writeProfiles(runProfile, correlation: correlation, logger: logger) {
                report(root: root, telemetry: telemetry, status: status, endTime: endTime, profile: runProfile, profileLink: profileLink, wallLink: wallLink,
                       captured: captured ?? ([], []))
            }
        }

        // All bounded: profiles by their deadline, spans by the telemetry shutdown timeout; they run side by side.
        async let delivery: Void = shutdownExporters(uploader, otlpExporter)
        await telemetry.shutdown()
        await delivery
        if let profileLink {
            let trace = telemetry.traceParent(of: root.context).map { " for trace \($0.traceID)" } ?? ""
            logger.info("profile\(trace): \(profileLink)")
            if let wallLink { logger.info("wall profile\(trace): \(wallLink)") }
        }
        return status
    }

    /// How long exit may wait for profiles to reach Pyroscope or the OTLP collector (the issue's bound is 3 s in all).
    static let profileShutdownDeadline: Duration = .milliseconds(2500)

    /// Both exporters' shutdowns side by side, each bounded by ``profileShutdownDeadline``.
    private func shutdownExporters(_ pyroscope: PyroscopeUploader?, _ otlp: OTLPProfileExporter?) async {
        async let delivery = pyroscope?.shutdown(deadline: Self.profileShutdownDeadline)
        _ = await otlp?.shutdown(deadline: Self.profileShutdownDeadline)
        _ = await delivery
    }

    /// The HTML report's page: the run, its profile and its trace.
    private func report(root: RootSpan, telemetry: Telemetry, status: Int32, endTime: Int64, profile: Profile, profileLink: String?,
                        wallLink: String?, captured: (spans: [TraceSpan], notes: [String])) -> [UInt8] {
        let parent = telemetry.traceParent(of: root.context)
        let incoming = telemetry.traceParent(of: telemetry.incomingContext)
        var links: [RunReport.Link] = []
        if let profileLink { links.append(.init(title: "Pyroscope", url: profileLink)) }
        if let wallLink { links.append(.init(title: "Pyroscope wall", url: wallLink)) }
        if let parent, let template = configuration.traceURLTemplate {
            // The page is shared (a CI artifact): a password or key in the template stays out of it.
            links.append(.init(title: "trace", url: Redaction.redactingCredentials(in: template.replacingOccurrences(of: "{trace_id}", with: parent.traceID))))
        }
        let spans = parent.map { parent in
            [TraceSpan(traceID: parent.traceID, spanID: parent.spanID, parentSpanID: incoming?.spanID ?? "",
                            name: root.name, serviceName: configuredServiceName ?? "hybrid-run",
                            startTime: root.startTime, endTime: endTime, isError: status != 0)]
        } ?? []
        let children = captured.spans.map { span in
            var shown = span
            shown.name = Redaction.redactingCredentials(in: span.name)
            return shown
        }
        var notes = captured.notes
        if parent == nil { notes.append("Tracing is off (OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none): the run has no trace.") }
        return RunReport(command: RootSpan.shownArguments(command), exitStatus: status, startTime: root.startTime, endTime: endTime,
                         traceID: parent?.traceID, rootSpanID: parent?.spanID, serviceName: applicationName, links: links,
                         cpuProfile: profile, spans: spans + children, notes: notes).html(generator: "hybrid-run \(HybridRunVersion.current)")
    }

    /// The Pyroscope application name: `PYROSCOPE_APPLICATION_NAME`, else `service.name`, else the command's name.
    var applicationName: String {
        configuration.applicationName ?? configuredServiceName ?? String(command[0].split(separator: "/").last ?? Substring(command[0]))
    }

    /// `service.name` as the user set it: `OTEL_SERVICE_NAME`, else `OTEL_RESOURCE_ATTRIBUTES` (or `--resource-attribute`).
    var configuredServiceName: String? {
        ServiceName.configured(environment: environment, resourceAttributes: configuration.resourceAttributes)
    }

    /// The root span's ids for the profiles, when correlation is on and there is a valid span to correlate with.
    private func makeCorrelation(root: RootSpan, telemetry: Telemetry) -> Correlation? {
        guard configuration.traceCorrelation else { return nil }
        guard let parent = telemetry.traceParent(of: root.context) else {
            telemetry.logger.info("trace correlation is on but there is no span (tracing is disabled); profiles carry no trace_id")
            return nil
        }
        root.span.attributes["pyroscope.profile.id"] = parent.spanID
        return Correlation(root: parent)
    }

    /// The uploader, or nil after one line naming the setting no profile could be sent with (its value shown
    /// only when it is not a credential): the command runs, profiled, without uploads.
    private func makeUploader(logger: Logger) -> PyroscopeUploader? {
        do {
            return try PyroscopeUploader(configuration: PyroscopeClientConfiguration(
                serverAddress: configuration.serverAddress, applicationName: applicationName,
                labels: configuration.tags.map { PyroscopeLabel(name: $0.key, value: $0.value) },
                tenantID: configuration.tenantID, basicAuthUser: configuration.basicAuthUser,
                basicAuthPassword: configuration.basicAuthPassword, bearerToken: configuration.authToken,
                connection: .fromEnvironment(
                    environment, explicitProxy: configuration.pyroscopeProxy, explicitCAFile: configuration.pyroscopeCAFile,
                    caFileOrigin: "PYROSCOPE_CA_FILE", verifiesPeer: !configuration.pyroscopeInsecureSkipVerify)
            ), logger: logger)
        } catch {
            let source = switch error.setting {
            case .serverAddress: "PYROSCOPE_SERVER_ADDRESS (--server-address)"
            case .basicAuthUser: "PYROSCOPE_BASIC_AUTH_USER"
            case .basicAuthPassword: "PYROSCOPE_BASIC_AUTH_PASSWORD"
            case .bearerToken: "PYROSCOPE_AUTH_TOKEN"
            }
            logger.warning("\(source)\(error.shownValue.map { " \($0):" } ?? "") \(error.reason); profiles are not sent to Pyroscope this run")
            return nil
        }
    }

    /// The OTLP profiles exporter, set up from the OTLP variables as the span exporter is (flags applied), with the
    /// spans' resource; nil, after one line saying why, when the endpoint cannot be used.
    private func makeOTLPProfileExporter(ci: CIContext?, logger: Logger) -> OTLPProfileExporter? {
        let otelEnvironment = configuration.telemetryEnvironment(environment, ci: ci)
        let (settings, warnings) = OTLPProfileSettings.fromEnvironment(otelEnvironment)
        for warning in warnings { logger.warning("\(warning)") }
        guard let settings else { return nil }
        if !settings.usesProxies, let warning = DirectConnectionWarning.message(what: "profiles", endpoint: settings.endpoint, environment: environment) {
            logger.warning("\(warning)")
        }
        do {
            let resource = configuration.profileResource(otelEnvironment, ci: ci).map { (key: $0.key, value: $0.value) }
            return try OTLPProfileExporter(settings: settings, resource: resource, logger: logger)
        } catch {
            logger.warning("OTLP profiles: \(error); profiles are not exported")
            return nil
        }
    }

    /// Attaches the profiler; when tracing is not permitted the command still runs, unprofiled, after one
    /// line saying why and how to permit it.
    private func startProfiler(_ child: GatedChild, logger: Logger) -> Profiler? {
        var options = SamplingOptions.default
        options.rate = Double(configuration.rate)
        options.method = configuration.samplingMethod
        options.recordsTimeline = configuration.wantsReport
        options.wall = configuration.wall
        do {
            return try Profiler.start(child: child, options: options, logger: logger)
        } catch {
            logger.warning("\(error)")
            return nil
        }
    }

    private func writeProfiles(_ profile: Profile, correlation: Correlation?, logger: Logger, report: () -> [UInt8]) {
        guard !configuration.outputs.isEmpty else { return }
        // The command has ended: a reader of `-o -` or of a FIFO that went away is one error line, not a SIGPIPE
        // that ends hybrid-run with a status other than the command's (nothing is started after this point).
        signal(SIGPIPE, SIG_IGN)
        let outcome = ProfileFiles.write(profile, to: configuration.outputs, format: configuration.outputFormat,
                                         sampleLabels: correlation?.sampleLabels ?? [:], report: report)
        for error in outcome.errors { logger.error("\(error)") }
        for line in ProfileSummary.lines(profile) { logger.info("\(line)") }
        if !outcome.written.isEmpty { logger.info("profile written to \(outcome.written.joined(separator: ", "))") }
    }
}
