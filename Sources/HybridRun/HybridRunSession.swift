import Glibc
import Logging
import ProcessLaunch
import Profiles
import ProfileExport
import Sampling
import Telemetry
import Tracing

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

        let forwarder: SignalForwarder
        do {
            forwarder = try SignalForwarder { signal in logger.debug("relayed \(SignalNames.name(of: signal)) to the command") }
        } catch {
            logger.error("\(error)")
            await telemetry.shutdown()
            return Self.ownErrorStatus
        }

        let root = RootSpan(command: command, configuration: configuration, ci: ci, context: telemetry.incomingContext)
        let child: GatedChild
        do {
            child = try GatedChild.spawn(arguments: command, environment: telemetry.childEnvironment(environment, context: root.context))
        } catch {
            logger.error("\(error)")
            root.end(status: Self.ownErrorStatus, termination: nil, ci: ci)
            await telemetry.shutdown()
            return Self.ownErrorStatus
        }
        forwarder.forward(to: child.pid)

        let profiler = configuration.isProfiling ? startProfiler(child, logger: logger) : nil
        let outcome = profiler?.execOutcome ?? child.release()
        if outcome == .started { root.started(pid: child.pid) }
        let termination = if let profiler { await profiler.waitForExit() } else { await ChildWaiter.wait(pid: child.pid) }
        forwarder.stop()
        if let profiler { writeProfiles(profiler.takeProfile(), logger: logger) }

        let status: Int32
        if case .failed(let error) = outcome, let shellStatus = outcome.shellStatus {
            let reason = error == ENOENT ? "command not found" : String(cString: strerror(error))
            logger.error("\(command[0]): \(reason)")
            status = shellStatus
            root.end(status: status, termination: nil, ci: ci)
        } else {
            status = termination.exitStatus
            root.end(status: status, termination: termination, ci: ci)
        }
        await telemetry.shutdown()
        return status
    }

    /// Attaches the profiler; when tracing is not permitted the command still runs, unprofiled, after one
    /// line saying why and how to permit it.
    private func startProfiler(_ child: GatedChild, logger: Logger) -> Profiler? {
        var options = SamplingOptions.default
        options.rate = Double(configuration.rate)
        do {
            return try Profiler.start(child: child, options: options, logger: logger)
        } catch {
            logger.warning("\(error)")
            return nil
        }
    }

    private func writeProfiles(_ profile: Profile, logger: Logger) {
        guard !configuration.outputs.isEmpty else { return }
        let errors = ProfileFiles.write(profile, to: configuration.outputs, format: configuration.outputFormat, sampleLabels: [:])
        for error in errors { logger.error("\(error)") }
        for line in ProfileSummary.lines(profile) { logger.info("\(line)") }
        logger.info("profile written to \(configuration.outputs.joined(separator: ", "))")
    }
}
