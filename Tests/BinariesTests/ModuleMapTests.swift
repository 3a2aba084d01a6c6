import Binaries
import Glibc
import Testing

@Suite struct ModuleMapTests {
    /// This process's own libc: where `dlsym` says `qsort` is must be where the symbol table and load bias put it.
    @Test func translatesRuntimeAddressesToFileAddresses() throws {
        let modules = ModuleMap(mappings: ProcessMaps.read(pid: getpid()), images: ELFImageCache())
        let qsortAddress = UInt64(UInt(bitPattern: try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "qsort"))))
        let libc = try #require(modules.module(containing: qsortAddress))
        #expect(libc.name.hasPrefix("libc.so"))
        let image = try #require(libc.image)
        let symbols = image.functionSymbols().filter { $0.address == libc.virtualAddress(of: qsortAddress) }
        #expect(!symbols.isEmpty)
        #expect(modules.modules.contains { $0.path == VDSO.name })
    }

    @Test func findsNothingOutsideModules() {
        let modules = ModuleMap(mappings: ProcessMaps.read(pid: getpid()), images: ELFImageCache())
        #expect(modules.module(containing: 0x10) == nil)
        #expect(modules.module(containing: UInt64.max - 1) == nil)
    }
}
