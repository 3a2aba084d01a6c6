import OutputFiles
import ProfileExport
import Profiles
import SafeText

/// Writes the run's profile to the `--output` files, each by the rule of ``OutputTarget``.
public enum ProfileFiles {
    /// Why the `--output` files cannot be written, found before the command starts so the user is told at once:
    /// a format that cannot be told, a path that cannot be written, or the same file named twice (it would be
    /// written twice: two profiles in one FIFO, or two formats racing for one file).
    public static func problem(withOutputs paths: [String], format explicit: String?) -> String? {
        var seen: [OutputTarget.Identity: String] = [:]
        for path in paths {
            let shown = ShownText.path(path)
            guard ProfileFormat.resolve(path: path, explicit: explicit) != nil else {
                if let explicit {
                    return "--format \(ShownText.value(explicit)) is not one of \(ProfileFormat.allCases.map(\.rawValue).joined(separator: ", "))"
                }
                return path == "-"
                    ? "--output - (standard output) needs --format: folded, speedscope, pprof or html"
                    : "--output \(shown): cannot tell the format from the extension (use .folded, .speedscope.json, .pb.gz, .pprof or .html, or --format)"
            }
            let target: OutputTarget
            do {
                target = try OutputTarget.resolve(path)
            } catch {
                return "--output \(shown): \(error.reason)"
            }
            guard let identity = target.identity else { continue }
            if let first = seen[identity] { return "--output \(shown): the same file as --output \(ShownText.path(first)): give each file once" }
            seen[identity] = path
        }
        return nil
    }

    /// Why a folded output's wall sibling (`--wall`, ``write(_:to:format:sampleLabels:report:)``) cannot be written,
    /// found before the command starts as the outputs' own problems are: a directory, a missing directory.
    public static func wallSiblingProblem(withOutputs paths: [String], format explicit: String?) -> String? {
        for path in paths where ProfileFormat.resolve(path: path, explicit: explicit) == .folded && !isWallVariant(path) && hasWallSibling(path) {
            let sibling = wallVariant(of: path)
            guard !paths.contains(sibling) else { continue }
            do {
                _ = try OutputTarget.resolve(sibling)
            } catch {
                return "--output \(ShownText.path(path)): its wall profile \(ShownText.path(sibling)): \(error.reason)"
            }
        }
        return nil
    }

    /// Writes each file; a FIFO nobody reads is an error, never a wait (hybrid-run must not hang at exit).
    /// - Parameter report: the HTML report's bytes, made only when an `.html` output asks for it.
    /// - Returns: the files written, and one error line for each file that could not be.
    static func write(_ profile: Profile, to paths: [String], format explicit: String?, sampleLabels: [String: String],
                      report: () -> [UInt8]) -> (written: [String], errors: [String]) {
        var written: [String] = []
        var errors: [String] = []
        for path in paths {
            guard let format = ProfileFormat.resolve(path: path, explicit: explicit) else { continue }
            // With wall time (`--wall`), a folded file has a wall sibling (`cpu.folded` → `cpu.wall.folded`); a file
            // named as the sibling is asked for the wall variant alone. A sibling is a file hybrid-run makes unasked,
            // so only beside a regular (or new) `.folded` file: never `/dev/null.wall`, never a FIFO's neighbour or a
            // `report.wall.txt` that may be the user's.
            let asksForWall = format == .folded && profile.hasWall && isWallVariant(path)
            if format == .folded, profile.hasWall, !asksForWall {
                let sibling = wallVariant(of: path)
                if hasWallSibling(path) {
                    if !paths.contains(sibling) {
                        if let error = store(Array(FoldedWriter.write(profile, wall: true).utf8), at: sibling) { errors.append(error) } else { written.append(sibling) }
                    }
                } else {
                    errors.append("the wall profile was not written beside \(path == "-" ? "standard output" : ShownText.path(path)) (a wall sibling is made only beside a .folded file): name it with -o NAME.wall.folded, or use a .pb.gz (go tool pprof -sample_index=wall)")
                }
            }
            let bytes: [UInt8] = switch format {
            case .folded: Array(FoldedWriter.write(profile, wall: asksForWall).utf8)
            case .speedscope: Array(SpeedscopeWriter.write(profile).utf8)
            case .pprof: PprofEncoder.encode(profile, sampleLabels: sampleLabels)
            case .html: report()
            }
            if let error = store(bytes, at: path) { errors.append(error) } else { written.append(path == "-" ? "standard output" : path) }
        }
        return (written, errors)
    }

    /// Whether a folded output gets a wall sibling: a file hybrid-run makes unasked, so only beside a regular (or new)
    /// `.folded` file, never `/dev/null.wall`, a FIFO's neighbour or a `report.wall.txt` that may be the user's.
    static func hasWallSibling(_ path: String) -> Bool {
        guard path.hasSuffix(".folded"), case .file? = try? OutputTarget.resolve(path) else { return false }
        return true
    }

    /// `path` with `.wall` before its last extension (`out/cpu.folded` → `out/cpu.wall.folded`; `cpu` → `cpu.wall`).
    static func wallVariant(of path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return path + ".wall" }
        return String(path[..<dot]) + ".wall" + String(path[dot...])
    }

    /// Whether `path` names a wall variant: `.wall` before its last extension.
    static func isWallVariant(_ path: String) -> Bool {
        let parts = (path.split(separator: "/").last ?? "").split(separator: ".")
        return parts.count >= 3 && parts[parts.count - 2] == "wall"
    }

    /// How long the reader of a FIFO or pipe may take nothing before hybrid-run gives up on that output: the files
    /// are written after the command ended, and a reader that stopped reading must not keep its status from a CI step.
    static let readerStallLimit: Duration = .seconds(10)

    /// Writes `bytes` to `path` whole or not at all (``OutputFile``).
    /// - Returns: the error line when it could not be written.
    static func store(_ bytes: [UInt8], at path: String) -> String? {
        do {
            let file = try OutputFile(path: path, noReader: .fail, stallLimit: readerStallLimit)
            try file.write(bytes)
            try file.commit()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
