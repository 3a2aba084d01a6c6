import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// OTEP 4719's process context read the way the specification's "Reading Protocol" reads it, from outside a real
/// workload: the mapping found in `/proc/PID/maps`, header and payload read from `/proc/PID/mem`, the payload
/// decoded by the official protobuf runtime with opentelemetry-proto's Resource and KeyValue
/// (`scripts/standins/process_context.py`), not by our code.
@Suite struct ProcessContextTests {
    /// The names the OTEP's readers accept, as the reference reader (opentelemetry-ebpf-profiler's
    /// processcontext/processcontext.go) spells them: memfd named or not, or an anonymous named mapping.
    static let mappingNames = ["[anon_shmem:OTEL_CTX]", "[anon:OTEL_CTX]", "/memfd:OTEL_CTX", "/memfd:OTEL_CTX (deleted)"]

    @Test func aWorkloadPublishesItsResourceAndTheThreadContextKeysForOutsideReaders() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("process-context-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("records.json").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let service = "orders-\(UUID().uuidString.prefix(8))"
        let environment = ProcessRunner.environment(
            adding: ["OTEL_SDK_DISABLED": "true", "OTEL_SERVICE_NAME": service, "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=ctx%20test,service.version=7"],
            removing: ["TRACEPARENT", "TRACESTATE", "OTEL_EXPORTER_OTLP_ENDPOINT"])
        // The generator publishes before its first span, then waits in open() until the FIFO has a reader.
        let generator = try RunningProcess(try TestEnvironment.executable("generator-otel"), ["3", fifo], environment: environment)

        let payload = try await Self.readProcessContext(of: generator)

        let reader = try FIFOReader(path: fifo)
        let result = try await generator.wait()
        _ = reader.finish()
        #expect(result.status == 0, "\(result.stderr)")

        let decoded = try await ProcessRunner.run(
            try TestEnvironment.current.python, [try TestEnvironment.current.standinsDirectory.appendingPathComponent("process_context.py").path, "decode"],
            stdin: payload)
        try #require(decoded.status == 0, "\(decoded.stderr)")
        let message = try #require(try JSONSerialization.jsonObject(with: Data(decoded.stdout)) as? [String: Any])
        let resource = Self.strings((message["resource"] as? [String: Any])?["attributes"])
        #expect(resource == ["deployment.environment.name": "ctx test", "service.version": "7", "service.name": service])
        let attributes = try #require(message["attributes"] as? [[String: Any]])
        #expect(Self.strings(attributes) == ["threadlocal.schema_version": "tlsdesc_v1_dev"])
        let keyMap = attributes.first { $0["key"] as? String == "threadlocal.attribute_key_map" }
        let values = ((keyMap?["value"] as? [String: Any])?["arrayValue"] as? [String: Any])?["values"] as? [[String: Any]]
        #expect(values?.map { $0["stringValue"] as? String } == ["span_name"])
    }

    /// The string-valued attributes of a decoded `repeated KeyValue`, by key.
    static func strings(_ keyValues: Any?) -> [String: String] {
        var result: [String: String] = [:]
        for keyValue in keyValues as? [[String: Any]] ?? [] {
            if let key = keyValue["key"] as? String, let value = (keyValue["value"] as? [String: Any])?["stringValue"] as? String { result[key] = value }
        }
        return result
    }

    /// Steps 1-7 of the OTEP's reading protocol: finds the mapping (polling the maps file until the program has
    /// published it, or a minute passes: start-up of a debug build under load takes seconds), checks signature,
    /// version and a non-zero timestamp, copies the payload and checks the timestamp did not change meanwhile.
    static func readProcessContext(of process: RunningProcess) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + .seconds(60)
        var address: UInt64?
        while address == nil {
            try #require(process.isRunning && ContinuousClock.now < deadline, "no OTEL_CTX mapping in /proc/\(process.pid)/maps: \(process.stderrSoFar)")
            // Read to the end: /proc files report a size of 0, which Foundation's whole-file readers trust.
            let maps = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(process.pid)/maps")).readToEnd())
                .flatMap { $0.map { String(decoding: $0, as: UTF8.self) } } ?? ""
            address = maps.split(separator: "\n").first { line in mappingNames.contains { line.hasSuffix(" " + $0) } }
                .flatMap { UInt64($0.prefix { $0 != "-" }, radix: 16) }
            if address == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let memory = try #require(FileHandle(forReadingAtPath: "/proc/\(process.pid)/mem"))
        defer { try? memory.close() }
        func read(_ at: UInt64, _ count: Int) throws -> [UInt8] {
            try memory.seek(toOffset: at)
            return [UInt8](try #require(try memory.read(upToCount: count)))
        }
        func integer<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: T.Type) -> T {
            bytes[offset..<offset + MemoryLayout<T>.size].reversed().reduce(T(0)) { $0 << 8 | T($1) }
        }
        let header = try read(try #require(address), 32)
        #expect(Array(header[0..<8]) == Array("OTEL_CTX".utf8))
        #expect(integer(header, at: 8, as: UInt32.self) == 2)
        let publishedAt = integer(header, at: 16, as: UInt64.self)
        #expect(publishedAt != 0)
        let size = Int(integer(header, at: 12, as: UInt32.self))
        try #require(size > 0 && size < 65536)
        let payload = try read(integer(header, at: 24, as: UInt64.self), size)
        #expect(integer(try read(try #require(address), 32), at: 16, as: UInt64.self) == publishedAt)
        return payload
    }
}
