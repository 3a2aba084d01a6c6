import Binaries
import Glibc
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
        #expect(Symbolizer().frameName(at: 0x1234, in: nil).name == "0x1234")
    }
}
