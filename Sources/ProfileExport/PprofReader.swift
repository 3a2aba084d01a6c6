import GzipCoding
import Profiles
import SwiftProtobuf

/// Reads a pprof file (profile.proto, gzipped or not, as `go tool pprof` accepts it) into the ``Profile``
/// model: what `hybrid-run --diff` compares.
///
/// Follows profile.proto's rules: `string_table[0]` is "", ids refer to existing entries, a location's
/// `line`s run from the innermost inlined function to its caller, `location_id[0]` is the leaf.
public enum PprofReader {
    /// The most a gzipped pprof file may inflate to. A real CPU profile stays far below it: profile.proto keeps
    /// one sample per distinct stack (and thread labels) and each function and location once, so its size grows
    /// with the code's shape, not with run time. A "gzip bomb" (a few MB of zeros inflating to GiB) is refused
    /// at this size, before it costs more memory than a CI runner can spare (at Gzip's general 1 GiB limit, a
    /// 4 GiB bomb cost `--diff` 1.1 GB of RSS; at this one, 354 MB).
    public static let inflateLimit = 256 << 20
    /// Far deeper than any real stack (perf stops at 127 frames, hybrid-run's unwinder at a few hundred).
    static let deepestStack = 65_536

    /// `a + b`, or `Int64.max` where that overflows (a hostile file's times).
    private static func sum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    public static func read(_ bytes: [UInt8]) throws(PprofReadError) -> PprofFile {
        var data = bytes
        if Gzip.isCompressed(bytes) {
            do {
                data = try Gzip.decompress(bytes, limit: inflateLimit)
            } catch .truncated {
                throw .truncated
            } catch {
                throw .notPprof("\(error)")
            }
        }
        let message: Perftools_Profiles_Profile
        do {
            message = try Perftools_Profiles_Profile(serializedBytes: data)
        } catch {
            // Without gzip's length and checksum, a message cut short cannot be told from other bytes.
            throw .notPprof("not a profile.proto message")
        }
        return try convert(message)
    }

    static func convert(_ message: Perftools_Profiles_Profile) throws(PprofReadError) -> PprofFile {
        guard !message.sampleType.isEmpty else { throw .notPprof("no sample types") }
        let strings = message.stringTable
        guard strings.first == "" else { throw .notPprof("string_table[0] is not the empty string") }
        func string(_ index: Int64) throws(PprofReadError) -> String {
            guard index >= 0, index < strings.count else { throw .notPprof("string index \(index) out of range") }
            return strings[Int(index)]
        }
        var types: [(type: String, unit: String)] = []
        for valueType in message.sampleType { types.append((try string(valueType.type), try string(valueType.unit))) }
        let sampleTypes = types.map { "\($0.type)/\($0.unit)" }
        guard let cpu = types.firstIndex(where: { $0.type == "cpu" }) else { throw .noCPUSampleType(sampleTypes: sampleTypes) }
        let countIndex = types.firstIndex { $0.type == "samples" && $0.unit == "count" }

        let mappings = try message.mapping.map { mapping throws(PprofReadError) in
            Mapping(start: mapping.memoryStart, end: mapping.memoryLimit, fileOffset: mapping.fileOffset,
                    path: try string(mapping.filename), buildID: try string(mapping.buildID).nilIfEmpty)
        }
        let mappingIndex = Dictionary(message.mapping.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let functions = Dictionary(message.function.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var frames: [UInt64: [Frame]] = [:]
        for location in message.location {
            let mapping = mappingIndex[location.mappingID]
            var names: [Frame] = []
            for line in location.line {
                guard let function = functions[line.functionID] else { throw .notPprof("function \(line.functionID) is missing") }
                let name = try string(function.name)
                let systemName = try string(function.systemName)
                names.append(Frame(address: location.address, mapping: mapping, name: name, symbolName: systemName.nilIfEmpty))
            }
            if names.isEmpty {
                let name = mapping.map { "\(mappings[$0].name)+0x" + String(location.address &- mappings[$0].start &+ mappings[$0].fileOffset, radix: 16) }
                    ?? "0x" + String(location.address, radix: 16)
                names = [Frame(address: location.address, mapping: mapping, name: name, symbolName: nil)]
            }
            frames[location.id] = names
        }

        var processes: [ProcessKey: [ThreadKey: [StackKey: (count: Int, cpuTime: Int64)]]] = [:]
        var total = 0
        for sample in message.sample {
            guard sample.value.count == types.count else { throw .notPprof("a sample has \(sample.value.count) values for \(types.count) sample types") }
            // `pprof -diff_base` writes the base's samples negated: such a file is a comparison, not a profile.
            guard !sample.value.contains(where: { $0 < 0 }) else { throw .negativeSampleValues }
            let measured = countIndex.map { Int(exactly: sample.value[$0]) }
                ?? (message.period > 0 ? Int(exactly: (Double(sample.value[cpu]) / Double(message.period)).rounded()) : (sample.value[cpu] > 0 ? 1 : 0))
            guard let count = measured else { throw .notPprof("a sample's value is out of range") }
            // A stack's count is its CPU time in periods, rounded (``PeriodRounding``): 0 for less than half a period,
            // which is still CPU time (a perf sample at a shorter period than the profile's, a short ptrace one).
            guard count > 0 || sample.value[cpu] > 0 else { continue }
            var stack: [Frame] = []
            for id in sample.locationID {
                guard let location = frames[id] else { throw .notPprof("location \(id) is missing") }
                // A few bytes of file can name one location of many lines many times over: bounded, not trusted.
                guard stack.count + location.count <= Self.deepestStack else { throw .notPprof("a stack deeper than \(Self.deepestStack) frames") }
                stack += location
            }
            var process = ProcessKey(pid: 0, name: "")
            var thread = ThreadKey(tid: 0, name: "")
            var span = (id: "", traceID: "", name: String?.none)
            for label in sample.label {
                switch try string(label.key) {
                case "pid": process.pid = Int32(truncatingIfNeeded: label.num)
                case "process": process.name = try string(label.str)
                case "tid": thread.tid = Int32(truncatingIfNeeded: label.num)
                case "thread": thread.name = try string(label.str)
                case PprofEncoder.spanIDLabel: span.id = try string(label.str)
                case PprofEncoder.traceIDLabel: span.traceID = try string(label.str)
                case PprofEncoder.spanNameLabel: span.name = try string(label.str)
                default: break
                }
            }
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { throw .notPprof("the sample counts overflow") }
            let key = StackKey(frames: stack, span: span.id.isEmpty || span.traceID.isEmpty ? nil : SpanLabels(traceID: span.traceID, spanID: span.id, name: span.name))
            let earlier = processes[process]?[thread]?[key] ?? (0, 0)
            processes[process, default: [:]][thread, default: [:]][key] = (earlier.count + count, Self.sum(earlier.cpuTime, sample.value[cpu]))
            total = sum
        }

        let profile = Profile(
            startTime: message.timeNanos, endTime: Self.sum(message.timeNanos, max(0, message.durationNanos)),
            sampleWeight: message.period,
            processes: processes.sorted { ($0.key.pid, $0.key.name) < ($1.key.pid, $1.key.name) }.map { process, threads in
                ProcessProfile(pid: process.pid, executablePath: process.name, mappings: mappings,
                               threads: threads.sorted { $0.key.tid < $1.key.tid }.map { thread, stacks in
                                   ThreadProfile(tid: thread.tid, name: thread.name,
                                                 stacks: stacks.map { StackCount(frames: $0.key.frames, count: $0.value.count, cpuTime: $0.value.cpuTime, span: $0.key.span) }
                                                     .sorted { $0.count > $1.count })
                               })
            },
            statistics: SamplingStatistics(samplesTaken: total))
        return PprofFile(sampleTypes: sampleTypes, profile: profile)
    }

    private struct ProcessKey: Hashable {
        var pid: Int32
        var name: String
    }

    /// A stack in the span its sample's `span_id`, `trace_id` (and `span_name`) labels name, if it has both ids.
    private struct StackKey: Hashable {
        var frames: [Frame]
        var span: SpanLabels?
    }

    private struct ThreadKey: Hashable {
        var tid: Int32
        var name: String
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
