import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct WorkloadSpanTests {
    static func randomHex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 1...255)) }.joined()
    }

    @Test func generatorAndLoaderSpansContinueTheTraceOfTRACEPARENT() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let receiver = try OTLPReceiver.shared
        let traceID = Self.randomHex(bytes: 16)
        let parentID = Self.randomHex(bytes: 8)
        let environment = Workload.environment([
            "TRACEPARENT": "00-\(traceID)-\(parentID)-01",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpcEndpoint.absoluteString,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        ])
        let generated = try await workload.generate(["1000", workload.path("orders.jsonl")], environment: environment)
        #expect(generated.status == 0, "\(generated.stderr)")
        let loaded = try await workload.load(workload.path("orders.jsonl"), environment: environment)
        #expect(loaded.status == 0, "\(loaded.stderr)")

        let spans = try await receiver.waitForSpans(traceID: traceID, timeout: .seconds(20)) { spans in
            Set(spans.map(\.name)).isSuperset(of: ["generate", "write records", "load", "COPY \(workload.table)", "COMMIT"])
        }
        let generate = try #require(spans.first { $0.name == "generate" })
        let load = try #require(spans.first { $0.name == "load" })
        #expect(generate.parentSpanID == parentID)
        #expect(load.parentSpanID == parentID)
        #expect(generate.serviceName == "generator-otel")
        #expect(load.serviceName == "loader-otel")
        #expect(generate.attributes["generator.records.count"]?.intValue == 1000)
        #expect(load.attributes["loader.rows.inserted"]?.intValue == 1000)
        for phase in ["open output", "write records", "commit output"] {
            #expect(spans.first { $0.name == phase }?.parentSpanID == generate.spanID, "\(phase)")
        }

        let copy = try #require(spans.first { $0.name == "COPY \(workload.table)" })
        let port = try #require(URLComponents(string: workload.postgresURL)?.port)
        #expect(copy.parentSpanID == load.spanID)
        #expect(copy.kind == "client")
        #expect(copy.attributes["db.system.name"]?.stringValue == "postgresql")
        #expect(copy.attributes["db.namespace"]?.stringValue == URLComponents(string: workload.postgresURL)?.path.dropFirst().description)
        #expect(copy.attributes["db.collection.name"]?.stringValue == workload.table)
        #expect(copy.attributes["db.operation.name"]?.stringValue == "COPY")
        #expect(copy.attributes["server.address"]?.stringValue == "127.0.0.1")
        #expect(copy.attributes["server.port"]?.intValue == Int64(port))
        #expect(copy.attributes["loader.rows.copied"]?.intValue == 1000)

        let password = try #require(URLComponents(string: workload.postgresURL)?.password)
        for span in spans {
            #expect(!span.attributes.values.contains { $0.description.contains(password) }, "\(span.name)")
            #expect(!span.status.message.contains(password))
        }
    }

    /// libpq quotes a connection string it cannot parse (the whole URL, or the piece it could not decode): that
    /// was masked on stderr but exported in the spans' `exception.message`.
    @Test(arguments: ["postgres://postgres:SECRET@[127.0.0.1:55432/postgres", "postgres://u:SEC%zzRET@127.0.0.1:1/db",
                      "postgresql://u@127.0.0.1:1/db?password=SECRET&sslmode=bogus"])
    func aConnectionStringsPasswordReachesNoSpanAndNoMessage(url: String) async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let receiver = try OTLPReceiver.shared
        let traceID = Self.randomHex(bytes: 16)
        let loaded = try await workload.load(workload.path("unused.jsonl"), url: url, environment: Workload.environment([
            "TRACEPARENT": "00-\(traceID)-\(Self.randomHex(bytes: 8))-01",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpcEndpoint.absoluteString,
        ]))
        #expect(loaded.status == 1)
        #expect(loaded.stderr.split(separator: "\n").count == 1, "\(loaded.stderr)")
        #expect(!loaded.stderr.contains("SEC"), "\(loaded.stderr)")
        let spans = try await receiver.waitForSpans(traceID: traceID, timeout: .seconds(20)) { spans in
            spans.contains { $0.name == "load" } && spans.contains { $0.name == "connect" }
        }
        let load = try #require(spans.first { $0.name == "load" })
        #expect(load.status.code == "error")
        #expect(load.events.contains { $0.name == "exception" && $0.attributes["exception.message"] != nil })
        for span in spans {
            let texts = [span.status.message] + span.attributes.values.map(\.description)
                + span.events.flatMap { $0.attributes.values.map(\.description) }
            #expect(!texts.contains { $0.contains("SEC") }, "\(span.name): \(texts)")
        }
    }

    /// The stderr line was escaped by the log handler, but the span's status took the path raw: a terminal
    /// escape and a line break in whatever shows it.
    @Test func anUnwritablePathReachesTheSpanEscaped() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let receiver = try OTLPReceiver.shared
        let traceID = Self.randomHex(bytes: 16)
        let generated = try await workload.generate(["10", "/nonexistent-\(traceID)/\u{1b}[2J\ngenerator-otel: all good.json"], environment: Workload.environment([
            "TRACEPARENT": "00-\(traceID)-\(Self.randomHex(bytes: 8))-01", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpcEndpoint.absoluteString,
        ]))
        #expect(generated.status == 1)
        let spans = try await receiver.waitForSpans(traceID: traceID, timeout: .seconds(20)) { spans in spans.contains { $0.name == "generate" } }
        let generate = try #require(spans.first { $0.name == "generate" })
        #expect(generate.status.message.contains("\\e[2J\\ngenerator-otel: all good.json"), "\(generate.status.message)")
        for span in spans {
            let texts = [span.status.message] + span.events.flatMap { $0.attributes.values.compactMap(\.stringValue) }
            #expect(!texts.contains { $0.contains("\u{1b}") || $0.contains("\n") }, "\(span.name): \(texts)")
        }
    }

    @Test func failedStatementSpanCarriesTheSQLSTATE() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let receiver = try OTLPReceiver.shared
        let traceID = Self.randomHex(bytes: 16)
        // A table of the same name with another shape: the load's COPY names a column it lacks.
        _ = try await workload.query("CREATE TABLE \(workload.table) (id bigint PRIMARY KEY)")
        _ = try await workload.generate(["10", workload.path("orders.jsonl")])
        let loaded = try await workload.load(workload.path("orders.jsonl"), environment: Workload.environment([
            "TRACEPARENT": "00-\(traceID)-\(Self.randomHex(bytes: 8))-01",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.grpcEndpoint.absoluteString,
        ]))
        #expect(loaded.status == 1)
        #expect(loaded.stderr.contains("(SQLSTATE 42703)"), "\(loaded.stderr)")
        let spans = try await receiver.waitForSpans(traceID: traceID, timeout: .seconds(20)) { spans in
            spans.contains { $0.name == "COPY \(workload.table)" } && spans.contains { $0.name == "load" }
        }
        let copy = try #require(spans.first { $0.name == "COPY \(workload.table)" })
        #expect(copy.status.code == "error")
        #expect(copy.attributes["db.response.status_code"]?.stringValue == "42703")
        #expect(spans.first { $0.name == "load" }?.status.code == "error")
        #expect(try await workload.rowCount() == 0)
    }

    /// An endpoint port out of range crashed swift-otel in the workload (SIGILL) or held its exit: now one warning,
    /// the work done and the program's own status.
    @Test(arguments: ["http/protobuf", "grpc"])
    func anEndpointOutOfRangeIsOneWarningAndTheWorkIsDone(protocolName: String) async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let environment = Workload.environment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:65536", "OTEL_EXPORTER_OTLP_PROTOCOL": protocolName])
        let generated = try await workload.generate(["10", workload.path("orders.json")], environment: environment)
        #expect(generated.status == 0)
        #expect(FileManager.default.fileExists(atPath: workload.path("orders.json")))
        let warnings = generated.stderr.split(separator: "\n").filter { $0.hasPrefix("generator-otel: warning: ") }
        #expect(warnings == ["generator-otel: warning: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:65536: the port 65536 is not a number from 1 to 65535; spans will not be exported"],
                "\(generated.stderr)")
    }

    @Test func exitIsBoundedWhenTheCollectorIsBlackHoled() async throws {
        let workload = try Workload()
        defer { workload.removeDirectory() }
        let collector = try BlackHoleListener()
        defer { collector.close() }
        let environment = Workload.environment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.hostAndPort,
            "HYBRID_OTEL_SHUTDOWN_TIMEOUT": "1s",
        ])
        let generated = try await workload.generate(["100", workload.path("orders.jsonl")], environment: environment)
        #expect(generated.status == 0)
        #expect(generated.duration < .seconds(5), "took \(generated.duration)")
        #expect(generated.stderr.contains("spans not exported"), "\(generated.stderr)")

        let loaded = try await workload.load(workload.path("orders.jsonl"), environment: environment)
        #expect(loaded.status == 0, "\(loaded.stderr)")
        #expect(loaded.duration < .seconds(6), "took \(loaded.duration)")
        #expect(try await workload.rowCount() == 100)
    }
}
