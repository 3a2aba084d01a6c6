/// The modules with code mapped in one process image, sorted by address, built from its `/proc/PID/maps`.
public struct ModuleMap: Sendable {
    public let modules: [LoadedModule]

    public init(modules: [LoadedModule]) {
        self.modules = modules.sorted { $0.start < $1.start }
    }

    /// Groups the file-backed mappings (and the vDSO) by file, keeping files that have executable code.
    public init(mappings: [MemoryMapping], images: ELFImageCache) {
        var groups: [String: [MemoryMapping]] = [:]
        var order: [String] = []
        for mapping in mappings where mapping.isFileBacked || mapping.path == VDSO.name {
            let key = "\(mapping.inode):\(mapping.path)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(mapping)
        }
        let modules = order.compactMap { key -> LoadedModule? in
            guard let group = groups[key], group.contains(where: \.isExecutable), let first = group.first else { return nil }
            let image = first.path == VDSO.name ? VDSO.image : images.image(path: first.path, inode: first.inode)
            let start = group.map(\.start).min() ?? first.start
            let lowest = group.min { $0.start < $1.start } ?? first
            return LoadedModule(path: first.path, image: image, start: start, end: group.map(\.end).max() ?? first.end,
                                fileOffset: lowest.offset, loadBias: Self.loadBias(of: group, image: image))
        }
        self.init(modules: modules)
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
        let lowest = mappings.min { $0.start < $1.start }!
        return lowest.start &- lowest.offset
    }
}
