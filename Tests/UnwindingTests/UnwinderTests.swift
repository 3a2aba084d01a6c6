import Binaries
import Glibc
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

    enum HostileStack: CaseIterable, Sendable {
        case emptyCopy, copyShorterThanAWord, stackPointerBelowTheCopy, stackPointerAboveTheCopy, instructionPointerZero,
             instructionPointerInNoModule, wordsPointingAtThemselves, returnAddressesIntoOneFunction,
             topOfTheAddressSpace, misaligned
    }

    /// This test process's own modules: real unwind tables, and code at a known address.
    private static let modules = ModuleMap(mappings: ProcessMaps.read(pid: getpid()), images: ELFImageCache())
    private static let code = UInt64(UInt(bitPattern: dlsym(UnsafeMutableRawPointer(bitPattern: 0), "getpid")))
    private static let maximumFrames = 64

    private func snapshot(_ hostile: HostileStack) -> ThreadSnapshot {
        let snapshot = ThreadSnapshot(stackCapacity: 4096)
        let base = UInt64(UInt(bitPattern: snapshot.stackBuffer.baseAddress))
        snapshot.registers.rip = Self.code
        snapshot.registers.rsp = base
        snapshot.stackStart = base
        snapshot.useBuffer(length: 4096)
        let words = snapshot.stackBuffer.bindMemory(to: UInt64.self)
        for index in words.indices { words[index] = Self.code + 1 }
        switch hostile {
        case .emptyCopy: snapshot.useBuffer(length: 0)
        case .copyShorterThanAWord: snapshot.useBuffer(length: 5)
        case .stackPointerBelowTheCopy: snapshot.registers.rsp = base - 4096
        case .stackPointerAboveTheCopy: snapshot.registers.rsp = base + 1 << 20
        case .instructionPointerZero: snapshot.registers.rip = 0
        case .instructionPointerInNoModule: snapshot.registers.rip = 0x1234
        case .wordsPointingAtThemselves: for index in words.indices { words[index] = base + UInt64(index * 8) }
        case .returnAddressesIntoOneFunction: break
        case .topOfTheAddressSpace:
            snapshot.registers.rsp = UInt64.max - 15
            snapshot.stackStart = UInt64.max - 15
        case .misaligned:
            snapshot.registers.rsp = base + 3
            snapshot.stackStart = base + 3
        }
        return snapshot
    }

    /// Snapshots no ordinary thread has but a sampler copies all the same: the kernel copied nothing (a
    /// thread that has just exec'd, a goroutine stack Go has just moved), the stack pointer is used as
    /// something else, the words on the "stack" lead nowhere or in circles. Unwinding each must end, never
    /// trap, and give the leaf and at most `maximumFrames` frames, every caller in a module.
    @Test(arguments: HostileStack.allCases) func unwindingEndsWithTheLeafAndBoundedFrames(_ hostile: HostileStack) throws {
        try #require(Self.modules.index(containing: Self.code) != nil, "getpid lies in a module of this process")
        let unwinder = Unwinder(modules: Self.modules, maximumFrames: Self.maximumFrames)
        let snapshot = snapshot(hostile)
        var frames: [UInt64] = []
        unwinder.unwind(snapshot, into: &frames)
        #expect(frames.first == snapshot.registers.rip)
        #expect(frames.count <= Self.maximumFrames)
        #expect(frames.dropFirst().allSatisfy { Self.modules.index(containing: $0) != nil })
    }
}
