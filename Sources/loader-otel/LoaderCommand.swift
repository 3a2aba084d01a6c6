import ArgumentParser
import Logging
import PostgresLoader
import SafeText
import Telemetry
import Tracing

@main
struct LoaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loader-otel",
        abstract: "Loads order records from a JSON file into PostgreSQL, traced with OpenTelemetry.",
        discussion: """
            FILE is a JSON array or JSON Lines as generator-otel writes them (- for standard input). The table is \
            created when missing. A load is atomic (all records or none) and idempotent (ids already in the table \
            are skipped). POSTGRES_URL, the PG* variables and .pgpass work as in psql. Spans continue the trace in \
            TRACEPARENT; exporting follows the OTEL_* variables.
            """
    )

    @Argument(help: "PostgreSQL connection URL (postgres://user@host:port/db?sslmode=…) or libpq key=value string.")
    var postgresURL: String

    @Argument(help: "File of records: a JSON array or JSON Lines; - for standard input.")
    var file: String

    @Option(help: "Table to load into (NAME or SCHEMA.NAME); created when missing.")
    var table: String = OrderTable.defaultName

    func validate() throws {
        do {
            _ = try OrderTable(name: table)
        } catch {
            throw ValidationError("\(error).")
        }
    }

    func run() async throws {
        let succeeded = await Telemetry.runProgram("loader-otel", operation: "load") { span, logger in
            try load(span: span, logger: logger)
        }
        if !succeeded { throw ExitCode.failure }
    }

    /// Throws the error that says why the load failed; the connection string's credentials never reach an
    /// error (`PostgresConnection` masks them in libpq's messages).
    private func load(span: any Span, logger: Logger) throws {
        span.attributes["file.path"] = Redaction.redactingCredentials(in: file)
        let start = ContinuousClock.now
        let orderTable = try OrderTable(name: table)
        let loader = try OrderLoader(url: postgresURL, table: orderTable, logger: logger)
        let summary = try loader.load(path: file)
        span.attributes["loader.records.count"] = summary.records
        span.attributes["loader.rows.inserted"] = summary.inserted
        span.attributes["loader.rows.already_present"] = summary.alreadyPresent
        let seconds = max(Double(Int((ContinuousClock.now - start) / .milliseconds(1))) / 1000, 0.001)
        logger.info("""
            loaded \(file == "-" ? "standard input" : ShownText.path(file)) into \(orderTable.name): \(summary.records) records, \
            \(summary.inserted) inserted, \(summary.alreadyPresent) already present, in \(seconds) s \
            (\(Int(Double(summary.records) / seconds)) records/s)
            """)
    }
}
