/// The modules with code mapped in one process image, sorted by address, built from its `/proc/PID/maps`.
public struct ModuleMap: Sendable {
    public let modules: [LoadedModule]

    public init(modules: [LoadedModule]) {
        self.modules = modules.sorted { $0.start < $1.start }
    }

    /// Groups runs of mappings of the same file (or the vDSO) into modules, keeping those with executable code.
    ///
    /// A run ends where another file's mapping starts, so a file mapped twice becomes two modules and
    /// module ranges never overlap; anonymous mappings inside a run (`.bss`) do not end it, but they are
    /// not among the module's ``LoadedModule/fileRanges``. A run also ends at an executable mapping whose
    /// file offset puts the file somewhere else than the run's: the same file mapped a second time at
    /// another address (node maps part of its text again for huge pages), which is a module of its own.
    public init(mappings: [MemoryMapping], images: ELFImageCache) {
        var runs: [(mappings: [MemoryMapping], image: ELFImage?, bias: UInt64?)] = []
        for mapping in mappings.sorted(by: { $0.start < $1.start })
        where mapping.isFileBacked || mapping.path == VDSO.name {
            let last = runs.last
            if let previous = last?.mappings.last, previous.inode == mapping.inode, previous.path == mapping.path {
                let bias = mapping.isExecutable ? Self.bias(of: mapping, image: last?.image) : nil
                if bias == nil || last?.bias == nil || bias == last?.bias {
                    runs[runs.count - 1].mappings.append(mapping)
                    runs[runs.count - 1].bias = last?.bias ?? bias
                    continue
                }
            }
            let image = mapping.path == VDSO.name ? VDSO.image : images.image(path: mapping.path, inode: mapping.inode)
            runs.append(([mapping], image, mapping.isExecutable ? Self.bias(of: mapping, image: image) : nil))
        }
        let modules = runs.compactMap { run -> LoadedModule? in
            guard run.mappings.contains(where: \.isExecutable), let first = run.mappings.first, let last = run.mappings.last
            else { return nil }
            return LoadedModule(path: first.path, image: run.image, start: first.start, end: last.end,
                                fileOffset: first.offset, loadBias: run.bias ?? Self.loadBias(of: run.mappings, image: run.image),
                                fileRanges: run.mappings.map { $0.start..<max($0.start, $0.end) })
        }
        self.init(modules: modules)
    }

    /// Each module's path and address range: equal when nothing was mapped or unmapped in between.
    public var ranges: [ModuleRange] { modules.map { ModuleRange(path: $0.path, start: $0.start, end: $0.end) } }

    public struct ModuleRange: Hashable, Sendable {
        public var path: String
        public var start: UInt64
        public var end: UInt64
    }

    /// The module whose address range holds `address`.
    public func module(containing address: UInt64) -> LoadedModule? {
        index(containing: address).map { modules[$0] }
    }

    public func index(containing address: UInt64) -> Int? {
        let index = modules.partitioningIndex { $0.end > address }
        return index < modules.count && modules[index].contains(address) ? index : nil
    }

    /// Where a mapping puts the file: its address minus the virtual address of the file offset it starts at
    /// (as perf maps a sample: address − mapping start + mapping offset is a file offset, which a load segment
    /// gives a virtual address). `nil` when no load segment holds that offset.
    private static func bias(of mapping: MemoryMapping, image: ELFImage?) -> UInt64? {
        let page: UInt64 = 4096
        // Segments may share a page of the file: prefer one with the mapping's own permission to execute.
        let holding = image?.loadSegments.filter {
            let start = $0.fileOffset & ~(page - 1)
            return mapping.offset >= start && mapping.offset - start < $0.fileSize &+ ($0.fileOffset - start)
        } ?? []
        guard let segment = holding.first(where: { $0.isExecutable == mapping.isExecutable }) ?? holding.first
        else { return nil }
        return mapping.start &- ((segment.virtualAddress & ~(page - 1)) &+ (mapping.offset - (segment.fileOffset & ~(page - 1))))
    }

    /// A mapping of file offset O at address A belongs to the load segment whose page-aligned offset is O;
    /// the bias is A minus that segment's page-aligned virtual address.
    private static func loadBias(of mappings: [MemoryMapping], image: ELFImage?) -> UInt64 {
        let page: UInt64 = 4096
        if let image {
            for mapping in mappings {
                if let segment = image.loadSegments.first(where: { $0.fileOffset & ~(page - 1) == mapping.offset }) {
                    return mapping.start &- (segment.virtualAddress & ~(page - 1))
                }
            }
        }
        return mappings[0].start &- mappings[0].offset
    }
}
