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
        let writer = try await Task.detached { () throws -> FileHandle in
            // Opening blocks until the loader opens the FIFO for reading.
            guard let handle = FileHandle(forWritingAtPath: fifo) else { throw CocoaError(.fileWriteUnknown) }
            try handle.write(contentsOf: data.prefix(data.count / 2))
            return handle
        }.value
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
