/// The modules with code mapped in one process image, sorted by address, built from its `/proc/PID/maps`.
public struct ModuleMap: Sendable {
    public let modules: [LoadedModule]

    public init(modules: [LoadedModule]) {
        self.modules = modules.sorted { $0.start < $1.start }
    }

    /// Groups runs of mappings of the same file (or the vDSO) into modules, keeping those with executable code.
    ///
    /// A run ends where another file's mapping starts, so a file mapped twice becomes two modules and
    /// module ranges never overlap; anonymous mappings inside a run (`.bss`) do not end it.
    public init(mappings: [MemoryMapping], images: ELFImageCache) {
        var runs: [[MemoryMapping]] = []
        for mapping in mappings.sorted(by: { $0.start < $1.start })
        where mapping.isFileBacked || mapping.path == VDSO.name {
            if let last = runs.last?.last, last.inode == mapping.inode, last.path == mapping.path {
                runs[runs.count - 1].append(mapping)
            } else {
                runs.append([mapping])
            }
        }
        let modules = runs.compactMap { run -> LoadedModule? in
            guard run.contains(where: \.isExecutable), let first = run.first, let last = run.last else { return nil }
            let image = first.path == VDSO.name ? VDSO.image : images.image(path: first.path, inode: first.inode)
            return LoadedModule(path: first.path, image: image, start: first.start, end: last.end,
                                fileOffset: first.offset, loadBias: Self.loadBias(of: run, image: image))
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
        var low = 0
        var high = modules.count
        while low < high {
            let middle = (low + high) / 2
            if modules[middle].end <= address { low = middle + 1 } else { high = middle }
        }
        return low < modules.count && modules[low].contains(address) ? low : nil
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
