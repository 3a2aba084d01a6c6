import Foundation
import Instrumentation
import OTel
@testable import Telemetry
import TestSupport
import Testing
import Tracing

#if canImport(Glibc)
import Glibc
#endif

/// The thread records of OTEP 4947 as a reader finds them: through the exported TLS symbol `otel_thread_ctx_v1`
/// (`dlsym` of a TLS symbol gives the calling thread's instance), read on the thread that runs the spans, since
/// a record is only defined for a reader that has that thread stopped. The ids to expect come from swift-otel's
/// own propagation (`traceparent`), not from the code under test.
@Suite struct ThreadContextTracerTests {
    /// The record bytes the OTEP defines: trace-id, span-id, valid, trace-flags, attrs-data-size, attrs-data.
    struct Record: Equatable {
        var traceID: [UInt8]
        var spanID: [UInt8]
        var valid: UInt8
        var traceFlags: UInt8
        var attributes: [UInt8]
    }

    /// swift-otel's tracer, not bootstrapped (one process runs many tests), exporting nowhere.
    static let otelTracer: any Tracer = {
        var configuration = OTel.Configuration.default
        configuration.traces.exporter = .none
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        return try! OTel.makeTracingBackend(configuration: configuration).factory
    }()

    /// The record `otel_thread_ctx_v1` points at on the calling thread, decoded as a reader would; `nil` for NULL.
    static func currentRecord() throws -> Record? {
        let symbol = try #require(dlsym(dlopen(nil, RTLD_NOW), "otel_thread_ctx_v1"), "otel_thread_ctx_v1 is not exported")
        guard let record = symbol.load(as: UnsafeRawPointer?.self) else { return nil }
        #expect(Int(bitPattern: record) % 2 == 0, "a record starts at a 2-byte boundary")
        let size = Int(record.loadUnaligned(fromByteOffset: 26, as: UInt16.self))
        return Record(
            traceID: Array(UnsafeRawBufferPointer(start: record, count: 16)),
            spanID: Array(UnsafeRawBufferPointer(start: record + 16, count: 8)),
            valid: record.load(fromByteOffset: 24, as: UInt8.self),
            traceFlags: record.load(fromByteOffset: 25, as: UInt8.self),
            attributes: Array(UnsafeRawBufferPointer(start: record + 28, count: size)))
    }

    /// What the record of `span` must hold: its ids and flags from its `traceparent`, and `name` under key 0.
    static func expectedRecord(_ span: any Tracing.Span, name: [UInt8]) throws -> Record {
        var carrier: [String: String] = [:]
        otelTracer.inject(span.context, into: &carrier, using: DictionaryInjector())
        let fields = try #require(carrier["traceparent"]).split(separator: "-").map(String.init)
        try #require(fields.count == 4)
        return Record(traceID: hexBytes(fields[1]), spanID: hexBytes(fields[2]), valid: 1, traceFlags: hexBytes(fields[3])[0],
                      attributes: [0, UInt8(name.count)] + name)
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    struct DictionaryInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }

    /// The OTEP's discovery: readers look for the TLS symbol in `.dynsym` of the executable (an executable's
    /// symbols are not exported unless the linker is told to).
    @Test(arguments: ["generator-otel", "loader-otel"])
    func theWorkloadsExportTheTLSSymbolInDynsym(program: String) async throws {
        let result = try await ProcessRunner.run(
            URL(fileURLWithPath: "/usr/bin/readelf"), ["--dyn-syms", "--wide", try TestEnvironment.executable(program).path])
        try #require(result.status == 0, "\(result.stderr)")
        // Num: Value Size Type Bind Vis Ndx Name
        let symbol = result.stdoutText.split(separator: "\n").map { $0.split(separator: " ") }.first { $0.last == "otel_thread_ctx_v1" }
        #expect(symbol?[2] == "8" && symbol?[3] == "TLS" && symbol?[4] == "GLOBAL" && symbol?[6] != "UND", "\(symbol ?? [])")
    }

    @Test func aSpanIsTheThreadsRecordWhileItRunsAndItsParentsAfter() throws {
        let tracer = ThreadContextTracer(base: Self.otelTracer)
        try withTracer(tracer) {
            #expect(try Self.currentRecord() == nil)
            try withSpan("outer") { outer in
                let outerRecord = try Self.expectedRecord(outer, name: Array("outer".utf8))
                #expect(try Self.currentRecord() == outerRecord)
                try withSpan("COPY orders") { inner in
                    let innerRecord = try Self.expectedRecord(inner, name: Array("COPY orders".utf8))
                    #expect(innerRecord.traceID == outerRecord.traceID && innerRecord.spanID != outerRecord.spanID)
                    #expect(try Self.currentRecord() == innerRecord)
                }
                #expect(try Self.currentRecord() == outerRecord)
            }
            #expect(try Self.currentRecord() == nil)
        }
    }

    @Test func aSpanThatThrowsStillRestoresItsParent() throws {
        struct Failure: Error {}
        try withTracer(ThreadContextTracer(base: Self.otelTracer)) {
            try withSpan("outer") { outer in
                let outerRecord = try Self.expectedRecord(outer, name: Array("outer".utf8))
                #expect(throws: Failure.self) { try withSpan("failing") { _ in throw Failure() } }
                #expect(try Self.currentRecord() == outerRecord)
            }
        }
    }

    @Test func aLongNameIsCutToTheOTEPsByteLengthAtACharacterBoundary() throws {
        // 127 two-byte characters are 254 bytes: the 128th would end at byte 256, past the one-byte length.
        let name = String(repeating: "é", count: 200)
        try withTracer(ThreadContextTracer(base: Self.otelTracer)) {
            try withSpan(name) { span in
                let expected = try Self.expectedRecord(span, name: Array(String(repeating: "é", count: 127).utf8))
                #expect(try Self.currentRecord() == expected)
            }
        }
    }

    @Test func spansDeeperThanTheRecordsKeepTheDeepestPublishedOneAndUnwindExactly() throws {
        try withTracer(ThreadContextTracer(base: Self.otelTracer)) {
            func nest(_ depth: Int, _ records: [Record]) throws {
                try withSpan("level \(depth)") { span in
                    let own = try Self.expectedRecord(span, name: Array("level \(depth)".utf8))
                    let published = depth < 16 ? records + [own] : records
                    #expect(try Self.currentRecord() == published.last)
                    if depth < 20 { try nest(depth + 1, published) }
                    #expect(try Self.currentRecord() == published.last)
                }
            }
            try nest(0, [])
            #expect(try Self.currentRecord() == nil)
        }
    }

    @Test func aSpanEndedOnAnotherThreadLeavesBothThreadsRecordsAloneUntilItsParentEnds() throws {
        let tracer = ThreadContextTracer(base: Self.otelTracer)
        try withTracer(tracer) {
            try withSpan("outer") { outer in
                let moved = tracer.startSpan("moved", context: outer.context)
                let movedRecord = try Self.expectedRecord(moved, name: Array("moved".utf8))
                #expect(try Self.currentRecord() == movedRecord)
                let ended = DispatchSemaphore(value: 0)
                nonisolated(unsafe) var otherThreadsRecord: Result<Record?, any Error>?
                Thread {
                    moved.end()
                    otherThreadsRecord = Result { try Self.currentRecord() }
                    ended.signal()
                }.start()
                ended.wait()
                #expect(try otherThreadsRecord?.get() == .some(nil))
                #expect(try Self.currentRecord() == movedRecord)
            }
            #expect(try Self.currentRecord() == nil)
        }
    }

    @Test func withTracingOffNoRecordIsPublished() throws {
        try withTracer(ThreadContextTracer(base: NoOpTracer())) {
            try withSpan("untraced") { _ in
                let record = try Self.currentRecord()
                #expect(record == nil)
            }
        }
    }
}
