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
            created when missing; an existing one needs a primary key or unique index on id, and the role only \
            INSERT and SELECT on it. A load is atomic (all records or none) and idempotent (ids already in the \
            table are skipped, and so are later records of an id the file already had: the summary counts both). \
            POSTGRES_URL, the PG* variables and .pgpass work as in psql. Spans continue the trace in TRACEPARENT; \
            exporting follows the OTEL_* variables.
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
        span.attributes["loader.records.repeated_in_file"] = summary.repeatedInFile.count
        span.attributes["loader.records.differing_from_table"] = summary.differingFromTable.count
        let seconds = max(Double(Int((ContinuousClock.now - start) / .milliseconds(1))) / 1000, 0.001)
        logger.info("""
            loaded \(file == "-" ? "standard input" : ShownText.path(file)) into \(orderTable.name): \(Self.counts(summary)), \
            in \(seconds) s (\(Int(Double(summary.records) / seconds)) records/s)
            """)
    }

    /// The summary's counts. Records left out for their content are named with the line of the first, so a
    /// user can look at one: ids the table holds with other values (the table's row is kept), and ids an
    /// earlier record of the file had (the first record of an id is the one loaded).
    private static func counts(_ summary: LoadSummary) -> String {
        func firstLine(_ skipped: SkippedRecords) -> String { skipped.firstLine.map { "; the first at line \($0)" } ?? "" }
        var text = "\(summary.records) records, \(summary.inserted) inserted, \(summary.alreadyPresent) already present"
        let differing = summary.differingFromTable
        if differing.count > 0 {
            text += " (\(differing.count) with other values in the table, which were kept\(firstLine(differing)))"
        }
        let repeated = summary.repeatedInFile
        if repeated.count > 0 {
            text += ", \(repeated.count) repeating an earlier id of the file (not loaded\(firstLine(repeated)))"
        }
        return text
    }
}
