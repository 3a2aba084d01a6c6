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
    /// Legacy general-dynamic (`R_X86_64_DTPMOD64`, code calling `__tls_get_addr`, what `-fPIC` builds by default):
    /// the module's id and the variable's offset in its block, which every thread finds through its own dynamic
    /// thread vector (``dynamicAddress(module:offset:threadPointer:memory:)``).
    case module(id: UInt64, offset: UInt64)

    static let symbolName = "otel_thread_ctx_v1"

    /// How to find the variable in a process whose code is `modules`; `nil` when no module exports it.
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
            // The dynamic linker fills the GOT's `tls_index` pair (module id, offset) once, at load.
            if let generalDynamic = relocations.first(where: { $0.kind == .moduleAndOffset }) {
                return tlsIndex(at: module.loadBias &+ generalDynamic.slot, memory: memory)
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

    /// The address of the pointer for the thread whose thread pointer is `threadPointer`; `nil` when it cannot be
    /// read, or the variable is in dynamic TLS that the thread has not allocated yet (it has not touched it).
    func pointerAddress(threadPointer: UInt64, memory: RemoteMemory) -> UInt64? {
        switch resolved(memory: memory) {
        case .threadPointerOffset(let offset)?:
            return threadPointer &+ UInt64(bitPattern: offset)
        case let .module(id, offset)?:
            return Self.dynamicAddress(module: id, offset: offset, threadPointer: threadPointer, memory: memory)
        case .descriptor?, nil:
            return nil
        }
    }

    /// Where a TLSDESC descriptor leads now, the same for every thread: glibc's static resolver
    /// (`_dl_tlsdesc_return`) returns its argument, the (negative) offset from the thread pointer; the dynamic one's
    /// (`_dl_tlsdesc_dynamic`) is a heap pointer, so positive, to a `struct tlsdesc_dynamic_arg`, which starts with
    /// the variable's `tls_index`. Any other location is itself. `nil` when the descriptor cannot be read.
    func resolved(memory: RemoteMemory) -> ThreadContextLocation? {
        guard case .descriptor(let slot) = self else { return self }
        guard let argument = memory.load(Int64.self, at: slot &+ 8) else { return nil }
        return argument < 0 ? .threadPointerOffset(argument) : Self.tlsIndex(at: UInt64(argument), memory: memory)
    }

    /// A `tls_index` (`{unsigned long ti_module; unsigned long ti_offset}`, glibc `dl-tls.h`) in the process.
    static func tlsIndex(at address: UInt64, memory: RemoteMemory) -> ThreadContextLocation? {
        var index: (id: UInt64, offset: UInt64) = (0, 0)
        guard withUnsafeMutableBytes(of: &index, { memory.read(address, into: $0) }), index.id > 0 else { return nil }
        return .module(id: index.id, offset: index.offset)
    }

    /// Where module `module`'s block of one thread holds `offset`, as `__tls_get_addr` finds it, for glibc on x86-64:
    /// `tcbhead_t.dtv` (thread pointer + 8) points one entry into the thread's vector (`INSTALL_DTV`), whose entry −1
    /// holds its length and entry `module` is `{void *val; void *to_free}`, `val` the block or `TLS_DTV_UNALLOCATED`
    /// (−1) until the thread first touches a variable of the module.
    static func dynamicAddress(module: UInt64, offset: UInt64, threadPointer: UInt64, memory: RemoteMemory) -> UInt64? {
        guard module < 1 << 20, let vector = memory.load(UInt64.self, at: threadPointer &+ 8), vector != 0,
              let length = memory.load(UInt64.self, at: vector &- 16), module <= length,
              let block = memory.load(UInt64.self, at: vector &+ 16 &* module), block != 0, block != UInt64.max
        else { return nil }
        return block &+ offset
    }
}
