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
        /// The reader's offset from the thread pointer.
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
        let threadPointer = try #require(GlibcThreadList(modules: modules, memory: memory)?.threadPointers()[process.pid])
        let reader = location?.pointerAddress(threadPointer: threadPointer, memory: memory).map { Int64(bitPattern: $0 &- threadPointer) }
        return Found(program: printed, location: location, reader: reader)
    }

    @Test func inTheExecutableTheBlockEndsAtTheThreadPointer() async throws {
        let found = try await find(.executable)
        guard case .threadPointerOffset = try #require(found.location) else { Issue.record("\(String(describing: found.location))"); return }
        #expect(found.reader == found.program)
    }

    /// A static program: no ld.so, its thread list found through its `.symtab`.
    @Test func inAStaticExecutableTheBlockEndsAtTheThreadPointer() async throws {
        let found = try await find(.staticExecutable)
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

    @Test func inALibraryWithGeneralDynamicTheThreadsVectorGivesTheBlock() async throws {
        let found = try await find(.libraryGeneralDynamic)
        guard case .module = try #require(found.location) else { Issue.record("\(String(describing: found.location))"); return }
        #expect(found.reader == found.program)
    }

    /// glibc gives a library `dlopen`ed late static TLS from its reserve while there is some; with no reserve
    /// (`optional_static_tls=0`) the block is dynamic, per thread, found through the thread's vector.
    @Test func aLibraryLoadedLateIsReadInStaticAndInDynamicTLS() async throws {
        let reserve = try await find(.libraryLoadedLate)
        #expect(reserve.reader == reserve.program)
        let dynamic = try await find(.libraryLoadedLate, environment: ["GLIBC_TUNABLES": "glibc.rtld.optional_static_tls=0"])
        guard case .descriptor = try #require(dynamic.location) else { Issue.record("\(String(describing: dynamic.location))"); return }
        #expect(dynamic.reader == dynamic.program)
    }
}
