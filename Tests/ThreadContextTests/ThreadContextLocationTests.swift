import Binaries
import Foundation
import Glibc
import ProfilerTestSupport
import Testing
import TestSupport
@testable import ThreadContext

/// Where a thread's `otel_thread_ctx_v1` is, found from outside for each TLS model OTEP 4947 asks readers to
/// support, checked against where the program itself finds it (`span_writer where` prints the variable's address
/// minus its thread pointer, as its compiler and dynamic linker computed it).
@Suite struct ThreadContextLocationTests {
    private struct Found {
        var program: Int64
        var location: ThreadContextLocation?
        /// The reader's offset from the thread pointer (the pointer's address for a thread pointer of 0).
        var reader: Int64?
    }

    private func find(_ placement: Fixture.SpanContextPlacement, environment: [String: String] = [:]) async throws -> Found {
        let executable = try Fixture.spanWriter(placement)
        let process = try RunningProcess(URL(fileURLWithPath: executable), ["where"],
                                         environment: ProcessRunner.environment(adding: environment))
        defer { process.send(SIGKILL) }
        let printed = try await Poll.until(timeout: .seconds(30), interval: .milliseconds(10), "span_writer to print its offset") { () -> Int64? in
            let text = String(decoding: process.stdoutSoFar, as: UTF8.self)
            guard text.hasSuffix("\n") else { return nil }
            return Int64(text.dropLast())
        }
        let memory = RemoteMemory(pid: process.pid)
        let modules = ModuleMap(mappings: ProcessMaps.read(pid: process.pid), images: ELFImageCache())
        let location = ThreadContextLocation.find(in: modules, executablePath: ProcessMaps.executableLink(pid: process.pid), memory: memory)
        let reader = location?.pointerAddress(threadPointer: 0, memory: memory).map { Int64(bitPattern: $0) }
        return Found(program: printed, location: location, reader: reader)
    }

    @Test func inTheExecutableTheBlockEndsAtTheThreadPointer() async throws {
        let found = try await find(.executable)
        guard case .threadPointerOffset = try #require(found.location) else { Issue.record("\(String(describing: found.location))"); return }
        #expect(found.reader == found.program)
    }

    @Test func inALibraryWithTLSDESCTheDescriptorGivesTheOffset() async throws {
        let found = try await find(.libraryTLSDESC)
        guard case .descriptor = try #require(found.location) else { Issue.record("\(String(describing: found.location))"); return }
        #expect(found.reader == found.program)
    }

    @Test func inALibraryWithInitialExecTheGOTSlotGivesTheOffset() async throws {
        let found = try await find(.libraryInitialExec)
        guard case .threadPointerOffset = try #require(found.location) else { Issue.record("\(String(describing: found.location))"); return }
        #expect(found.reader == found.program)
    }

    /// glibc gives a library `dlopen`ed late static TLS from its reserve while there is some: then it reads as
    /// any other; with no reserve (`optional_static_tls=0`) the block is dynamic, per thread, and is skipped.
    @Test func aLibraryLoadedLateIsReadInStaticTLSAndSkippedInDynamicTLS() async throws {
        let reserve = try await find(.libraryLoadedLate)
        #expect(reserve.reader == reserve.program)
        let dynamic = try await find(.libraryLoadedLate, environment: ["GLIBC_TUNABLES": "glibc.rtld.optional_static_tls=0"])
        guard case .descriptor = try #require(dynamic.location) else { Issue.record("\(String(describing: dynamic.location))"); return }
        #expect(dynamic.reader == nil, "the program's own offset is \(dynamic.program)")
    }
}
