import ArgumentParser
import Logging
import OutputFiles
import Records
import SafeText
import Telemetry
import Tracing

#if canImport(Glibc)
import Glibc
#endif

@main
struct GeneratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generator-otel",
        abstract: "Writes synthetic order records as JSON, traced with OpenTelemetry.",
        discussion: """
            Records are orders with line items, timestamps, amounts and free text (Unicode, quotes, backslashes, \
            newlines), each with a unique id. The same COUNT and --seed give byte-identical output. A regular FILE \
            appears only when complete (a symlink is written through); a FIFO or device is written in place. \
            Spans continue the trace in TRACEPARENT; exporting follows the OTEL_* variables.
            """
    )

    @Argument(help: "Number of records to write.")
    var count: Int

    @Argument(help: "Output file: *.json for a JSON array, *.jsonl or *.ndjson (or anything else) for JSON Lines, - for standard output.")
    var file: String

    @Option(help: "Seed of the record generator; the same seed gives the same bytes.")
    var seed: UInt64 = OrderGenerator.defaultSeed

    @Option(help: ArgumentHelp("Record encoder: bytes, or foundation (JSONEncoder, the benchmark's baseline).", visibility: .hidden))
    var encoder: RecordFileGenerator.Encoder = .bytes

    func validate() throws {
        guard count >= 0 else { throw ValidationError("COUNT must be zero or more, not \(count).") }
    }

    func run() async throws {
        OutputFile.removeTemporaryFilesOnSignals()
        let succeeded = await Telemetry.runProgram("generator-otel", operation: "generate") { span, logger in
            try generate(span: span, logger: logger)
        }
        if !succeeded { throw ExitCode.failure }
    }

    /// Runs the three phases, each in its own span; throws the error that says why it failed.
    private func generate(span: any Span, logger: Logger) throws {
        let format = RecordFileFormat(path: file)
        span.attributes["generator.records.requested"] = count
        span.attributes["generator.seed"] = String(seed)
        span.attributes["generator.format"] = format.rawValue
        span.attributes["file.path"] = Redaction.redactingCredentials(in: file)
        let start = ContinuousClock.now
        let progress = TerminalProgress(total: count)
        let bytes: Int
        do {
            let output = try withSpan("open output") { _ in try OutputFile(path: file) }
            bytes = try withSpan("write records") { phase in
                let bytes = try RecordFileGenerator(generator: OrderGenerator(seed: seed), format: format, encoder: encoder)
                    .write(count: count, to: output, progress: progress.update)
                phase.attributes["generator.records.count"] = count
                phase.attributes["generator.output.bytes"] = bytes
                return bytes
            }
            try withSpan("commit output") { _ in try output.commit() }
        } catch {
            // The progress line goes before the error's.
            progress.finish()
            throw error
        }
        progress.finish()
        span.attributes["generator.records.count"] = count
        span.attributes["generator.output.bytes"] = bytes
        logger.info("\(Summary(records: count, bytes: bytes, elapsed: ContinuousClock.now - start, destination: file))")
    }
}

extension RecordFileGenerator.Encoder: ExpressibleByArgument {}
