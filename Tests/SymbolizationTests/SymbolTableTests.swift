import Binaries
import Symbolization
import Testing

@Suite struct SymbolTableTests {
    let table = SymbolTable(symbols: [
        ELFSymbol(address: 0x1000, size: 0x10, name: "sized"),
        ELFSymbol(address: 0x2000, size: 0, name: "unsized"),
        ELFSymbol(address: 0x3000, size: 0x20, name: "alias_with_longer_name"),
        ELFSymbol(address: 0x3000, size: 0x20, name: "alias"),
    ])

    @Test func findsTheSymbolCoveringAnAddress() {
        #expect(table.symbol(containing: 0x1000)?.name == "sized")
        #expect(table.symbol(containing: 0x100f)?.name == "sized")
        #expect(table.symbol(containing: 0x1010) == nil)
        #expect(table.symbol(containing: 0x2fff)?.name == "unsized")
        #expect(table.symbol(containing: 0x3004)?.name == "alias")
        #expect(table.symbol(containing: 0x0fff) == nil)
        #expect(table.count == 3)
    }

    /// A symbol's address and size come from the file: one that runs past the address space ends there.
    @Test func aSymbolRunningPastTheAddressSpaceCoversUpToItsEnd() {
        let table = SymbolTable(symbols: [ELFSymbol(address: UInt64.max - 0xf, size: 0x100, name: "wraps")])
        #expect(table.symbol(containing: UInt64.max)?.name == "wraps")
        #expect(table.symbol(containing: UInt64.max - 0x10) == nil)
    }
}

@Suite struct DemanglerTests {
    @Test func demanglesSwift() {
        #expect(Demangler.demangle("$sSi") == "Swift.Int")
        #expect(Demangler.demangle("_$sSS") == "Swift.String")
    }

    @Test func demanglesCPlusPlus() {
        #expect(Demangler.demangle("_ZN3foo3barEv") == "foo::bar()")
    }

    @Test func leavesCNamesAlone() {
        #expect(Demangler.demangle("main") == "main")
        #expect(Demangler.demangle("_Zbroken") == "_Zbroken")
    }
}
