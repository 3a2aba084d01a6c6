import Binaries
import Foundation
import Profiles
import Symbolization
import Testing

@Suite struct ProfileSymbolizerTests {
    private func window(_ module: String, exited: Bool = false) -> SampledWindow {
        let modules = ModuleMap(modules: [LoadedModule(path: module, image: nil, start: 0x10000, end: 0x20000, fileOffset: 0, loadBias: 0x10000)])
        var thread = SampledThread(name: "worker")
        thread.stacks.add([0x10100], cpuTime: 30)
        return SampledWindow(startTime: 0, endTime: 1, images: [SampledImage(id: 7, pid: 1, executablePath: "/bin/app", modules: modules,
                                                                              threads: [1: thread], hasExited: exited)],
                             statistics: SamplingStatistics(samplesTaken: 1), timeline: SampleTimeline())
    }

    private func names(_ profile: Profile) -> [String] {
        profile.processes.flatMap { $0.threads.flatMap { $0.stacks.flatMap { $0.frames.map(\.name) } } }
    }

    /// Names are cached per image across windows, but code mapped anew at the same addresses (`dlclose` then
    /// `dlopen`) is named from the new module, not from the cache.
    @Test func namesAnAddressAnewWhenTheImagesModulesChanged() {
        let symbolizer = ProfileSymbolizer(sampleWeight: 10)
        #expect(names(symbolizer.profile(of: window("/lib/liba.so"))) == ["liba.so+0x100"])
        #expect(names(symbolizer.profile(of: window("/lib/liba.so"))) == ["liba.so+0x100"])
        #expect(names(symbolizer.profile(of: window("/lib/libb.so"))) == ["libb.so+0x100"])
    }

    /// CPU times become counts with the rounding carried across windows: three windows of a third of a period
    /// count one period in all, not none.
    @Test func carriesTheCountsRoundingFromWindowToWindow() {
        let symbolizer = ProfileSymbolizer(sampleWeight: 90)
        let counts = (0..<3).map { _ in symbolizer.profile(of: window("/lib/liba.so")).totalSamples }
        #expect(counts.reduce(0, +) == 1)
    }

    /// Samples the kernel dropped stand for CPU time no stack has: it is marked as a stack of its own, so the profile's
    /// total is the CPU time that was due and the sampled stack's share is of that whole, not of what was read.
    @Test func marksTheCPUTimeOfLostSamplesAsAStackOfItsOwn() {
        let symbolizer = ProfileSymbolizer(sampleWeight: 10)
        var lossy = window("/lib/liba.so")
        lossy.statistics = SamplingStatistics(samplesTaken: 1, samplesLost: 5, samplesMissed: 5, lostCPUTime: 50)
        let profile = symbolizer.profile(of: lossy)
        let lost = profile.processes.filter { $0.executablePath == ProcessProfile.lostSamplesName }
        #expect(lost.count == 1)
        #expect(lost.first?.threads.flatMap(\.stacks) == [StackCount(frames: [Frame(address: 0, mapping: nil, name: "[lost samples]", symbolName: nil)],
                                                                      count: 5, cpuTime: 50)])
        #expect(profile.totalCPUTime == 80 && profile.totalSamples == 8)
        #expect(names(symbolizer.profile(of: window("/lib/liba.so"))) == ["liba.so+0x100"], "a window without loss has no marker")
    }

    /// A JIT writes its perf map as it compiles, maybe after the window that sampled the code was symbolized: the
    /// run's profile is named from the map once more when it is written, as `perf report` reads it after the run.
    @Test func namesJITFramesFromAPerfMapWrittenAfterTheirWindow() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("late-perf-map-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let symbolizer = ProfileSymbolizer(sampleWeight: 10, symbolizer: Symbolizer(perfMapDirectory: directory.path))
        var thread = SampledThread(name: "node")
        thread.stacks.add([0x7000_1010, 0x10100], cpuTime: 10)
        let modules = ModuleMap(modules: [LoadedModule(path: "/bin/node", image: nil, start: 0x10000, end: 0x20000, fileOffset: 0, loadBias: 0x10000)])
        let window = SampledWindow(startTime: 0, endTime: 1, images: [SampledImage(id: 1, pid: 4242, executablePath: "/bin/node", modules: modules,
                                                                                   threads: [4242: thread], hasExited: true)],
                                   statistics: SamplingStatistics(samplesTaken: 1), timeline: SampleTimeline())
        let profile = symbolizer.profile(of: window)
        #expect(names(profile) == ["[unknown]", "node+0x100"])
        try "70001000 40 LazyCompile:*fib /app/fib.js:1\n".write(to: directory.appendingPathComponent("perf-4242.map"), atomically: true, encoding: .utf8)
        #expect(names(symbolizer.namingLateFrames(in: profile)) == ["LazyCompile:*fib /app/fib.js:1", "node+0x100"])
    }

    /// A live process's perf map is read again for code it has not named at most every interval (a JIT's map is
    /// hundreds of megabytes, and windows come every second), and always in the process's last window.
    @Test func readsALiveProcesssPerfMapAgainAtMostEveryIntervalAndInItsLastWindow() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reread-perf-map-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let symbolizer = ProfileSymbolizer(sampleWeight: 10, symbolizer: Symbolizer(perfMapDirectory: directory.path),
                                           perfMapRereadInterval: .seconds(3600))
        let modules = ModuleMap(modules: [LoadedModule(path: "/bin/node", image: nil, start: 0x10000, end: 0x20000, fileOffset: 0, loadBias: 0x10000)])
        func window(exited: Bool) -> SampledWindow {
            var thread = SampledThread(name: "node")
            thread.stacks.add([0x7000_1010, 0x10100], cpuTime: 10)
            return SampledWindow(startTime: 0, endTime: 1, images: [SampledImage(id: 1, pid: 4243, executablePath: "/bin/node", modules: modules,
                                                                                 threads: [4243: thread], hasExited: exited)],
                                 statistics: SamplingStatistics(samplesTaken: 1), timeline: SampleTimeline())
        }
        #expect(names(symbolizer.profile(of: window(exited: false))) == ["[unknown]", "node+0x100"])
        try "70001000 40 LazyCompile:*fib /app/fib.js:1\n".write(to: directory.appendingPathComponent("perf-4243.map"), atomically: true, encoding: .utf8)
        #expect(names(symbolizer.profile(of: window(exited: false))) == ["[unknown]", "node+0x100"], "read again before the interval")
        #expect(names(symbolizer.profile(of: window(exited: true))) == ["LazyCompile:*fib /app/fib.js:1", "node+0x100"])
    }
}
