import Binaries
import Foundation
import Glibc
import ProfilerTestSupport
import Profiles
import Symbolization
import Testing

@Suite struct SymbolizerTests {
    let modules = ModuleMap(mappings: ProcessMaps.read(pid: getpid()), images: ELFImageCache())

    @Test func namesAnExportedFunctionOfThisProcess() throws {
        let address = UInt64(UInt(bitPattern: try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "qsort"))))
        let module = try #require(modules.module(containing: address))
        let name = Symbolizer().frameName(at: address + 1, in: module).name
        #expect(name.contains("qsort"))
    }

    @Test func namesUnknownAddressesByModuleAndOffset() throws {
        let libc = try #require(modules.modules.first { $0.name.hasPrefix("libc.so") })
        let unnamed = LoadedModule(path: libc.path, image: nil, start: libc.start, end: libc.end,
                                   fileOffset: libc.fileOffset, loadBias: libc.loadBias)
        let name = Symbolizer().frameName(at: libc.start + 0x40, in: unnamed).name
        #expect(name == "\(libc.name)+0x" + String(libc.virtualAddress(of: libc.start + 0x40), radix: 16))
        #expect(Symbolizer().frameName(at: 0x1234, in: nil).name == "[unknown]")
    }

    /// A sample with no user context has perf's kernel marker for its one frame, named as such, never looked up.
    @Test func namesTheKernelFrame() {
        let name = Symbolizer().frameNames(of: [KernelFrame.address], in: modules, pid: getpid())[KernelFrame.address]
        #expect(name?.name == "[kernel]" && name?.symbolName == nil && name?.isFinal == true)
    }

    /// A binary stripped with its symbols moved to a `.gnu_debuglink` file beside it, as distributions ship them.
    @Test func namesFunctionsOfAStrippedBinaryFromItsDebugFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-debuglink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = directory.appendingPathComponent("workload").path
        let debug = binary + ".debug"
        try FileManager.default.copyItem(atPath: try Fixture.workload(), toPath: binary)
        for (tool, arguments) in [("/usr/bin/objcopy", ["--only-keep-debug", binary, debug]), ("/usr/bin/strip", ["--strip-all", binary]),
                                  ("/usr/bin/objcopy", ["--add-gnu-debuglink=\(debug)", binary])] {
            let result = try ExternalTool.run(tool, arguments)
            try #require(result.status == 0, "\(tool): \(result.standardError)")
        }
        let debugImage = try #require(ELFImage(path: debug))
        let hot = try #require(debugImage.functionSymbols().first { $0.name == "hot_three_quarters" })
        let image = try #require(ELFImage(path: binary))
        #expect(!image.hasSymbolTable)
        #expect(image.debugLink == "workload.debug")
        let module = LoadedModule(path: binary, image: image, start: hot.address, end: hot.address + hot.size,
                                  fileOffset: 0, loadBias: 0)
        #expect(Symbolizer().symbol(at: hot.address + 1, in: module)?.name == "hot_three_quarters")
        try FileManager.default.removeItem(atPath: debug)
        #expect(Symbolizer().symbol(at: hot.address + 1, in: module)?.name != "hot_three_quarters", "named without the debug file?")
    }
}

/// Memory inside a module's range that the file is not mapped at is never named from the file's symbols.
@Suite struct SymbolizerGapTests {
    @Test func namesAnAnonymousGapUnknownWithItsModuleOrFromThePerfMap() throws {
        let binary = try Fixture.names()
        let image = try #require(ELFImage(path: binary))
        let spin = try #require(image.functionSymbols().first { $0.name == "remapped_spin" })
        let mapped = LoadedModule(path: binary, image: image, start: 0, end: 0x100_0000, fileOffset: 0, loadBias: 0)
        let gap = LoadedModule(path: binary, image: image, start: 0, end: 0x100_0000, fileOffset: 0, loadBias: 0,
                               fileRanges: [0..<spin.address])
        #expect(Symbolizer().frameName(at: spin.address + 1, in: mapped).name == "remapped_spin")
        #expect(Symbolizer().frameName(at: spin.address + 1, in: gap).name == "[unknown] (names)")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-gap-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let modules = ModuleMap(modules: [gap])
        let symbolizer = Symbolizer(perfMapDirectory: directory)
        let before = symbolizer.frameNames(of: [spin.address + 1], in: modules, pid: 4242)[spin.address + 1]
        #expect(before?.name == "[unknown] (names)" && before?.isFinal == false)
        try Data((String(spin.address, radix: 16) + " 10 copied_spin\n").utf8)
            .write(to: URL(fileURLWithPath: PerfMap.path(pid: 4242, directory: directory)))
        let after = symbolizer.frameNames(of: [spin.address + 1], in: modules, pid: 4242)[spin.address + 1]
        #expect(after?.name == "copied_spin" && after?.isFinal == true)
    }
}
