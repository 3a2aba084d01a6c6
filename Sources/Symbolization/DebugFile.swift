import Binaries

/// Finds the separate file holding the symbols stripped from a binary, where gdb and perf look for it:
/// by build id under `/usr/lib/debug/.build-id/` (Debian's `-dbg` and `-dbgsym` packages), then by the
/// `.gnu_debuglink` name beside the binary, in its `.debug/` directory, and under `/usr/lib/debug`.
///
/// Without it, a stripped library keeps only its exported symbols, and its internal functions (libc's
/// `__libc_start_call_main`, for one) show as `module+0xOFFSET`.
enum DebugFile {
    static func locate(for image: ELFImage, root: String = "/usr/lib/debug") -> ELFImage? {
        var candidates: [String] = []
        if let id = image.buildID, id.count > 2 {
            candidates.append("\(root)/.build-id/\(id.prefix(2))/\(id.dropFirst(2)).debug")
        }
        if let link = image.debugLink, let slash = image.path.lastIndex(of: "/") {
            let directory = image.path[..<slash]
            candidates += ["\(directory)/\(link)", "\(directory)/.debug/\(link)", "\(root)\(directory)/\(link)"]
        }
        return candidates.lazy.filter { $0 != image.path }.compactMap { ELFImage(path: $0) }.first { $0.hasSymbolTable }
    }
}
