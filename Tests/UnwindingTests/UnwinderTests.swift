import Binaries
import ProfilerTestSupport
import Symbolization
import Testing
import Unwinding

/// Unwinds snapshots of real processes after they were killed: nothing but the copy and the files is read.
@Suite struct UnwinderTests {
    private func names(of live: LiveSnapshot) -> [String] {
        let unwinder = Unwinder(modules: live.modules)
        var frames: [UInt64] = []
        unwinder.unwind(live.snapshot, into: &frames)
        let symbolizer = Symbolizer()
        return frames.map { symbolizer.frameName(at: $0, in: live.modules.module(containing: $0)).name }
    }

    @Test func unwindsOptimizedCWithoutFramePointersToMain() throws {
        let live = try LiveSnapshot.capture([try Fixture.workload(), "split", "10"], when: .usedCPU(.milliseconds(100)))
        let names = names(of: live)
        let hot = try #require(names.firstIndex { $0 == "hot_three_quarters" || $0 == "hot_one_quarter" })
        #expect(names.contains("spin_until"))
        #expect(names[hot...].contains("main"))
        #expect(names.last == "_start")
    }

    @Test func unwindsADeepStack() throws {
        let live = try LiveSnapshot.capture([try Fixture.workload(), "deep", "25", "1000000", "0"], when: .usedCPU(.milliseconds(100)))
        let names = names(of: live)
        #expect(names.filter { $0 == "recurse" }.count == 25)
        #expect(names.contains("main"))
        #expect(names.last == "_start")
    }

    @Test func unwindsAThreadBlockedInLibc() throws {
        let live = try LiveSnapshot.capture([try Fixture.workload(), "sleep", "10"], when: .asleep)
        let names = names(of: live)
        #expect(names.contains("main"))
        #expect(names.last == "_start")
    }

    @Test func unwindsOptimizedSwiftAndDemanglesIt() throws {
        let live = try LiveSnapshot.capture([try Fixture.swiftWorkload(), "10"], when: .usedCPU(.milliseconds(100)))
        let names = names(of: live)
        #expect(names.contains { $0.contains("Checksummer.mix(rounds:") })
        #expect(names.contains { $0.contains("spinChecksums(for:") })
        #expect(!names.contains { $0.hasPrefix("$s") || $0.hasPrefix("_$s") })
        #expect(names.contains("main"))
    }
}
