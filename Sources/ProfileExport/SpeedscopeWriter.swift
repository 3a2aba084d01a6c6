import Foundation
import Profiles

/// speedscope's own JSON format: one sampled profile per thread, frames shared across all of them.
///
/// Schema: https://www.speedscope.app/file-format-schema.json, mirrored by the Codable types below. Stacks are
/// listed root first with their weight in nanoseconds of CPU time; identical stacks were already merged, so the
/// "time order" view shows them grouped rather than in the order they happened.
public enum SpeedscopeWriter {
    public static func write(_ profile: Profile, name: String = "hybrid-run") -> String {
        var frameIndex: [SpeedscopeFile.Frame: Int] = [:]
        var frames: [SpeedscopeFile.Frame] = []
        var profiles: [SpeedscopeFile.SampledProfile] = []
        // With `--wall`, each thread's wall profile follows its CPU one (speedscope lists them in its profile picker).
        // Lost samples are CPU time no thread's wall time holds: they have no wall profile.
        for (kind, weight) in [("", \StackCount.cpuTime)] + (profile.hasWall ? [(" wall", \StackCount.wallTime)] : []) {
            for process in profile.processes where weight == \StackCount.cpuTime || !process.isLostSamples {
                for thread in process.threads {
                    var samples: [[Int]] = []
                    var weights: [Int64] = []
                    for stack in thread.stacks where weight == \StackCount.wallTime || !stack.isOffCPUOnly {
                        samples.append(stack.frames.reversed().map { frame in
                            let key = SpeedscopeFile.Frame(name: frame.name, file: frame.mapping.map { process.mappings[$0].path } ?? "")
                            if let index = frameIndex[key] { return index }
                            frameIndex[key] = frames.count
                            frames.append(key)
                            return frames.count - 1
                        })
                        weights.append(stack[keyPath: weight])
                    }
                    profiles.append(SpeedscopeFile.SampledProfile(
                        name: process.isLostSamples ? "\(ProcessProfile.lostSamplesName)\(kind)"
                            : process.pid == 0 ? "\(process.executableName) (\(process.processCount) process\(process.processCount == 1 ? "" : "es")) \(thread.name)\(kind)"
                            : "\(process.executableName) (pid \(process.pid)) \(thread.name) (tid \(thread.tid))\(kind)",
                        endValue: weights.reduce(0, +), samples: samples, weights: weights))
                }
            }
        }
        let file = SpeedscopeFile(name: name, shared: .init(frames: frames), profiles: profiles)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(file)) ?? Data(), as: UTF8.self) + "\n"
    }
}

/// The file-format schema's top-level object, with only what hybrid-run writes.
struct SpeedscopeFile: Encodable {
    struct Frame: Encodable, Hashable {
        var name: String
        var file: String
    }

    struct Shared: Encodable {
        var frames: [Frame]
    }

    struct SampledProfile: Encodable {
        var type = "sampled"
        var name: String
        var unit = "nanoseconds"
        var startValue: Int64 = 0
        var endValue: Int64
        var samples: [[Int]]
        var weights: [Int64]
    }

    enum CodingKeys: String, CodingKey {
        case schema = "$schema"
        case name, exporter, activeProfileIndex, shared, profiles
    }

    var schema = "https://www.speedscope.app/file-format-schema.json"
    var name: String
    var exporter = "hybrid-run"
    var activeProfileIndex = 0
    var shared: Shared
    var profiles: [SampledProfile]
}
