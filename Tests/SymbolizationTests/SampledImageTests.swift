import Binaries
import Profiles
import Symbolization
import Testing

struct SampledImageTests {
    private func image() -> SampledImage {
        SampledImage(id: 1, pid: 4242, executablePath: "/bin/app", modules: ModuleMap(modules: []), threads: [:], hasExited: false)
    }

    @Test func aSampleMakesItsThreadUnderTheNameItHad() {
        var image = image()
        let (pid, _) = image.add([1, 2], cpuTime: 10, tid: 7, threadName: "worker", span: nil)
        #expect(pid == 4242)
        #expect(image.threads[7]?.name == "worker")
        #expect(image.threads[7]?.stacks.cpuTimes == [RawStack([1, 2]): 10])
    }

    /// A thread gone before the sampler learnt its name is sampled with an empty one, which says nothing.
    @Test func anEmptyNameKeepsTheNameSeenBefore() {
        var image = image()
        _ = image.add([1], cpuTime: 1, tid: 7, threadName: "worker", span: nil)
        _ = image.add([1], cpuTime: 1, tid: 7, threadName: "", span: nil)
        _ = image.add([2], cpuTime: 1, tid: 8, threadName: "", span: nil)
        #expect(image.threads[7]?.name == "worker")
        #expect(image.threads[8]?.name == "", "a thread first seen without a name has none")
        #expect(image.threads[7]?.stacks.cpuTimes == [RawStack([1]): 2])
        _ = image.add([1], cpuTime: 1, tid: 7, threadName: "renamed", span: nil)
        #expect(image.threads[7]?.name == "renamed")
    }

    /// The timeline keeps the stack handed back: it must be the counter's own copy, one array per distinct stack.
    @Test func handsBackTheCountersOwnCopy() {
        var image = image()
        let (_, first) = image.add([1, 2, 3], cpuTime: 1, tid: 7, threadName: "worker", span: nil)
        let (_, again) = image.add(Array([1, 2, 3]), cpuTime: 1, tid: 7, threadName: "worker", span: nil)
        let same = first.withUnsafeBufferPointer { a in again.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
        #expect(same)
    }
}
