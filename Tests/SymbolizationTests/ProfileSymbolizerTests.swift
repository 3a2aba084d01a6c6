import Binaries
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
}
