import Binaries
import Foundation
import Glibc
@testable import Sampling
import Testing

/// A process whose exit the sampler never saw (perf events: the kernel dropped its exit record from a full buffer)
/// must not be held for the rest of the run: a build of thousands of processes would pile up their unwinders,
/// modules and images.
@Suite struct ProcessRegistryTests {
    private let store = ProfileStore(fallingBehind: FallingBehind(rate: 100, cause: "test"), recordsTimeline: false)

    /// The pid of a process that ran, exited and was reaped: `kill(pid, 0)` fails with `ESRCH`.
    private func goneProcess() throws -> SampledProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let pid = process.processIdentifier
        let sampled = SampledProcess(pid: pid, threads: [pid])
        sampled.imageID = store.addImage(pid: pid, executablePath: "/bin/true", modules: ModuleMap(modules: []))
        return sampled
    }

    @Test func forgetsAProcessGoneWithoutItsExitOnceItsSamplesAreApplied() throws {
        let registry = ProcessRegistry(store: store, maximumFrames: 64)
        let gone = try goneProcess()
        let live = SampledProcess(pid: getpid(), threads: [getpid()])
        registry.add(gone)
        registry.add(live)
        // Found gone at the check at 5 s; samples applied only up to 4 s may still include some of it.
        #expect(registry.forgetGone(now: 5_000_000_000, appliedUntil: 4_000_000_000).isEmpty)
        #expect(registry[gone.pid] === gone)
        // Every sample taken before the check is applied: it goes, the live process stays.
        #expect(registry.forgetGone(now: 5_100_000_000, appliedUntil: 5_090_000_000).map(\.pid) == [gone.pid])
        #expect(registry[gone.pid] == nil)
        #expect(registry[live.pid] === live)
        #expect(registry.count == 1)
        // Its image is complete: the window that takes it drops it.
        #expect(store.take().images.map(\.id) == [gone.imageID])
        #expect(store.take().images.isEmpty)
    }

    /// A fork seen after the check put a new process under the gone one's pid: that one is not forgotten.
    @Test func keepsANewProcessUnderTheGonePID() throws {
        let registry = ProcessRegistry(store: store, maximumFrames: 64)
        let gone = try goneProcess()
        registry.add(gone)
        #expect(registry.forgetGone(now: 5_000_000_000, appliedUntil: 4_000_000_000).isEmpty)
        let reusing = SampledProcess(pid: gone.pid, threads: [gone.pid])
        registry.add(reusing)
        #expect(registry.forgetGone(now: 5_100_000_000, appliedUntil: 5_090_000_000).isEmpty)
        #expect(registry[gone.pid] === reusing)
    }
}
