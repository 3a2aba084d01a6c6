import Foundation

/// The profiler's fixture programs (`Tests/Fixtures/`), compiled on first use with the toolchain's own
/// compilers into a temporary directory, once per test process.
public enum Fixture {
    /// `workload.c`: C workloads with known hot functions (see the file's header for its commands).
    public static func workload() throws -> String { try workloadBinary.get() }

    /// `names.c`: code that is easily named wrong (past an unsized symbol, in a second mapping, JIT), and forks.
    public static func names() throws -> String { try namesBinary.get() }

    /// `names.c` linked with each procedure linkage table layout: a lazy `.plt` (clang), `.plt.sec` and
    /// `.plt.got` (gcc with IBT), and `-z now`.
    public static func namesWithEachPLTLayout() throws -> [String] { try namesPLTLayouts.get() }

    /// `SwiftWorkload.swift`: optimized Swift code under `Checksummer.mix(rounds:)`.
    public static func swiftWorkload() throws -> String { try swiftWorkloadBinary.get() }

    /// `workload.c` linked statically by gcc, which leaves `.eh_frame_hdr` out unless asked for it
    /// (`-Wl,--eh-frame-hdr`): only `.eh_frame` then says how to unwind.
    public static func staticWorkload(ehFrameHeader: Bool) throws -> String {
        try (ehFrameHeader ? staticWorkloadWithHeader : staticWorkloadWithoutHeader).get()
    }

    /// `deny_syscalls.c`: runs a command with `perf_event_open` and/or `ptrace` refused by a seccomp filter.
    public static func denySyscalls() throws -> String { try denySyscallsBinary.get() }

    /// `goroutines.go`: goroutines whose stacks grow, move and are collected while they spin.
    public static func goWorkload() throws -> String { try goWorkloadBinary.get() }

    /// `signal_thread.c`: sends a signal to one thread of another process.
    public static func signalThread() throws -> String { try signalThreadBinary.get() }

    /// `span_writer.c`: a program outside hybrid-run publishing its spans (OTEP 4947/4719), its
    /// `otel_thread_ctx_v1` (`span_context.c`) where `placement` puts it.
    public static func spanWriter(_ placement: SpanContextPlacement) throws -> String {
        switch placement {
        case .executable: try spanWriterInExecutable.get()
        case .libraryTLSDESC: try spanWriterWithLibrary.get()
        case .libraryInitialExec: try spanWriterWithInitialExecLibrary.get()
        case .libraryGeneralDynamic: try spanWriterWithGeneralDynamicLibrary.get()
        case .libraryLoadedLate: try spanWriterLoadingLate.get()
        case .staticExecutable: try spanWriterStatic.get()
        }
    }

    public enum SpanContextPlacement: String, CaseIterable, Sendable {
        /// In the executable (TLSDESC code the linker relaxes to local-exec).
        case executable
        /// In `libspan_context.so`, TLSDESC (`-mtls-dialect=gnu2`), linked at start-up.
        case libraryTLSDESC
        /// In `libspan_context-ie.so`, initial-exec (`R_X86_64_TPOFF64`).
        case libraryInitialExec
        /// In `libspan_context-gd.so`, legacy general-dynamic (`R_X86_64_DTPMOD64`, `__tls_get_addr`): `-fPIC`'s default.
        case libraryGeneralDynamic
        /// In `libspan_context.so`, `dlopen`ed by the running program.
        case libraryLoadedLate
        /// In a static glibc executable (`-static-pie`, the static form that can export the variable in `.dynsym`).
        case staticExecutable
    }

    private static let spanWriterFlags = ["-O2", "-fomit-frame-pointer", "-fno-optimize-sibling-calls", "-pthread"]
    private static let spanContextLibrary = Result {
        try compile("span_context.c", with: "clang", ["-O2", "-shared", "-fPIC", "-mtls-dialect=gnu2"], output: "libspan_context.so")
    }
    private static let spanContextInitialExecLibrary = Result {
        try compile("span_context.c", with: "clang", ["-O2", "-shared", "-fPIC", "-ftls-model=initial-exec"], output: "libspan_context-ie.so")
    }
    private static let spanContextGeneralDynamicLibrary = Result {
        try compile("span_context.c", with: "clang", ["-O2", "-shared", "-fPIC", "-mtls-dialect=gnu", "-ftls-model=global-dynamic"],
                    output: "libspan_context-gd.so")
    }
    private static let spanWriterInExecutable = Result {
        try compile("span_writer.c", with: "clang", spanWriterFlags + ["-mtls-dialect=gnu2", "-Wl,--export-dynamic-symbol=otel_thread_ctx_v1",
                                                                     sourceDirectory.appendingPathComponent("span_context.c").path],
                    output: "span_writer-executable")
    }
    /// GNU ld: gold, clang's default linker here, cannot link `-static-pie`.
    private static let spanWriterStatic = Result {
        try compile("span_writer.c", with: "clang", spanWriterFlags + ["-static-pie", "-fPIE", "-fuse-ld=bfd", "-mtls-dialect=gnu2",
                                                                     "-Wl,--export-dynamic-symbol=otel_thread_ctx_v1",
                                                                     sourceDirectory.appendingPathComponent("span_context.c").path],
                    output: "span_writer-static")
    }
    private static let spanWriterWithLibrary = Result {
        try compile("span_writer.c", with: "clang", spanWriterFlags + [try spanContextLibrary.get(), "-Wl,-rpath,$ORIGIN"],
                    output: "span_writer-library")
    }
    private static let spanWriterWithInitialExecLibrary = Result {
        try compile("span_writer.c", with: "clang", spanWriterFlags + [try spanContextInitialExecLibrary.get(), "-Wl,-rpath,$ORIGIN"],
                    output: "span_writer-initial-exec")
    }
    private static let spanWriterWithGeneralDynamicLibrary = Result {
        try compile("span_writer.c", with: "clang", spanWriterFlags + [try spanContextGeneralDynamicLibrary.get(), "-Wl,-rpath,$ORIGIN"],
                    output: "span_writer-general-dynamic")
    }
    private static let spanWriterLoadingLate = Result {
        _ = try spanContextLibrary.get()
        return try compile("span_writer.c", with: "clang", spanWriterFlags + ["-DLATE_LIBRARY", "-ldl"], output: "span_writer-late")
    }

    /// `wall_phases.c`: a thread alternating 20 ms of CPU, sleep, a pipe read and a mutex wait, and one blocked in
    /// `poll` for the whole run; it prints the true wall time of each phase (`--wall`'s exactness fixture).
    public static func wallPhases() throws -> String { try wallPhasesBinary.get() }

    /// `pingpong.c`: two threads bouncing a byte over pipes ROUNDS times, WORK_US of CPU between round trips.
    public static func pingpong() throws -> String { try pingpongBinary.get() }

    /// `exec_storm.sh` (run it with `/bin/sh`): a shell that execs itself COUNT times, then exits with 7.
    public static var execStorm: String { sourceDirectory.appendingPathComponent("exec_storm.sh").path }

    private static let denySyscallsBinary = Result { try compile("deny_syscalls.c", with: "clang", ["-O2"]) }

    private static let wallPhasesBinary = Result { try compile("wall_phases.c", with: "gcc", ["-O2", "-g", "-pthread"]) }

    private static let pingpongBinary = Result { try compile("pingpong.c", with: "gcc", ["-O2", "-pthread"]) }

    private static let signalThreadBinary = Result { try compile("signal_thread.c", with: "clang", ["-O2"]) }

    private static let workloadBinary = Result {
        try compile("workload.c", with: "clang",
                    ["-O2", "-fomit-frame-pointer", "-fno-optimize-sibling-calls", "-pthread", "-Wl,--build-id=sha1"])
    }

    private static let namesBinary = Result { try compile("names.c", with: "clang", ["-O2", "-fomit-frame-pointer"]) }

    private static let namesPLTLayouts = Result {
        [try compile("names.c", with: "clang", ["-O2"], output: "names-lazy-plt"),
         try compile("names.c", with: "gcc", ["-O2", "-fcf-protection=full", "-Wl,-z,ibtplt"], output: "names-plt-sec"),
         try compile("names.c", with: "gcc", ["-O2", "-Wl,-z,now"], output: "names-bind-now")]
    }

    private static let staticFlags = ["-O2", "-static", "-fomit-frame-pointer", "-fno-optimize-sibling-calls", "-pthread"]
    private static let staticWorkloadWithoutHeader = Result {
        try compile("workload.c", with: "gcc", staticFlags, output: "workload-static")
    }
    private static let staticWorkloadWithHeader = Result {
        try compile("workload.c", with: "gcc", staticFlags + ["-Wl,--eh-frame-hdr"], output: "workload-static-indexed")
    }

    private static let swiftWorkloadBinary = Result {
        try compile("SwiftWorkload.swift", with: "swiftc", ["-O"])
    }

    /// Go keeps its build cache and module path in the fixture directory: the tests may run without a home.
    private static let goWorkloadBinary = Result {
        try compile("goroutines.go", with: "go", ["build"]) { directory in
            ["GOCACHE": "\(directory)/go-cache", "GOPATH": "\(directory)/go-path", "GO111MODULE": "off"]
        }
    }

    public static let sourceDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    private static func compile(_ source: String, with compiler: String, _ flags: [String], output name: String? = nil,
                                environment: (String) -> [String: String] = { _ in [:] }) throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("hybrid-run-fixtures-\(getpid())", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent(name ?? (source as NSString).deletingPathExtension).path
        let process = Process()
        process.executableURL = try tool(compiler)
        process.arguments = flags + ["-o", output, sourceDirectory.appendingPathComponent(source).path]
        process.environment = ProcessInfo.processInfo.environment.merging(environment(directory.path)) { _, new in new }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError("\(compiler) \(source) failed") }
        return output
    }

    /// The compiler on `PATH`, else beside the running toolchain's `swift`.
    private static func tool(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/\(name)" } + ["/opt/swift/usr/bin/\(name)", "/usr/bin/\(name)"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw FixtureError("no \(name) on PATH")
        }
        return URL(fileURLWithPath: found)
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
