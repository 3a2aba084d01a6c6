import ArgumentParser
import Foundation
import HybridRun
import ProcessLaunch
import Sampling
import Telemetry
import _CProcessShims

@main
struct HybridRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hybrid-run",
        abstract: "Run a command inside an OpenTelemetry root span and profile its native stacks.",
        discussion: """
        The command gets the same stdin, stdout, stderr, working directory and environment, plus TRACEPARENT for the root span. hybrid-run exits with the command's status (128+N when signal N ended it), 127 when the command is not found, 126 when it cannot be run, and 125 for its own errors. Every setting can also come from the environment (PYROSCOPE_*, OTEL_*); a flag wins.

        Examples:
          hybrid-run -- make -j2
          hybrid-run -o cpu.pb.gz -o cpu.folded -- ./job in.json
          PYROSCOPE_ENABLE=true PYROSCOPE_TRACE_CORRELATION=true \\
            hybrid-run -- generator-otel 5000 /tmp/out.json
          hybrid-run --diff main.pb.gz branch.pb.gz --fail-above 5    # exit 1 on a regression, 2 on bad input
        """,
        version: HybridRunVersion.current
    )

    @Flag(inversion: .prefixedNo, help: "Profile the command and ship profiles to Pyroscope (PYROSCOPE_ENABLE).")
    var pyroscope: Bool?

    @Flag(inversion: .prefixedNo, help: "Tag profiles with the root span's trace_id and root_span_id (PYROSCOPE_TRACE_CORRELATION).")
    var traceCorrelation: Bool?

    @Option(help: ArgumentHelp("Where profiles go: pyroscope (the default with PYROSCOPE_ENABLE), otlp (the OTLP endpoint, each sample linked to its span), none (HYBRID_PROFILES_EXPORTER).", valueName: "exporter"))
    var profilesExporter: ProfilesExporter?

    @Option(help: ArgumentHelp("Pyroscope server URL (PYROSCOPE_SERVER_ADDRESS).", valueName: "url"))
    var serverAddress: String?

    @Option(help: ArgumentHelp("Application name in Pyroscope (PYROSCOPE_APPLICATION_NAME).", valueName: "name"))
    var applicationName: String?

    @Option(name: .customLong("tag"), help: ArgumentHelp("Static profile tag, repeatable (PYROSCOPE_TAGS).", valueName: "k=v"))
    var tags: [KeyValue] = []

    @Option(help: ArgumentHelp("Pyroscope tenant, sent as X-Scope-OrgID (PYROSCOPE_TENANT_ID).", valueName: "id"))
    var tenantID: String?

    @Option(help: ArgumentHelp("Seconds between profile uploads (PYROSCOPE_UPLOAD_INTERVAL).", valueName: "seconds"))
    var uploadInterval: Double?

    @Option(help: ArgumentHelp("OTLP endpoint for the root span, gRPC by default (OTEL_EXPORTER_OTLP_ENDPOINT).", valueName: "endpoint"))
    var otlpEndpoint: String?

    @Option(name: .customLong("resource-attribute"), help: ArgumentHelp("Resource attribute of hybrid-run's spans, repeatable (OTEL_RESOURCE_ATTRIBUTES).", valueName: "k=v"))
    var resourceAttributes: [KeyValue] = []

    @Option(help: ArgumentHelp("Root span name (default: the command's name).", valueName: "name"))
    var spanName: String?

    @Option(name: .customLong("attr"), help: ArgumentHelp("Extra root span attribute, repeatable.", valueName: "k=v"))
    var spanAttributes: [KeyValue] = []

    @Option(help: ArgumentHelp("Samples per second per thread.", valueName: "hz"))
    var rate: Int?

    @Option(help: ArgumentHelp("How stacks are captured: auto (perf-event where the kernel allows it, else ptrace), perf-event, ptrace.", valueName: "sampler"))
    var sampler: SamplingMethod?

    @Flag(help: "Also record where each thread spends its wall time off the CPU (blocked stacks and for how long): a wall profile beside the CPU one.")
    var wall = false

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the profile to a file (- for standard output), repeatable; format from the extension: .folded, .speedscope.json, .pb.gz, .pprof, .html (a report).", valueName: "file"))
    var outputs: [String] = []

    @Option(help: ArgumentHelp("Format of every --output, instead of the extension: folded, speedscope, pprof, html.", valueName: "format"))
    var format: String?

    @Flag(name: .shortAndLong, help: "Print only warnings and errors.")
    var quiet = false

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Compare two pprof CPU profiles instead of running a command: the functions whose share changed most.", valueName: "base new"))
    var diff: [String] = []

    @Option(help: ArgumentHelp("With --diff: exit 1 when a function's share grew by more than this many points, significantly.", valueName: "pct"))
    var failAbove: Double?

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command to run and its arguments.", valueName: "command"))
    var command: [String] = []

    mutating func validate() throws {
        // The passthrough argument starts capturing at the first word that is not one of our options: a
        // positional word, `--`, or an option we do not know. Words starting with `-` before the command are
        // options, as `env`, `nice` and `timeout` read them, so an unknown one is a usage error, never a command.
        if let first = command.first, first.hasPrefix("-"), first != "-", first != "--" {
            switch first {
            case "--help", "-h": throw CleanExit.helpRequest(self)
            case "--version": throw CleanExit.message(HybridRunVersion.current)
            default: throw UnknownOption(word: first)
            }
        }
        if command.first == "--" { command.removeFirst() }
        if !diff.isEmpty {
            guard diff.count == 2 else { throw ValidationError("--diff takes two profiles: --diff BASE NEW") }
            guard command.isEmpty else { throw ValidationError("--diff compares two profiles and runs no command") }
            if let failAbove, !(failAbove >= 0) { throw ValidationError("--fail-above must be a number of points, 0 or more") }
            return
        }
        if failAbove != nil { throw ValidationError("--fail-above goes with --diff BASE NEW") }
        guard !command.isEmpty else { throw ValidationError("Missing COMMAND: hybrid-run [OPTIONS] [--] COMMAND [ARGS...]") }
        if let rate, !HybridRunConfiguration.rateRange.contains(rate) {
            throw ValidationError("--rate must be between \(HybridRunConfiguration.rateRange.lowerBound) and \(HybridRunConfiguration.rateRange.upperBound) Hz")
        }
        if let uploadInterval, !(uploadInterval >= 1) { throw ValidationError("--upload-interval must be at least 1 second") }
        if let problem = ProfileFiles.problem(withOutputs: outputs, format: format) { throw ValidationError(problem) }
    }

    func run() async throws {
        if !diff.isEmpty { runDiff() }
        let environment = ProcessInfo.processInfo.environment
        var configuration = HybridRunConfiguration()
        let warnings = configuration.applyEnvironment(environment)
        if let pyroscope { configuration.pyroscopeEnabled = pyroscope }
        if let traceCorrelation { configuration.traceCorrelation = traceCorrelation }
        if let profilesExporter { configuration.profilesExporter = profilesExporter }
        if let serverAddress { configuration.serverAddress = serverAddress }
        if let applicationName { configuration.applicationName = applicationName }
        configuration.tags = KeyValueList.merge(configuration.tags, tags)
        if let tenantID { configuration.tenantID = tenantID }
        if let uploadInterval { configuration.uploadInterval = .milliseconds(Int64(uploadInterval * 1000)) }
        if let otlpEndpoint { configuration.otlpEndpoint = otlpEndpoint }
        configuration.resourceAttributes = KeyValueList.merge(configuration.resourceAttributes, resourceAttributes)
        configuration.spanName = spanName
        configuration.spanAttributes = spanAttributes
        if let rate { configuration.rate = rate }
        if let sampler { configuration.samplingMethod = sampler }
        if wall { configuration.wall = true }
        if configuration.wall, let problem = ProfileFiles.wallSiblingProblem(withOutputs: outputs, format: format) { throw ValidationError(problem) }
        configuration.outputs = outputs
        configuration.outputFormat = format
        configuration.quiet = quiet

        let session = HybridRunSession(configuration: configuration, configurationWarnings: warnings, command: command, environment: environment)
        // Exits here, not by throwing `ExitCode`: `main()` would take the command's 64 for a usage error of ours.
        Foundation.exit(await session.run())
    }

    /// `--diff`: the table on stdout (it is the output asked for), trouble on stderr, `diff`'s exit statuses.
    private func runDiff() -> Never {
        let outcome = ProfileDiffSession(basePath: diff[0], newPath: diff[1], failAbove: failAbove, outputs: outputs, format: format).run()
        if !outcome.table.isEmpty { print(outcome.table.joined(separator: "\n")) }
        for line in outcome.errors { FileHandle.standardError.write(Data("hybrid-run: \(line)\n".utf8)) }
        Foundation.exit(outcome.status)
    }

    /// Parses like `AsyncParsableCommand.main()`, but a usage error exits with 125, not 64: a wrapper's own
    /// failure must never look like the command's (`env`, `nice` and `timeout` do the same).
    static func main() async {
        hr_use_one_malloc_arena()
        // The image a crash of hybrid-run execs to see the command to its end (CrashGuard).
        if let reaper = CrashReaper(arguments: CommandLine.arguments) {
            Foundation.exit(reaper.run() ?? HybridRunSession.ownErrorStatus)
        }
        InheritedState.atStartup.raiseOpenFileLimit()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure || (code != .success && !(error is ExitCode)) {
                // A parse or validation error comes with the usage; our own errors (`UnknownOption`) say all in one line.
                let message = code == .validationFailure ? fullMessage(for: error) : self.message(for: error)
                FileHandle.standardError.write(Data("hybrid-run: \(message.split(separator: "\n").joined(separator: "\nhybrid-run: "))\n".utf8))
                let comparing = CommandLine.arguments.dropFirst().prefix { $0 != "--" }.contains("--diff")
                Foundation.exit(comparing ? ProfileDiffSession.badInputStatus : HybridRunSession.ownErrorStatus)
            }
            exit(withError: error)
        }
    }
}

extension SamplingMethod: ExpressibleByArgument {}

extension ProfilesExporter: ExpressibleByArgument {}

extension KeyValue: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(argument)
    }
}
