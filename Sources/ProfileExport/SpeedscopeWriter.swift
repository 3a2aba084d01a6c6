import Profiles

/// speedscope's own JSON format: one sampled profile per thread, frames shared across all of them.
///
/// Schema: https://www.speedscope.app/file-format-schema.json. Stacks are listed root first with their
/// weight in nanoseconds of CPU time; identical stacks were already merged, so the "time order" view shows
/// them grouped rather than in the order they happened.
public enum SpeedscopeWriter {
    public static func write(_ profile: Profile, name: String = "hybrid-run") -> String {
        var frameIndex: [FrameKey: Int] = [:]
        var frames: [String] = []
        var profiles: [String] = []
        for process in profile.processes {
            for thread in process.threads {
                var samples: [String] = []
                var weights: [String] = []
                var total: Int64 = 0
                for stack in thread.stacks {
                    let indices = stack.frames.reversed().map { frame -> Int in
                        let file = frame.mapping.map { process.mappings[$0].path } ?? ""
                        let key = FrameKey(name: frame.name, file: file)
                        if let index = frameIndex[key] { return index }
                        frameIndex[key] = frames.count
                        frames.append("{\"name\":\(JSON.string(frame.name)),\"file\":\(JSON.string(file))}")
                        return frames.count - 1
                    }
                    let weight = Int64(stack.count) * profile.sampleWeight
                    total += weight
                    samples.append("[" + indices.map(String.init).joined(separator: ",") + "]")
                    weights.append(String(weight))
                }
                let title = "\(process.executableName) (pid \(process.pid)) \(thread.name) (tid \(thread.tid))"
                profiles.append("""
                    {"type":"sampled","name":\(JSON.string(title)),"unit":"nanoseconds","startValue":0,\
                    "endValue":\(total),"samples":[\(samples.joined(separator: ","))],\
                    "weights":[\(weights.joined(separator: ","))]}
                    """)
            }
        }
        return """
            {"$schema":"https://www.speedscope.app/file-format-schema.json","name":\(JSON.string(name)),\
            "exporter":"hybrid-run","activeProfileIndex":0,\
            "shared":{"frames":[\(frames.joined(separator: ","))]},\
            "profiles":[\(profiles.joined(separator: ","))]}

            """
    }

    private struct FrameKey: Hashable {
        var name: String
        var file: String
    }
}

/// JSON string literals (RFC 8259 escaping).
enum JSON {
    static func string(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
