import _CUnwindShims
import Binaries

/// Unwinds thread snapshots of one process image with libunwind's remote API and our own accessors: the
/// reference ``Unwinder`` is checked against, and what it falls back to for CFI its rules do not express.
///
/// Registers come from the snapshot, stack memory from its copy, and everything else (unwind tables, CFI,
/// code) from the module files mapped in this process's address space; `find_proc_info` locates each
/// module's `.eh_frame_hdr` once (or builds its table when the linker wrote none) and lets
/// `dwarf_search_unwind_table` do the lookup (perf's design).
/// Nothing here touches the traced process, so unwinding can happen after the thread has resumed or the
/// process has exited.
///
/// libunwind caches unwind info by instruction address per address space, so a `LibunwindUnwinder` belongs to
/// one process image: make a new one when the process execs or maps new code.
public final class LibunwindUnwinder {
    public let modules: ModuleMap
    public let maximumFrames: Int
    private var addressSpace: unw_addr_space_t!
    private var tables: [Int: UnwindTable?] = [:]
    private let memory: ModuleMemory
    /// The snapshot being unwound; set only for the duration of ``unwind(_:into:)``.
    private var snapshot: ThreadSnapshot?

    public convenience init(modules: ModuleMap, maximumFrames: Int = 256) {
        self.init(memory: ModuleMemory(modules: modules), maximumFrames: maximumFrames)
    }

    init(memory: ModuleMemory, maximumFrames: Int) {
        self.modules = memory.modules
        self.memory = memory
        self.maximumFrames = maximumFrames
        var accessors = unw_accessors_t(
            find_proc_info: { _, ip, info, needInfo, arg in LibunwindUnwinder.from(arg).findProcInfo(ip: ip, info: info!, needInfo: needInfo) },
            put_unwind_info: { _, _, _ in },
            get_dyn_info_list_addr: { _, _, _ in -Int32(UNW_ENOINFO.rawValue) },
            access_mem: { _, address, value, write, arg in
                LibunwindUnwinder.from(arg).readMemory(at: address, into: value!, write: write)
            },
            access_reg: { _, number, value, write, arg in
                LibunwindUnwinder.from(arg).readRegister(number, into: value!, write: write)
            },
            access_fpreg: { _, _, _, _, _ in -Int32(UNW_EBADREG.rawValue) },
            resume: { _, _, _ in -Int32(UNW_EINVAL.rawValue) },
            get_proc_name: { _, _, _, _, _, _ in -Int32(UNW_ENOINFO.rawValue) }
        )
        addressSpace = hr_unw_create_addr_space(&accessors, 0)
        _ = hr_unw_set_caching_policy(addressSpace, UNW_CACHE_GLOBAL)
    }

    deinit { hr_unw_destroy_addr_space(addressSpace) }

    /// Replaces `frames` with the instruction addresses of the snapshot's stack, leaf first, as
    /// ``Unwinder/unwind(_:into:)`` describes.
    @discardableResult
    public func unwind(_ snapshot: ThreadSnapshot, into frames: inout [UInt64]) -> Bool {
        frames.removeAll(keepingCapacity: true)
        self.snapshot = snapshot
        defer { self.snapshot = nil }
        frames.append(snapshot.registers.rip)
        let leafIsKnown = modules.index(containing: snapshot.registers.rip) != nil
        var cursor = unw_cursor_t()
        guard hr_unw_init_remote(&cursor, addressSpace, Unmanaged.passUnretained(self).toOpaque()) == 0 else {
            return leafIsKnown
        }
        var instruction: unw_word_t = 0
        var stackPointer: unw_word_t = snapshot.registers.rsp
        while frames.count < maximumFrames, hr_unw_step(&cursor) > 0 {
            let previousStackPointer = stackPointer
            guard hr_unw_get_reg(&cursor, Int32(UNW_REG_IP.rawValue), &instruction) == 0,
                  hr_unw_get_reg(&cursor, Int32(UNW_REG_SP.rawValue), &stackPointer) == 0,
                  instruction != 0, stackPointer > previousStackPointer
            else { break }
            guard modules.index(containing: instruction) != nil else { return false }
            frames.append(instruction - 1)
        }
        return leafIsKnown
    }

    private static func from(_ arg: UnsafeMutableRawPointer?) -> LibunwindUnwinder {
        Unmanaged<LibunwindUnwinder>.fromOpaque(arg!).takeUnretainedValue()
    }

    private func findProcInfo(ip: unw_word_t, info: UnsafeMutablePointer<unw_proc_info_t>, needInfo: Int32) -> Int32 {
        guard let index = modules.index(containing: ip), let table = table(forModuleAt: index) else {
            return -Int32(UNW_ENOINFO.rawValue)
        }
        let module = modules.modules[index]
        var dynamicInfo = unw_dyn_info_t()
        dynamicInfo.format = Int32(UNW_INFO_FORMAT_REMOTE_TABLE.rawValue)
        dynamicInfo.start_ip = module.start
        dynamicInfo.end_ip = module.end
        dynamicInfo.u.rti.segbase = table.segmentBase
        dynamicInfo.u.rti.table_data = table.tableStart
        dynamicInfo.u.rti.table_len = table.tableWords
        return _Ux86_64_dwarf_search_unwind_table(addressSpace, ip, &dynamicInfo, info, needInfo,
                                                  Unmanaged.passUnretained(self).toOpaque())
    }

    private func table(forModuleAt index: Int) -> UnwindTable? {
        if let cached = tables[index] { return cached }
        let table = UnwindTable(module: modules.modules[index]) ?? UnwindTable(buildingFor: modules.modules[index], index: index)
        tables[index] = table
        return table
    }

    private func readMemory(at address: unw_word_t, into value: UnsafeMutablePointer<unw_word_t>, write: Int32) -> Int32 {
        guard write == 0, let snapshot else { return -Int32(UNW_EREADONLYREG.rawValue) }
        guard let word = address >= UnwindTable.builtTablesBase
            ? tables[Int((address - UnwindTable.builtTablesBase) >> 32)]??.builtWord(at: address)
            : memory.word(at: address, stack: snapshot)
        else { return -Int32(UNW_EINVAL.rawValue) }
        value.pointee = word
        return 0
    }

    private func readRegister(_ number: unw_regnum_t, into value: UnsafeMutablePointer<unw_word_t>, write: Int32) -> Int32 {
        guard write == 0, let register = snapshot?.register(number) else { return -Int32(UNW_EBADREG.rawValue) }
        value.pointee = register
        return 0
    }
}
