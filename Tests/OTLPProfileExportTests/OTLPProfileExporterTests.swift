import CurlHTTP
import Foundation
import OTLPProfileExport
import Profiles
import Testing
import TestSupport

/// Exports checked by what the OTLP stand-in decoded with the official generated Python code.
@Suite(.enabled(if: TestEnvironment.isAvailable, "needs scripts/test.sh"))
struct OTLPProfileExporterTests {
    static let link = SpanLink(traceID: "4bf92f3577b34da6a3ce929d0e0e4736", spanID: "00f067aa0ba902b7")!
    static let exitDeadline = Duration.milliseconds(2500)
    /// The deadline plus the time a loaded 2-core machine may take to schedule the return.
    static let exitBudget = Duration.seconds(3)

    /// main → work (3 samples) and main → idle (1 sample) at 100 Hz, ending now.
    static func profile() -> Profile {
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let mapping = Mapping(start: 0x1000, end: 0x9000, fileOffset: 0, path: "/usr/bin/work", buildID: nil)
        func frame(_ name: String, _ address: UInt64) -> Frame { Frame(address: address, mapping: 0, name: name, symbolName: name) }
        return Profile(startTime: now - 1_000_000_000, endTime: now, sampleWeight: 10_000_000, processes: [ProcessProfile(
            pid: 7, executablePath: "/usr/bin/work", mappings: [mapping],
            threads: [ThreadProfile(tid: 7, name: "work", stacks: [
                StackCount(frames: [frame("work", 0x1100), frame("main", 0x1200)], count: 3, cpuTime: 3 * 10_000_000),
                StackCount(frames: [frame("idle", 0x1300), frame("main", 0x1200)], count: 1, cpuTime: 1 * 10_000_000),
            ])])], statistics: SamplingStatistics(samplesTaken: 4))
    }

    static func uniqueService(_ test: String) -> String { "otlp-profiles-\(test)-\(UInt32.random(in: .min ... .max))" }

    @Test(arguments: OTLPProfileSettings.TransportProtocol.allCases)
    func aProfileArrivesWithItsStacksLinksResourceAndVersion(transport: OTLPProfileSettings.TransportProtocol) async throws {
        let receiver = try OTLPReceiver.shared
        let service = Self.uniqueService(transport.rawValue.replacingOccurrences(of: "/", with: "-"))
        let endpoint = transport == .grpc ? receiver.grpcEndpoint.absoluteString : receiver.httpEndpoint.absoluteString + OTLPProfileSettings.httpPath
        let settings = OTLPProfileSettings(endpoint: endpoint, transportProtocol: transport, headers: [HTTPHeader("x-tenant", "team-a")])
        let exporter = try OTLPProfileExporter(settings: settings, resource: [("service.name", service), ("env", "ci")], logger: RecordingLogHandler().logger)
        exporter.export(Self.profile()) { _ in Self.link }
        let report = await exporter.shutdown(deadline: .seconds(10))

        #expect(report.exported == 1 && report.isComplete, "\(report)")
        let received = try #require(try await receiver.profiles(serviceName: service).only)
        #expect(received.transport == transport.rawValue)
        #expect(received.headers["otlp-profiles-development-version"] == "1")
        #expect(received.headers["x-tenant"] == "team-a")
        #expect(received.resource["env"]?.stringValue == "ci")
        #expect(received.sampleType == .init(type: "cpu", unit: "nanoseconds"))
        #expect(received.period == 10_000_000)
        #expect(received.samples.map(\.stack) == [["main", "work"], ["main", "idle"]])
        #expect(received.samples.map(\.values) == [[30_000_000], [10_000_000]])
        #expect(received.samples.allSatisfy { $0.link == .init(traceID: "4bf92f3577b34da6a3ce929d0e0e4736", spanID: "00f067aa0ba902b7") })
        #expect(received.dictionary.problems.isEmpty, "\(received.dictionary.problems)")
        #expect(received.dictionary.duplicates.values.allSatisfy { $0 == 0 }, "\(received.dictionary.duplicates)")
        #expect(received.mappingFiles == ["/usr/bin/work"])
    }

    @Test func httpGoesThroughTheProxyOfTheEnvironment() async throws {
        try await ProxyStandIn.withDedicated(aliasDomain: "proxied.test") { proxy in
            let receiver = try OTLPReceiver.shared
            let service = Self.uniqueService("proxy")
            let endpoint = "http://collector.proxied.test:\(try #require(receiver.httpEndpoint.port))"
            let (settings, _) = OTLPProfileSettings.fromEnvironment([
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "HTTP_PROXY": proxy.url.absoluteString,
            ])
            let exporter = try OTLPProfileExporter(settings: try #require(settings), resource: [("service.name", service)], logger: RecordingLogHandler().logger)
            exporter.export(Self.profile()) { _ in nil }
            let report = await exporter.shutdown(deadline: .seconds(10))

            #expect(report.exported == 1, "\(report)")
            #expect(try await proxy.requests().map(\.target) == ["\(endpoint)/v1development/profiles"])
            #expect(try await receiver.profiles(serviceName: service).count == 1)
        }
    }

    @Test(arguments: OTLPProfileSettings.TransportProtocol.allCases)
    func aCollectorThatIsDownDelaysShutdownNoLongerThanTheDeadlineAndSaysSoOnce(transport: OTLPProfileSettings.TransportProtocol) async throws {
        let listener = try BlackHoleListener()
        listener.close()
        let log = RecordingLogHandler()
        let report = try await Self.timedShutdown(endpoint: listener.url.absoluteString, transport: transport, log: log)

        #expect(report.failed == 1)
        #expect(log.warnings.count == 1, "\(log.warnings)")
        #expect(log.warnings.first?.contains(listener.hostAndPort) == true, "\(log.warnings)")
    }

    @Test(arguments: OTLPProfileSettings.TransportProtocol.allCases)
    func aBlackHoledCollectorDelaysShutdownNoLongerThanTheDeadline(transport: OTLPProfileSettings.TransportProtocol) async throws {
        let listener = try BlackHoleListener()
        defer { listener.close() }
        let log = RecordingLogHandler()
        let report = try await Self.timedShutdown(endpoint: listener.url.absoluteString, transport: transport, log: log)

        #expect(listener.connectionCount >= 1, "the export was attempted")
        #expect(report.failed == 1)
        #expect(log.warnings.count == 1, "\(log.warnings)")
    }

    /// Exports one profile to `endpoint`, shuts down with the exit deadline, and expects it back within the budget.
    private static func timedShutdown(endpoint: String, transport: OTLPProfileSettings.TransportProtocol, log: RecordingLogHandler) async throws -> OTLPExportReport {
        let url = transport == .grpc ? endpoint : endpoint + OTLPProfileSettings.httpPath
        let exporter = try OTLPProfileExporter(settings: OTLPProfileSettings(endpoint: url, transportProtocol: transport), resource: [], logger: log.logger)
        exporter.export(profile()) { _ in nil }
        let clock = ContinuousClock()
        let start = clock.now
        let report = await exporter.shutdown(deadline: exitDeadline)
        #expect(start.duration(to: clock.now) < exitBudget)
        return report
    }
}
