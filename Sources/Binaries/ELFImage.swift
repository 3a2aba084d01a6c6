import Glibc
import Synchronization

/// A 64-bit little-endian ELF file (or an in-memory image such as the vDSO), read-only and mapped once.
///
/// Unwinding reads `.eh_frame_hdr`, `.eh_frame` and code through it instead of through the traced process,
/// and symbolization reads its symbol tables; keeping the mapping open keeps a deleted or replaced file's
/// contents readable after the process that used it has exited.
///
/// `@unchecked Sendable`: the bytes are never written after `init`, every other property is a `let`, and the
/// symbol lookups' answers are kept behind a lock.
public final class ELFImage: @unchecked Sendable {
    /// The path the image was opened from (or a name like `[vdso]`).
    public let path: String
    /// The whole file.
    public let bytes: UnsafeRawBufferPointer
    /// `PT_LOAD` segments in file order.
    public let loadSegments: [LoadSegment]
    /// Where `.eh_frame_hdr` lives (`PT_GNU_EH_FRAME`), in the image's own virtual addresses.
    public let ehFrameHeader: Range<UInt64>?
    /// The GNU build id (`NT_GNU_BUILD_ID`) as lower-case hex, or `nil` when the linker wrote none.
    public let buildID: String?
    private let release: (UnsafeRawBufferPointer) -> Void
    /// ``definedSymbol(named:in:)``'s answers. Every process a sampler starts on is searched for OTEP 4947's variable in
    /// each of its modules, and a module is one image for all the processes that map it: cc1 exports its ~29,000
    /// functions for plugins, and a build's every cc1 scanned them again (a third of the ptrace tracer's CPU in a
    /// `make -j2` of 200 files, BENCHMARKS.md).
    let symbolLookups = Mutex<[SymbolLookup: DefinedSymbol?]>([:])

    public struct LoadSegment: Sendable, Hashable {
        public var virtualAddress: UInt64
        public var memorySize: UInt64
        public var fileOffset: UInt64
        public var fileSize: UInt64
        public var isExecutable: Bool
    }

    /// Maps the file at `path`; `nil` when it cannot be opened or is not a 64-bit little-endian ELF file.
    public convenience init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_size > MemoryLayout<Elf64_Ehdr>.size else { return nil }
        let size = Int(status.st_size)
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else { return nil }
        let bytes = UnsafeRawBufferPointer(start: address, count: size)
        self.init(path: path, bytes: bytes) { munmap(UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }
    }

    /// Copies an image that is only in memory (the vDSO); `nil` when it is not a 64-bit little-endian ELF image.
    public convenience init?(name: String, copying source: UnsafeRawBufferPointer) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 16)
        copy.copyMemory(from: source)
        self.init(path: name, bytes: UnsafeRawBufferPointer(copy)) { $0.deallocate() }
    }

    private init?(path: String, bytes: UnsafeRawBufferPointer, release: @escaping (UnsafeRawBufferPointer) -> Void) {
        guard let header = ELFReader(bytes).header else {
            release(bytes)
            return nil
        }
        let reader = ELFReader(bytes)
        self.path = path
        self.bytes = bytes
        self.release = release
        let programHeaders = reader.programHeaders(header)
        loadSegments = programHeaders.filter { $0.p_type == UInt32(PT_LOAD) }.map {
            LoadSegment(virtualAddress: $0.p_vaddr, memorySize: $0.p_memsz, fileOffset: $0.p_offset,
                        fileSize: $0.p_filesz, isExecutable: $0.p_flags & UInt32(PF_X) != 0)
        }
        ehFrameHeader = programHeaders.first { $0.p_type == UInt32(PT_GNU_EH_FRAME) }.flatMap { header in
            let (end, overflow) = header.p_vaddr.addingReportingOverflow(header.p_memsz)
            return overflow ? nil : header.p_vaddr..<end
        }
        buildID = programHeaders.lazy.filter { $0.p_type == UInt32(PT_NOTE) }
            .compactMap { reader.gnuBuildID(inNoteAt: $0.p_offset, size: $0.p_filesz) }.first
    }

    deinit { release(bytes) }

    /// The file offset holding virtual address `address`, if a loaded segment has it on disk.
    public func fileOffset(ofVirtualAddress address: UInt64) -> Int? {
        for segment in loadSegments
        where address >= segment.virtualAddress && address - segment.virtualAddress < segment.fileSize {
            let (offset, overflow) = (address - segment.virtualAddress).addingReportingOverflow(segment.fileOffset)
            return !overflow && offset < UInt64(bytes.count) ? Int(offset) : nil
        }
        return nil
    }

    /// The lowest address of the image's loadable segments (where it expects to be mapped from).
    public var firstLoadSegment: LoadSegment? { loadSegments.first }

    /// Whether the file has its full symbol table (`.symtab`), not only the exported symbols of `.dynsym`.
    public var hasSymbolTable: Bool {
        let reader = ELFReader(bytes)
        guard let header = reader.header else { return false }
        return reader.sectionHeaders(header).contains { $0.sh_type == UInt32(SHT_SYMTAB) }
    }

    /// The file name `.gnu_debuglink` gives for the symbols stripped from this file (`objcopy --add-gnu-debuglink`).
    public var debugLink: String? {
        section(named: ".gnu_debuglink").flatMap { ByteReader(bytes).string(at: $0.fileOffset) }
    }

    /// The section called `name` whose contents are in the file (not `SHT_NOBITS`), or `nil`.
    ///
    /// Section headers are optional in a loaded program, so only what needs a section the program headers do
    /// not describe asks for one: `.debug_frame`, `.eh_frame` when there is no `.eh_frame_hdr`, `.gnu_debuglink`.
    public func section(named name: String) -> ELFSection? {
        guard let found = ELFReader(bytes).section(named: name), found.sh_type != UInt32(SHT_NOBITS),
              found.sh_offset <= UInt64(bytes.count), found.sh_size <= UInt64(bytes.count) - found.sh_offset
        else { return nil }
        return ELFSection(virtualAddress: found.sh_addr, fileOffset: Int(found.sh_offset), size: Int(found.sh_size))
    }

    /// The address ranges that hold code: the executable sections (`.init`, `.plt`, `.text`, `.fini`, …), or
    /// the executable load segments of a file without section headers.
    ///
    /// An unsized symbol (`_fini`, hand-written assembly) ends where its section ends: code past that belongs
    /// to no symbol of the section, however near.
    public func codeRanges() -> [Range<UInt64>] {
        let reader = ELFReader(bytes)
        let sections = reader.header.map { reader.sectionHeaders($0) } ?? []
        let code = sections.filter { $0.sh_flags & UInt64(SHF_EXECINSTR) != 0 && $0.sh_addr != 0 }
            .map { (start: $0.sh_addr, size: $0.sh_size) }
        let ranges = code.isEmpty
            ? loadSegments.filter(\.isExecutable).map { (start: $0.virtualAddress, size: $0.memorySize) }
            : code
        return ranges.compactMap { range in
            let (end, overflow) = range.start.addingReportingOverflow(range.size)
            return overflow || range.size == 0 ? nil : range.start..<end
        }
    }

    /// The functions of `.symtab`, or of `.dynsym` when the file is stripped, in no particular order.
    public func functionSymbols() -> [ELFSymbol] {
        let reader = ELFReader(bytes)
        guard let header = reader.header else { return [] }
        let sections = reader.sectionHeaders(header)
        let table = sections.first { $0.sh_type == UInt32(SHT_SYMTAB) } ?? sections.first { $0.sh_type == UInt32(SHT_DYNSYM) }
        guard let table, Int(table.sh_link) < sections.count else { return [] }
        return reader.functionSymbols(table: table, strings: sections[Int(table.sh_link)])
    }
}

/// A function symbol: its name as written in the file (mangled) and its virtual address range.
public struct ELFSymbol: Sendable, Hashable {
    public var address: UInt64
    public var size: UInt64
    public var name: String

    public init(address: UInt64, size: UInt64, name: String) {
        self.address = address
        self.size = size
        self.name = name
    }
}
