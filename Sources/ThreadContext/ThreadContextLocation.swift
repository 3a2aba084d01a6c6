import Binaries

/// Where a thread's `otel_thread_ctx_v1` pointer lives relative to its thread pointer (`fs_base` on x86-64), for
/// each TLS model OTEP 4947 asks readers to support, as glibc lays out static TLS on x86-64 (TLS variant II: the
/// blocks of the modules loaded at start-up lie below the thread pointer, the executable's first).
///
/// Found once per process image (and again when code is mapped or unmapped), from the ELF files and, for a
/// shared library, the GOT slot its dynamic linker filled in, as opentelemetry-ebpf-profiler's
/// `tpbase`/`libc` TLS handling and polarsignals/custom-labels find theirs.
enum ThreadContextLocation: Equatable {
    /// The pointer is at thread pointer + offset, the same for every thread: the variable is in static TLS.
    case threadPointerOffset(Int64)
    /// A TLSDESC descriptor at this address whose argument is the offset once the module's block is static;
    /// read again at each sample until it is (a module `dlopen`ed late can have only dynamic TLS).
    case descriptor(UInt64)

    static let symbolName = "otel_thread_ctx_v1"

    /// How to find the variable in a process whose code is `modules`; `nil` when no module exports it, or only
    /// in a way that needs per-thread dynamic TLS (legacy general-dynamic, `R_X86_64_DTPMOD64`), which this
    /// reader skips.
    ///
    /// - Parameters:
    ///   - executablePath: the program's file: its own TLS block is the first below the thread pointer.
    ///   - memory: the process, to read GOT slots from.
    static func find(in modules: ModuleMap, executablePath: String?, memory: RemoteMemory) -> ThreadContextLocation? {
        for module in modules.modules {
            guard let image = module.image, let symbol = image.threadLocalSymbol(named: symbolName) else { continue }
            let relocations = image.threadLocalRelocations(of: symbol)
            if let descriptor = relocations.first(where: { $0.kind == .descriptor }) {
                return .descriptor(module.loadBias &+ descriptor.slot)
            }
            if let initialExec = relocations.first(where: { $0.kind == .threadPointerOffset }) {
                return memory.load(Int64.self, at: module.loadBias &+ initialExec.slot).map { .threadPointerOffset($0) }
            }
            if module.path == executablePath, let template = image.threadLocalTemplate,
               let offset = executableOffset(of: symbol, in: template) {
                return .threadPointerOffset(offset)
            }
        }
        return nil
    }

    /// Local-exec: the executable's block ends at the thread pointer, placed as glibc's `_dl_determine_tlsoffset`
    /// places the first module (TLS_TCB_AT_TP): `roundup(memsz − firstbyte, align) + firstbyte` below it, where
    /// `firstbyte` keeps the template's alignment offset (`-p_vaddr & (align − 1)`).
    static func executableOffset(of symbol: ELFImage.ThreadLocalSymbol, in template: ELFImage.ThreadLocalTemplate) -> Int64? {
        let align = template.alignment
        guard align & (align - 1) == 0, template.memorySize < 1 << 40, symbol.offset < template.memorySize else { return nil }
        let firstByte = (0 &- template.virtualAddress) & (align - 1)
        let blockOffset = ((template.memorySize &- firstByte &+ align - 1) & ~(align - 1)) &+ firstByte
        return Int64(symbol.offset) - Int64(blockOffset)
    }

    /// The address of the pointer for the thread whose thread pointer is `threadPointer`; `nil` when the
    /// descriptor still says dynamic TLS (its argument a pointer, not a negative offset) or cannot be read.
    func pointerAddress(threadPointer: UInt64, memory: RemoteMemory) -> UInt64? {
        switch self {
        case .threadPointerOffset(let offset):
            return threadPointer &+ UInt64(bitPattern: offset)
        case .descriptor(let slot):
            // glibc's static TLSDESC resolver (`_dl_tlsdesc_return`) returns its argument, the (negative) offset
            // from the thread pointer; a dynamic one's argument is a heap pointer, which is positive.
            guard let argument = memory.load(Int64.self, at: slot &+ 8), argument < 0 else { return nil }
            return threadPointer &+ UInt64(bitPattern: argument)
        }
    }
}
