import Binaries
import Glibc

/// Each thread's thread pointer, learnt from outside a running glibc process by walking its thread lists as
/// libthread_db does: `_dl_stack_user` (the main thread and threads on stacks the program gave) and `_dl_stack_used`
/// (threads on stacks glibc allocated) link the threads' `struct pthread`s, and on x86-64 a thread's pointer is its
/// `struct pthread` (TLS_TCB_AT_TP).
///
/// The perf-event sampler needs it because perf samples carry no `fs_base`; a thread keeps its thread pointer for
/// life, so a walk serves every later sample of the threads it found. The offsets come from libthread_db's own
/// descriptors, which libc defines for exactly this (`_thread_db_pthread_tid`, `_thread_db_pthread_list`, …: three
/// `uint32`s each, bits, count and offset; glibc `nptl_db/db-symbols.awk`, `structs.def`): nothing is hard-coded per
/// glibc version. Where they are depends on the linking (`structs.def`'s `DB_RTLD_GLOBAL_FIELD`):
/// - dynamic: the lists are fields of ld.so's `_rtld_global`, and libc exports the descriptors in `.dynsym`;
/// - static (`-static-pie`, the only static form that can export `otel_thread_ctx_v1` in `.dynsym` as OTEP 4947
///   asks): the lists are variables of the program, and they and the descriptors are in its `.symtab` only.
/// A program without them (stripped static, musl) gives `nil`.
struct GlibcThreadList {
    private let memory: RemoteMemory
    private let listHeads: [UInt64]
    private let listOffset: UInt64
    private let nextOffset: UInt64
    private let tidOffset: UInt64
    /// Threads walked at most per list: a list being changed while read, or garbage, cannot keep the reader.
    private static let maximumThreads = 65_536

    init?(modules: ModuleMap, memory: RemoteMemory) {
        func descriptor(_ name: String, in table: ELFImage.SymbolTable, of holders: [LoadedModule]) -> UInt64? {
            for module in holders {
                guard let image = module.image, let symbol = image.definedSymbol(named: "_thread_db_" + name, in: table), symbol.size >= 12,
                      let offset = image.load(UInt32.self, atVirtualAddress: symbol.value &+ 8) else { continue }
                return UInt64(offset)
            }
            return nil
        }
        func address(of name: String, in table: ELFImage.SymbolTable, of module: LoadedModule) -> UInt64? {
            module.image?.definedSymbol(named: name, in: table).map { module.loadBias &+ $0.value }
        }
        let table: ELFImage.SymbolTable, holders: [LoadedModule], heads: [UInt64]
        if let rtldGlobal = modules.modules.lazy.compactMap({ address(of: "_rtld_global", in: .dynamic, of: $0) }).first {
            guard let used = descriptor("rtld_global__dl_stack_used", in: .dynamic, of: modules.modules),
                  let user = descriptor("rtld_global__dl_stack_user", in: .dynamic, of: modules.modules) else { return nil }
            (table, holders, heads) = (.dynamic, modules.modules, [rtldGlobal &+ user, rtldGlobal &+ used])
        } else if let (program, user) = modules.modules.lazy.compactMap({ module in
                      address(of: "_dl_stack_user", in: .full, of: module).map { (module, $0) }
                  }).first,
                  let used = address(of: "_dl_stack_used", in: .full, of: program) {
            (table, holders, heads) = (.full, [program], [user, used])
        } else {
            return nil
        }
        guard let list = descriptor("pthread_list", in: table, of: holders), let next = descriptor("list_t_next", in: table, of: holders),
              let tid = descriptor("pthread_tid", in: table, of: holders)
        else { return nil }
        self.memory = memory
        listHeads = heads
        listOffset = list
        nextOffset = next
        tidOffset = tid
    }

    /// Where the `tid` field of the `struct pthread` at `pointer` is (a tid can be reused, a struct recycled).
    func tidAddress(of pointer: UInt64) -> UInt64 { pointer &+ tidOffset }

    /// The thread pointer of every thread in the lists now, by thread id.
    func threadPointers() -> [pid_t: UInt64] {
        var pointers: [pid_t: UInt64] = [:]
        for head in listHeads {
            var node = memory.load(UInt64.self, at: head &+ nextOffset)
            var walked = 0
            while let current = node, current != head, current != 0, walked < Self.maximumThreads {
                let thread = current &- listOffset
                if let tid = memory.load(Int32.self, at: thread &+ tidOffset), tid > 0 { pointers[tid] = thread }
                node = memory.load(UInt64.self, at: current &+ nextOffset)
                walked += 1
            }
        }
        return pointers
    }
}
