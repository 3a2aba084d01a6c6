import Foundation
import ProfilerTestSupport
import Testing
import TestSupport

extension WallProfileTests {
    /// The showcase: `loader-otel` against the test PostgreSQL waits for the server in libpq (`poll` under libpq's
    /// `pqSocketCheck`, reached from `PQgetResult`/`PQputCopyData`). That wait is in the wall profile with the loader's
    /// own Swift frames above the libpq ones, and not in the CPU view.
    ///
    /// The frame that calls `poll` in Debian's libpq is frame-pointer code (CFA = rbp + 16) and the libc wrapper
    /// below it leaves rbp untouched, so a stack read from `/proc/TID/syscall` (sp and pc only) stops at libpq unless
    /// the unwinder finds rbp in the copied stack.
    /// The server is made to answer the COPY a second late (a statement trigger that sleeps), so that the wait is
    /// one long block every probe sees, whatever the load of the machine: without it, the loader's waits are many
    /// short ones, which a run may or may not catch. With tracing on, the loader publishes its spans (OTEP 4947): the
    /// wait, read while the thread is blocked in it, carries the `COPY` span's name, as its CPU samples do.
    @Test(arguments: ["perf-event", "ptrace"])
    func theLoadersWaitForTheServerIsInTheWallProfileUnderItsOwnFrames(sampler: String) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try TestEnvironment.current.postgresURL
        let table = "orders_wall_" + UUID().uuidString.prefix(8).lowercased()
        let loader = try TestEnvironment.executable("loader-otel")
        let first = directory.appendingPathComponent("first.jsonl").path
        let orders = directory.appendingPathComponent("orders.jsonl").path
        for (count, path) in [("10", first), ("50000", orders)] {
            let generated = try await ProcessRunner.run(try TestEnvironment.executable("generator-otel"), [count, path],
                                                        environment: HybridRunProcess.quietEnvironment)
            #expect(generated.status == 0, "\(generated.stderr)")
        }
        let created = try await ProcessRunner.run(loader, [url, first, "--table", table], environment: HybridRunProcess.quietEnvironment)
        #expect(created.status == 0, "\(created.stderr)")
        // Emptied, so that the load copies straight into the table (its ids are the first load's: a table holding them
        // would send the load through the staging table, and the wait to its INSERT).
        try Self.psql(url, """
            TRUNCATE \(table);
            CREATE FUNCTION \(table)_late() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM pg_sleep(1); RETURN NULL; END$$;
            CREATE TRIGGER late AFTER INSERT ON \(table) FOR EACH STATEMENT EXECUTE FUNCTION \(table)_late();
            """)
        defer { try? Self.psql(url, "DROP TABLE \(table); DROP FUNCTION \(table)_late();") }

        let pprof = directory.appendingPathComponent("loader.pb.gz").path
        let result = try await HybridRunProcess.run(["--wall", "--sampler", sampler, "-o", pprof, "--", loader.path, url, orders, "--table", table],
                                                    environment: try HybridRunProcess.tracedEnvironment())
        #expect(result.status == 0, "\(result.stderr)")

        let wall = try Self.traces(inPprof: pprof, sampleIndex: "wall")
        let waits = wall.filter { Self.isLibpqWait($0.stack) && $0.stack.contains { $0.hasPrefix("PostgresLoader.") } }
        let throughLibpq = wall.filter { $0.stack.contains { $0.hasPrefix("libpq") } }.map { $0.stack.prefix(4).joined(separator: " ← ") }
        let waited = waits.reduce(0) { $0 + $1.milliseconds }
        // The trigger holds the answer 1 s: the wait's wall time is that second (half of it, for a generous margin).
        #expect(waited >= 500, "a wait in libpq with the loader's frames above it; stacks through libpq:\n\(throughLibpq.joined(separator: "\n"))\n\(result.stderr)")
        // The statement's answer is awaited inside the COPY span: that second is labelled with it (the same margin).
        let inCopy = waits.filter { $0.labels["span_name"] == "COPY \(table)" }.reduce(0) { $0 + $1.milliseconds }
        let bySpan = waits.reduce(into: [String: Double]()) { $0[$1.labels["span_name"] ?? "-", default: 0] += $1.milliseconds }
        #expect(inCopy >= 500, "the wait by span_name: \(bySpan)")
        // The CPU view may hold a few samples in poll (ptrace stops a thread that ran in the tick wherever it is, even
        // back in poll), never the wait: at most a tenth of it.
        let cpuInWaits = try Self.traces(inPprof: pprof, sampleIndex: "cpu").filter { Self.isLibpqWait($0.stack) }.reduce(0) { $0 + $1.milliseconds }
        #expect(cpuInWaits <= waited / 10, "CPU in poll under libpq \(cpuInWaits) ms, wall \(waited) ms")
    }

    static func psql(_ url: String, _ sql: String) throws {
        let output = try ExternalTool.run("/usr/bin/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        #expect(output.status == 0, "\(output.standardError)")
    }

    /// `poll` called from libpq: leaf first, the libpq frame named by a symbol (`PQ…`, `pq…`) or, stripped, by the module.
    static func isLibpqWait(_ stack: [String]) -> Bool {
        stack.count > 1 && stack[0] == "poll" && (stack[1].hasPrefix("libpq.so") || stack[1].lowercased().hasPrefix("pq"))
    }

    /// The stacks (function names, leaf first) with their value of `sampleIndex` in milliseconds and their string labels
    /// (`thread`, `span_id`, …), non-zero ones only, as `go tool pprof -traces` prints them: an independent decoder of the file.
    static func traces(inPprof path: String, sampleIndex: String) throws -> [(milliseconds: Double, stack: [String], labels: [String: String])] {
        let output = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-sample_index=\(sampleIndex)", "-unit=ms", "-traces", path])
        #expect(output.status == 0, "\(output.standardError)")
        var stacks: [(milliseconds: Double, stack: [String], labels: [String: String])] = []
        var current: (milliseconds: Double, stack: [String], labels: [String: String])?
        var labels: [String: String] = [:]
        for line in output.standardOutput.split(separator: "\n") {
            if line.hasPrefix("-----") {
                if let current, current.milliseconds > 0 { stacks.append(current) }
                current = nil
                labels = [:]
                continue
            }
            let text = line.trimmingCharacters(in: .whitespaces)
            // A label before the stack: "key:  value" (thread:, span_id:, pid:, …).
            if current == nil, let separator = text.range(of: ":  ") {
                labels[String(text[..<separator.lowerBound])] = String(text[separator.upperBound...])
                continue
            }
            // The first line of a stack is "VALUE   leaf" (VALUE in ms, or 0), the next ones only a name.
            if current == nil, let value = text.split(separator: " ", maxSplits: 1).first,
               let milliseconds = Double(value.hasSuffix("ms") ? value.dropLast(2) : value) {
                current = (milliseconds, [String(text.dropFirst(value.count)).trimmingCharacters(in: .whitespaces)], labels)
            } else if current != nil {
                current?.stack.append(text)
            }
        }
        if let current, current.milliseconds > 0 { stacks.append(current) }
        return stacks
    }
}
