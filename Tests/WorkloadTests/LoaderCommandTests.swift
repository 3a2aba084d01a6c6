import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct LoaderCommandTests {
    @Test func loadThenReloadLeavesExactlyCountRows() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        _ = try await workload.generate(["5000", workload.path("orders.jsonl")])
        _ = try await workload.generate(["5000", workload.path("orders.json")])
        _ = try await workload.generate(["3000", workload.path("first.jsonl")])

        let partial = try await workload.load(workload.path("first.jsonl"))
        #expect(partial.status == 0, "\(partial.stderr)")
        #expect(partial.stderr.contains("3000 records, 3000 inserted, 0 already present"), "\(partial.stderr)")

        let load = try await workload.load(workload.path("orders.jsonl"))
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stderr.contains("5000 records, 2000 inserted, 3000 already present"), "\(load.stderr)")

        let reload = try await workload.load(workload.path("orders.json"))
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(reload.stderr.contains("5000 records, 0 inserted, 5000 already present"), "\(reload.stderr)")
        #expect(try await workload.rowCount() == 5000)
    }

    @Test func storedValuesMatchTheFileCharacterForCharacter() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        _ = try await workload.generate(["400", workload.path("orders.jsonl")])
        let result = try await workload.load(workload.path("orders.jsonl"))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try Data(contentsOf: URL(fileURLWithPath: workload.path("orders.jsonl"))).split(separator: UInt8(ascii: "\n"))
        // The database turns each row back into JSON; every field must equal the file's.
        let exported = try await workload.query("""
            SELECT json_agg(json_build_object('id', id, 'note', note, 'customer_name', customer_name, 'items', items,
                'shipping', shipping, 'total', total, 'currency', currency,
                'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY id)
            FROM \(workload.table)
            """)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(exported.utf8)) as? [[String: Any]])
        var byID: [Int64: [String: Any]] = [:]
        for row in rows { byID[(row["id"] as! NSNumber).int64Value] = row }
        #expect(byID.count == 400)
        for line in lines {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            let row = try #require(byID[(record["id"] as! NSNumber).int64Value])
            for key in ["note", "customer_name", "currency", "created_at"] {
                #expect((record[key] as? String) == (row[key] as? String), "\(key)")
            }
            #expect((record["total"] as! NSNumber).decimalValue == (row["total"] as! NSNumber).decimalValue)
            #expect(NSArray(array: record["items"] as! [Any]) == NSArray(array: row["items"] as! [Any]))
            #expect(NSDictionary(dictionary: record["shipping"] as! [String: Any]) == NSDictionary(dictionary: row["shipping"] as! [String: Any]))
        }
    }

    @Test func fileWithOneCorruptRecordLoadsNothingAndNamesTheLine() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        _ = try await workload.generate(["10", workload.path("existing.jsonl"), "--seed", "1"])
        #expect(try await workload.load(workload.path("existing.jsonl")).status == 0)

        _ = try await workload.generate(["1000", workload.path("orders.jsonl")])
        var lines = try String(contentsOfFile: workload.path("orders.jsonl"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines[616] = lines[616].dropLast(1)  // line 617 loses its closing brace
        try lines.joined(separator: "\n").write(toFile: workload.path("corrupt.jsonl"), atomically: true, encoding: .utf8)

        let result = try await workload.load(workload.path("corrupt.jsonl"))
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("loader-otel: error: \(workload.path("corrupt.jsonl")):617: record 617 is not valid JSON"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(try await workload.rowCount() == 10)
    }

    /// A record's unexpected member name is quoted short and escaped: it was the whole 10 KB name.
    @Test func anUnexpectedMemberIsQuotedShortAndEscaped() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let name = "\\u001b[2J\\nloader-otel: all good " + String(repeating: "x", count: 10_000)
        try "{\"\(name)\": 1}\n".write(toFile: workload.path("odd.jsonl"), atomically: true, encoding: .utf8)
        let result = try await workload.load(workload.path("odd.jsonl"))
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr.prefix(2000))")
        #expect(result.stderr.utf8.count < 600, "\(result.stderr.prefix(2000))")
        #expect(result.stderr.contains("record 1: unexpected member \"\\e[2J\\nloader-otel: all good xxx"), "\(result.stderr.prefix(2000))")
    }

    @Test func loadKilledMidCopyLeavesNoNewRowsAndARerunCompletes() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        _ = try await workload.generate(["10", workload.path("existing.jsonl"), "--seed", "1"])
        #expect(try await workload.load(workload.path("existing.jsonl")).status == 0)
        _ = try await workload.generate(["50000", workload.path("orders.jsonl")])
        let data = try Data(contentsOf: URL(fileURLWithPath: workload.path("orders.jsonl")))

        // A FIFO lets the test hold the load open mid-COPY: it feeds part of the file and never closes it.
        let fifo = workload.path("orders.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let loader = try workload.startLoad(fifo)
        // Without a reader, a non-blocking open fails: waiting for the loader to open the FIFO is bounded, where a
        // blocking open would hang the suite if the loader never got that far.
        let descriptor = try await Poll.until(timeout: .seconds(30), "the loader to open the FIFO") { () -> Int32? in
            let descriptor = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            return descriptor >= 0 ? descriptor : nil
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        let writer = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try await Task.detached { try writer.write(contentsOf: data.prefix(data.count / 2)) }.value
        let copied = try await Poll.until(timeout: .seconds(30), "the loader's COPY to show progress") { () async throws -> Int? in
            let rows = Int(try await workload.query("""
                SELECT coalesce(max(p.tuples_processed), 0) FROM pg_stat_progress_copy p
                JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '\(workload.table)'
                """)) ?? 0
            return rows > 0 ? rows : nil
        }
        #expect(copied > 0)
        loader.send(SIGKILL)
        let killed = try await loader.wait(timeout: .seconds(30))
        try writer.close()
        #expect(killed.signal == SIGKILL)
        #expect(try await workload.rowCount() == 10)

        let rerun = try await workload.load(workload.path("orders.jsonl"))
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try await workload.rowCount() == 50010)
    }

    /// The loader's columns, for tables the tests create themselves.
    static let columns = """
        id bigint NOT NULL, created_at timestamptz NOT NULL, status text NOT NULL, customer_name text NOT NULL,
        customer_email text NOT NULL, currency char(3) NOT NULL, total numeric(14,2) NOT NULL, items jsonb NOT NULL,
        shipping jsonb NOT NULL, note text
        """

    /// Runs `body` with a table of the loader's columns made as a user would, plus `index` (`TABLE_NAME` standing
    /// for the table), and a file of three records, `orders.jsonl`; the table is dropped afterwards.
    static func withUsersTable(index: String, _ body: (Workload) async throws -> Void) async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        try await workload.droppingTable {
            _ = try await workload.query("CREATE TABLE \(workload.table) (\(columns)); \(index.replacing("TABLE_NAME", with: workload.table))")
            _ = try await workload.generate(["3", workload.path("orders.jsonl")])
            try await body(workload)
        }
    }

    /// Without a unique index on id that `ON CONFLICT (id)` can use, every reload would add the records again.
    @Test(arguments: [
        "",  // no index at all
        "CREATE INDEX ON TABLE_NAME (id)",
        "CREATE UNIQUE INDEX ON TABLE_NAME (id) WHERE id > 0",
        "CREATE UNIQUE INDEX ON TABLE_NAME (id, status)",
        "ALTER TABLE TABLE_NAME ADD PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED",
    ])
    func existingTableWithoutAUsableUniqueIndexOnIDLoadsNothing(index: String) async throws {
        try await Self.withUsersTable(index: index) { workload in
            for _ in 1...2 {
                let result = try await workload.load(workload.path("orders.jsonl"))
                #expect(result.status == 1)
                #expect(result.stderr.hasPrefix("loader-otel: error: table \(workload.table) has no primary key or unique index on id"), "\(result.stderr)")
                #expect(result.stderr.contains(#"ALTER TABLE "\#(workload.table)" ADD PRIMARY KEY (id)"#), "\(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
                #expect(try await workload.rowCount() == 0)
            }
        }
    }

    /// The message's fix, or a unique index of the user's own, makes an existing table load and reload exactly once.
    @Test(arguments: [#"ALTER TABLE "TABLE_NAME" ADD PRIMARY KEY (id)"#, "CREATE UNIQUE INDEX ON TABLE_NAME (id)"])
    func existingTableWithAUniqueIndexOnIDReloadsIdempotently(index: String) async throws {
        try await Self.withUsersTable(index: index) { workload in
            let load = try await workload.load(workload.path("orders.jsonl"))
            #expect(load.stderr.contains("3 records, 3 inserted, 0 already present"), "\(load.stderr)")
            let reload = try await workload.load(workload.path("orders.jsonl"))
            #expect(reload.stderr.contains("3 records, 0 inserted, 3 already present"), "\(reload.stderr)")
            #expect(try await workload.rowCount() == 3)
        }
    }

    /// Loading into an existing table needs INSERT and SELECT on it, not CREATE on its schema.
    @Test func roleWithOnlyInsertAndSelectLoadsAndReloadsIntoAnExistingTable() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        try await workload.droppingTable {
            _ = try await workload.generate(["0", workload.path("empty.jsonl")])
            #expect(try await workload.load(workload.path("empty.jsonl")).status == 0)  // the table's owner creates it
            _ = try await workload.generate(["100", workload.path("orders.jsonl")])
            try await workload.withRole(granted: "INSERT, SELECT") { url in
                let role = try #require(URLComponents(string: url)?.user)
                #expect(try await workload.query("SELECT has_schema_privilege('\(role)', 'public', 'CREATE')") == "f")
                let load = try await workload.load(workload.path("orders.jsonl"), url: url)
                #expect(load.status == 0, "\(load.stderr)")
                #expect(load.stderr.contains("100 records, 100 inserted, 0 already present"), "\(load.stderr)")
                let reload = try await workload.load(workload.path("orders.jsonl"), url: url)
                #expect(reload.status == 0, "\(reload.stderr)")
                #expect(reload.stderr.contains("100 records, 0 inserted, 100 already present"), "\(reload.stderr)")
            }
            #expect(try await workload.rowCount() == 100)
        }
    }

    /// The lines of `file` with the `status` of the records on `lines` (1-based) replaced by `status`.
    static func changingStatus(of lines: [Int], in file: String, to status: String) throws -> [String] {
        var records = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        for line in lines {
            let changed = records[line - 1].replacing(/"status":"[a-z_]+"/, with: #""status":"\#(status)""#)
            #expect(changed != records[line - 1])
            records[line - 1] = changed
        }
        return records
    }

    /// Later records of an id the file already had are not loaded, whatever their values: the summary and the
    /// span count them and name the first one's line; the first record of the id is the one in the table.
    @Test func recordsRepeatingAnIDOfTheFileAreCountedWithTheFirstLine() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        try await workload.droppingTable {
            _ = try await workload.generate(["10", workload.path("orders.jsonl")])
            let records = try String(contentsOfFile: workload.path("orders.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
            // Line 11 repeats the id of line 3 with another status; line 12 repeats line 5 as it is.
            let repeated = try Self.changingStatus(of: [3], in: workload.path("orders.jsonl"), to: "repeated")[2]
            try (records + [repeated, records[4]]).joined(separator: "\n").write(toFile: workload.path("repeats.jsonl"), atomically: true, encoding: .utf8)

            let traceID = WorkloadSpanTests.randomHex(bytes: 16)
            let receiver = try OTLPReceiver.shared
            let result = try await workload.load(workload.path("repeats.jsonl"), environment: Workload.environment([
                "TRACEPARENT": "00-\(traceID)-\(WorkloadSpanTests.randomHex(bytes: 8))-01",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpcEndpoint.absoluteString,
            ]))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains(
                "12 records, 10 inserted, 0 already present, 2 repeating an earlier id of the file (not loaded; the first at line 11)"),
                "\(result.stderr)")
            #expect(try await workload.rowCount() == 10)
            #expect(try await workload.query("SELECT count(*) FROM \(workload.table) WHERE status = 'repeated'") == "0")

            let spans = try await receiver.waitForSpans(traceID: traceID, timeout: .seconds(20)) { spans in spans.contains { $0.name == "load" } }
            #expect(spans.first { $0.name == "load" }?.attributes["loader.records.repeated_in_file"]?.intValue == 2)
        }
    }

    /// A reload never updates a row; records whose id the table holds with other values are counted, with the
    /// first one's line, instead of disappearing among the "already present".
    @Test func reloadCountsRecordsThatDifferFromTheTable() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        try await workload.droppingTable {
            _ = try await workload.generate(["10", workload.path("orders.jsonl")])
            #expect(try await workload.load(workload.path("orders.jsonl")).status == 0)
            try Self.changingStatus(of: [4, 9], in: workload.path("orders.jsonl"), to: "changed").joined(separator: "\n")
                .write(toFile: workload.path("changed.jsonl"), atomically: true, encoding: .utf8)

            let result = try await workload.load(workload.path("changed.jsonl"))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains(
                "10 records, 0 inserted, 10 already present (2 with other values in the table, which were kept; the first at line 4)"),
                "\(result.stderr)")
            #expect(try await workload.query("SELECT count(*) FROM \(workload.table) WHERE status = 'changed'") == "0")
        }
    }

    @Test func unreachableServerIsNamedWithHostAndPortWithinSeconds() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let closed = try ClosedPort()
        let result = try await workload.load("unused.jsonl", url: "postgres://hybrid:s3cret-pass@\(closed.hostAndPort)/db?sslmode=disable")
        #expect(result.status == 1)
        #expect(result.stderr == "loader-otel: error: cannot connect to PostgreSQL at \(closed.hostAndPort): Connection refused\n")
        #expect(result.duration < .seconds(5))
    }

    @Test func wrongPasswordGivesTheServersReasonAndNeverThePassword() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        var components = try #require(URLComponents(string: workload.postgresURL))
        components.password = "not-the-password-42"
        let result = try await workload.load("unused.jsonl", url: components.string!)
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:\(components.port!): password authentication failed for user"))
        #expect(!result.stderr.contains("not-the-password-42"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test(arguments: [[], ["postgres://x"], ["postgres://x", "f.json", "--table", "a.b.c"]])
    func badArgumentsExitWithUsageStatus(arguments: [String]) async throws {
        let result = try await ProcessRunner.run(try TestEnvironment.executable("loader-otel"), arguments, environment: Workload.environment())
        #expect(result.status == 64, "\(result.stderr)")
    }
}
