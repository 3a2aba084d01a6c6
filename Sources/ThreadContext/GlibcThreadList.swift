import Binaries
import Glibc

/// Each thread's thread pointer, learnt from outside a running glibc process by walking its thread lists as
/// libthread_db does: `_rtld_global._dl_stack_user` (the main thread and threads on stacks the program gave) and
/// `_dl_stack_used` (threads on stacks glibc allocated) link the threads' `struct pthread`s, and on x86-64 a
/// thread's pointer is its `struct pthread` (TLS_TCB_AT_TP).
///
/// The perf-event sampler needs it because perf samples carry no `fs_base`; a thread keeps its thread pointer for
/// life, so a walk serves every later sample of the threads it found. The offsets come from libthread_db's own
/// descriptors, which libc exports in `.dynsym` for exactly this (`_thread_db_pthread_tid`, `_thread_db_pthread_list`,
/// `_thread_db_rtld_global__dl_stack_used`, …: three `uint32`s each, bits, count and offset; glibc
/// `nptl_db/db-symbols.awk`, `structs.def`), and `_rtld_global` from ld.so's `.dynsym`: nothing is hard-coded per
/// glibc version. A program without them (static, musl) gives `nil`.
struct GlibcThreadList {
    private let memory: RemoteMemory
    private let listHeads: [UInt64]
    private let listOffset: UInt64
    private let nextOffset: UInt64
    private let tidOffset: UInt64
    /// Threads walked at most per list: a list being changed while read, or garbage, cannot keep the reader.
    private static let maximumThreads = 65_536

    init?(modules: ModuleMap, memory: RemoteMemory) {
        func descriptor(_ name: String) -> UInt64? {
            for module in modules.modules {
                guard let image = module.image, let symbol = image.dynamicSymbol(named: "_thread_db_" + name), symbol.size >= 12,
                      let offset = image.load(UInt32.self, atVirtualAddress: symbol.value &+ 8) else { continue }
                return UInt64(offset)
            }
            return nil
        }
        guard let rtldGlobal = modules.modules.lazy.compactMap({ module -> UInt64? in
                  module.image?.dynamicSymbol(named: "_rtld_global").map { module.loadBias &+ $0.value }
              }).first,
              let used = descriptor("rtld_global__dl_stack_used"), let user = descriptor("rtld_global__dl_stack_user"),
              let list = descriptor("pthread_list"), let next = descriptor("list_t_next"), let tid = descriptor("pthread_tid")
        else { return nil }
        self.memory = memory
        listHeads = [rtldGlobal &+ user, rtldGlobal &+ used]
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
