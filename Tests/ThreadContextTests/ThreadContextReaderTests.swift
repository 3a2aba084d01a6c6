import Binaries
import Foundation
import Glibc
import Profiles
import ProfilerTestSupport
import Testing
import TestSupport
@testable import ThreadContext
import _CProcessShims

/// The reader remembers where each thread's record was and reads it there in the same call as the TLS pointer; a
/// thread whose pointer moved to another record, or whose record was rewritten in place, must get the new span.
/// `span_writer steps` holds each state, blocked in `sigwait`, until told to go on.
@Suite struct ThreadContextReaderTests {
    /// How the reader learns the thread pointer: glibc's thread list (perf events) or the registers at a stop
    /// (ptrace; here the same thread pointer, found in glibc's list, since the thread is blocked anyway).
    enum Path: String, CaseIterable, Sendable {
        case threadList, threadPointer
    }

    private static let trace = String(repeating: "ab", count: 16)

    private func span(_ number: Int, _ name: String) -> SpanLabels {
        SpanLabels(traceID: Self.trace, spanID: String(repeating: String(format: "%02x", number), count: 8), name: name)
    }

    @Test(arguments: Fixture.SpanContextPlacement.allCases.filter { $0 != .libraryLoadedLate }, Path.allCases)
    func aMovedOrRewrittenRecordGivesTheNewSpan(placement: Fixture.SpanContextPlacement, path: Path) async throws {
        let process = try RunningProcess(URL(fileURLWithPath: try Fixture.spanWriter(placement)), ["steps"])
        defer { process.send(SIGKILL) }
        func reach(_ step: Int) async throws {
            try await Poll.until(timeout: .seconds(30), interval: .milliseconds(10), "span_writer to reach step \(step)") {
                String(decoding: process.stdoutSoFar, as: UTF8.self).hasSuffix("\(step)\n") ? true : nil
            }
        }
        try await reach(0)
        process.send(SIGUSR1)
        try await reach(1)
        let memory = RemoteMemory(pid: process.pid)
        let modules = ModuleMap(mappings: ProcessMaps.read(pid: process.pid), images: ELFImageCache())
        let reader = try #require(ThreadContextReader(pid: process.pid, modules: modules,
                                                      executablePath: ProcessMaps.executableLink(pid: process.pid)))
        let threadPointer = try #require(GlibcThreadList(modules: modules, memory: memory)?.threadPointers()[process.pid])
        func read() -> SpanLabels? {
            switch path {
            case .threadList: reader.spanLabels(tid: process.pid)
            case .threadPointer: reader.spanLabels(threadPointer: threadPointer)
            }
        }
        // Each state read twice: the first read finds the record, the second reads it where the first found it.
        #expect(read() == span(1, "first"))
        #expect(read() == span(1, "first"))
        process.send(SIGUSR1)
        try await reach(2)
        #expect(read() == span(2, "second"), "the pointer moved to another record")
        #expect(read() == span(2, "second"))
        process.send(SIGUSR1)
        try await reach(3)
        #expect(read() == span(3, "third"), "the record the pointer is at was rewritten")
        #expect(read() == span(3, "third"))
    }

    /// A reader is made at its process's first sample, usually before the program has published its process context:
    /// the first span read once the context is there has its name at once, not after the map's refresh interval.
    @Test func aSpanReadOnceTheProcessContextIsPublishedHasItsName() async throws {
        let process = try RunningProcess(URL(fileURLWithPath: try Fixture.spanWriter(.executable)), ["steps"])
        defer { process.send(SIGKILL) }
        func reach(_ step: Int) async throws {
            try await Poll.until(timeout: .seconds(30), interval: .milliseconds(10), "span_writer to reach step \(step)") {
                String(decoding: process.stdoutSoFar, as: UTF8.self).hasSuffix("\(step)\n") ? true : nil
            }
        }
        try await reach(0)
        let modules = ModuleMap(mappings: ProcessMaps.read(pid: process.pid), images: ELFImageCache())
        // No spacing between searches: the two reads below may come within the default 2 ms on a fast machine.
        let reader = try #require(ThreadContextReader(pid: process.pid, modules: modules,
                                                      executablePath: ProcessMaps.executableLink(pid: process.pid), keyMapSearchSpacing: 0))
        let unnamed = SpanLabels(traceID: Self.trace, spanID: String(repeating: "01", count: 8), name: nil)
        #expect(reader.spanLabels(tid: process.pid) == unnamed, "no key map yet: the name's key is unknown")
        process.send(SIGUSR1)
        try await reach(1)
        #expect(reader.spanLabels(tid: process.pid) == span(1, "first"))
    }

    /// Most processes of a build (cc1, as) export no `otel_thread_ctx_v1`: the reader is refused for each, and a refusal
    /// must keep nothing. Its buffers (9 KB) were allocated before the check and never freed, since a failed initializer
    /// runs no `deinit`: 44 MB for 5,000 refusals, most of hybrid-run's growth over a 2,000-file build.
    @Test func aRefusedReaderKeepsNoMemory() {
        let modules = ModuleMap(mappings: [], images: ELFImageCache())
        let before = hr_heap_in_use()
        var refused = 0
        for _ in 0..<5_000 where ThreadContextReader(pid: getpid(), modules: modules, executablePath: nil) == nil {
            refused += 1
        }
        let kept = Int(hr_heap_in_use()) - Int(before)
        #expect(refused == 5_000)
        // Generous: tests running beside this one allocate meanwhile; the leak this guards against is 44 MB.
        #expect(kept < 16 << 20, "\(kept) bytes kept by 5,000 refused readers")
    }
}
