import Foundation
import ProfileExport
import Profiles

/// Writes the run's profile to the `--output` files.
public enum ProfileFiles {
    /// Why an `--output` cannot be written, found before the command starts so the user is told at once.
    public static func problem(withOutput path: String, format explicit: String?) -> String? {
        guard ProfileFormat.resolve(path: path, explicit: explicit) != nil else {
            return explicit == nil
                ? "--output \(path): cannot tell the format from the extension (use .folded, .speedscope.json, .pb.gz, .pprof or .html, or --format)"
                : "--format \(explicit!) is not one of \(ProfileFormat.allCases.map(\.rawValue).joined(separator: ", "))"
        }
        return problem(writing: path)
    }

    /// Why `path` cannot be written: its directory is missing or read-only, or it is itself a directory.
    static func problem(writing path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "--output \(path) is a directory"
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "--output \(path): directory \(directory) does not exist"
        }
        guard FileManager.default.isWritableFile(atPath: directory) else { return "--output \(path): directory \(directory) is not writable" }
        return nil
    }

    /// Writes each file through a temporary name and a rename, so a reader never sees half a profile.
    /// - Returns: one error line per file that could not be written.
    /// - Parameter report: the HTML report's bytes, made only when an `.html` output asks for it.
    static func write(_ profile: Profile, to paths: [String], format explicit: String?, sampleLabels: [String: String],
                      report: () -> [UInt8]) -> [String] {
        var errors: [String] = []
        for path in paths {
            guard let format = ProfileFormat.resolve(path: path, explicit: explicit) else { continue }
            let bytes: [UInt8] = switch format {
            case .folded: Array(FoldedWriter.write(profile).utf8)
            case .speedscope: Array(SpeedscopeWriter.write(profile).utf8)
            case .pprof: PprofEncoder.encode(profile, sampleLabels: sampleLabels)
            case .html: report()
            }
            if let error = store(bytes, at: path) { errors.append(error) }
        }
        return errors
    }

    /// Writes `bytes` through a temporary name and a rename, so a reader never sees half a file.
    /// - Returns: the error line when it could not be written.
    static func store(_ bytes: [UInt8], at path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(bytes).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            return nil
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            return "cannot write \(path): \(error.localizedDescription)"
        }
    }
}
