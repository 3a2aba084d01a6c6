import GzipCoding
import Profiles
import SwiftProtobuf

/// Google's pprof format: a gzipped `perftools.profiles.Profile` (profile.proto), as `go tool pprof`,
/// Pyroscope and most profile viewers read it.
///
/// Sample types are `samples/count` (``StackCount/count``: the CPU time in periods) and `cpu/nanoseconds` (the
/// CPU time itself), as Go's CPU profiles have them, and with `--wall` `wall/nanoseconds` (``StackCount/wallTime``). Every module of every process is a mapping, every distinct
/// address of a process a location, every distinct (name, module) a function. Each sample carries numeric `pid` and `tid` labels,
/// string `thread` and `process` labels, and whatever `sampleLabels` the caller adds (e.g. the root span's `span_id`);
/// a stack sampled in a span its thread published (``StackCount/span``) has that span's `span_id` and `trace_id`
/// instead, and `span_name`: sample labels, as Pyroscope's span profiles read them, never series labels.
public enum PprofEncoder {
    /// - Parameter threadNames: whether samples carry the `thread` string label. Pyroscope turns every string
    ///   sample label into a series label, and thread names (`worker-17`) would multiply series; the numeric
    ///   `tid` stays either way.
    /// - Parameter includeWall: whether a profile with wall time carries it as a third sample type (local files); a
    ///   Pyroscope upload must not (the server would file the whole profile as wall, ``encodeWall(_:sampleLabels:threadNames:spans:)``).
    /// - Parameter spans: whether stacks sampled in a published span carry that span's labels (else the caller's).
    public static func encode(_ profile: Profile, sampleLabels: [String: String] = [:], threadNames: Bool = true,
                              includeWall: Bool = true, spans: Bool = true) -> [UInt8] {
        gzippedMessage(profile, sampleLabels: sampleLabels, threadNames: threadNames,
                values: includeWall && profile.hasWall ? .cpuAndWall : .cpu, spans: spans)
    }

    /// The wall profile alone, as Pyroscope takes one (`--wall`): sample types `samples/count` (the wall time in
    /// periods) and `wall/nanoseconds`, period type `wall/nanoseconds`. The server names a pprof series after its
    /// sample types (`metricName`, pkg/og/convert/pprof/profile.go: any `wall` type makes it `wall`), so this is stored
    /// as `wall:wall:nanoseconds:wall:nanoseconds`, the type of Java's and .NET's wall profiles.
    public static func encodeWall(_ profile: Profile, sampleLabels: [String: String] = [:], threadNames: Bool = true,
                                  spans: Bool = true) -> [UInt8] {
        gzippedMessage(profile, sampleLabels: sampleLabels, threadNames: threadNames, values: .wall, spans: spans)
    }

    /// The names of the string labels `encode` puts on every sample with these arguments: `process`, `thread`
    /// (with `threadNames`) and the keys of `sampleLabels`. Pyroscope counts string sample labels against its
    /// per-series label limit.
    public static func stringLabelNames(sampleLabels: [String: String], threadNames: Bool) -> [String] {
        [processLabel] + (threadNames ? [threadLabel] : []) + sampleLabels.keys.sorted()
    }

    /// The same for `profile`, whose stacks sampled in spans add `span_id`, `trace_id` and `span_name`.
    public static func stringLabelNames(of profile: Profile, sampleLabels: [String: String], threadNames: Bool, spans withSpans: Bool = true) -> [String] {
        let spans = profile.processes.lazy.flatMap(\.threads).flatMap(\.stacks).compactMap(\.span)
        guard withSpans, !spans.isEmpty else { return stringLabelNames(sampleLabels: sampleLabels, threadNames: threadNames) }
        var labels = sampleLabels
        labels[spanIDLabel] = ""
        labels[traceIDLabel] = ""
        if spans.contains(where: { $0.name != nil }) { labels[spanNameLabel] = "" }
        return stringLabelNames(sampleLabels: labels, threadNames: threadNames)
    }

    /// Which values each sample carries.
    package enum Values {
        case cpu, cpuAndWall, wall
    }

    private static let processLabel = "process"
    private static let threadLabel = "thread"
    static let spanIDLabel = "span_id"
    static let traceIDLabel = "trace_id"
    static let spanNameLabel = "span_name"

    /// The serialized `Profile` message, gzipped.
    private static func gzippedMessage(_ profile: Profile, sampleLabels: [String: String], threadNames: Bool = true,
                                values: Values = .cpu, spans: Bool = true) -> [UInt8] {
        var builder = Builder()
        var message = Perftools_Profiles_Profile()
        switch values {
        case .cpu:
            message.sampleType = [builder.valueType("samples", "count"), builder.valueType("cpu", "nanoseconds")]
            message.periodType = builder.valueType("cpu", "nanoseconds")
        case .cpuAndWall:
            // A third type (`--wall`); `cpu` stays the default, so `go tool pprof` and `--diff` show the CPU view
            // unless asked for `-sample_index=wall`.
            message.sampleType = [builder.valueType("samples", "count"), builder.valueType("cpu", "nanoseconds"),
                                  builder.valueType("wall", "nanoseconds")]
            message.periodType = builder.valueType("cpu", "nanoseconds")
            message.defaultSampleType = builder.string("cpu")
        case .wall:
            message.sampleType = [builder.valueType("samples", "count"), builder.valueType("wall", "nanoseconds")]
            message.periodType = builder.valueType("wall", "nanoseconds")
            message.defaultSampleType = builder.string("wall")
        }
        var wallRounding = PeriodRounding(period: profile.sampleWeight)
        message.period = profile.sampleWeight
        message.timeNanos = profile.startTime
        message.durationNanos = max(0, profile.endTime - profile.startTime)
        func labels(_ strings: [String: String]) -> [Perftools_Profiles_Label] {
            strings.sorted { $0.key < $1.key }.map { builder.label($0.key, string: $0.value) }
        }
        let extraLabels = labels(sampleLabels)
        var spanLabels: [SpanLabels: [Perftools_Profiles_Label]] = [:]
        func labels(of span: SpanLabels) -> [Perftools_Profiles_Label] {
            if let known = spanLabels[span] { return known }
            var replaced = sampleLabels
            replaced[spanIDLabel] = span.spanID
            replaced[traceIDLabel] = span.traceID
            replaced[spanNameLabel] = span.name
            let made = labels(replaced)
            spanLabels[span] = made
            return made
        }
        for process in profile.processes {
            let mappingIDs = process.mappings.map { builder.mapping($0) }
            // By frame, not address: an entry standing for many processes can have two frames at one address.
            var locationIDs: [Frame: UInt64] = [:]
            for thread in process.threads {
                // An entry standing for many processes of one program has no pid or tid to give.
                let ids = process.pid == 0 ? [] : [builder.label("pid", number: Int64(process.pid)), builder.label("tid", number: Int64(thread.tid))]
                let threadLabels = ids + [builder.label(processLabel, string: process.executableName)]
                    + (threadNames ? [builder.label(threadLabel, string: thread.name)] : [])
                for stack in thread.stacks where values == .cpuAndWall || (values == .wall ? stack.wallTime > 0 : !stack.isOffCPUOnly) {
                    var sample = Perftools_Profiles_Sample()
                    sample.locationID = stack.frames.map { frame in
                        if let id = locationIDs[frame] { return id }
                        let mapping = frame.mapping.map { (mappingIDs[$0], process.mappings[$0]) }
                        let id = builder.location(frame, mappingID: mapping?.0 ?? 0, file: mapping?.1.path ?? "")
                        locationIDs[frame] = id
                        return id
                    }
                    sample.value = switch values {
                    case .cpu: [Int64(stack.count), stack.cpuTime]
                    case .cpuAndWall: [Int64(stack.count), stack.cpuTime, stack.wallTime]
                    case .wall: [Int64(wallRounding.periods(in: stack.wallTime)), stack.wallTime]
                    }
                    sample.label = threadLabels + ((spans ? stack.span : nil).map(labels(of:)) ?? extraLabels)
                    builder.append { $0.sample = [sample] }
                }
            }
        }
        message.mapping = builder.mappings
        message.stringTable = builder.strings
        // Serializing plain generated messages of this shape cannot fail.
        builder.output.append((try? message.serializedBytes()) ?? [])
        return builder.output.finish()
    }

    /// Interns strings and functions and numbers mappings and locations (ids start at 1; 0 means none).
    ///
    /// Samples, locations and functions are serialized as they are made, not kept as messages: a build of thousands
    /// of processes has tens of thousands of each, and as generated messages (arrays of labels, lines and ids each)
    /// they were 18 MB of the run's peak memory at its end (issue 10, BENCHMARKS.md "Scale"); serialized, a sample is a
    /// few bytes per frame and label.
    /// Protocol Buffers' encoding merges concatenated messages, appending their repeated fields in order, and its
    /// fields may come in any order (https://protobuf.dev/programming-guides/encoding/#last-one-wins, #order), so
    /// these bytes followed by the serialized rest of the message (string table, mappings, sample types: known once
    /// every sample is made) are the whole `Profile`. They are compressed as they come (``Gzip/Compressor``).
    private struct Builder {
        var strings: [String] = [""]
        var stringIndex: [String: Int64] = ["": 0]
        var mappings: [Perftools_Profiles_Mapping] = []
        var locationCount = 0
        var functionIDs: [FunctionKey: UInt64] = [:]
        /// Each sample, location and function serialized as a `Profile` field of its own, then the rest.
        let output = Gzip.Compressor()

        /// Appends a `Profile` holding only what `fill` sets: exactly the record of that field.
        mutating func append(_ fill: (inout Perftools_Profiles_Profile) -> Void) {
            var part = Perftools_Profiles_Profile()
            fill(&part)
            output.append((try? part.serializedBytes()) ?? [])
        }

        struct FunctionKey: Hashable {
            var name: String
            var systemName: String
            var file: String
        }

        mutating func string(_ value: String) -> Int64 {
            if let index = stringIndex[value] { return index }
            let index = Int64(strings.count)
            strings.append(value)
            stringIndex[value] = index
            return index
        }

        mutating func valueType(_ type: String, _ unit: String) -> Perftools_Profiles_ValueType {
            var value = Perftools_Profiles_ValueType()
            value.type = string(type)
            value.unit = string(unit)
            return value
        }

        mutating func label(_ key: String, string value: String) -> Perftools_Profiles_Label {
            var label = Perftools_Profiles_Label()
            label.key = string(key)
            label.str = string(value)
            return label
        }

        mutating func label(_ key: String, number: Int64) -> Perftools_Profiles_Label {
            var label = Perftools_Profiles_Label()
            label.key = string(key)
            label.num = number
            return label
        }

        mutating func mapping(_ mapping: Profiles.Mapping) -> UInt64 {
            var message = Perftools_Profiles_Mapping()
            message.id = UInt64(mappings.count + 1)
            message.memoryStart = mapping.start
            message.memoryLimit = mapping.end
            message.fileOffset = mapping.fileOffset
            message.filename = string(mapping.path)
            message.buildID = string(mapping.buildID ?? "")
            message.hasFunctions_p = true
            mappings.append(message)
            return message.id
        }

        mutating func location(_ frame: Frame, mappingID: UInt64, file: String) -> UInt64 {
            var line = Perftools_Profiles_Line()
            line.functionID = function(frame, file: file)
            locationCount += 1
            var location = Perftools_Profiles_Location()
            location.id = UInt64(locationCount)
            location.mappingID = mappingID
            location.address = frame.address
            location.line = [line]
            append { $0.location = [location] }
            return location.id
        }

        mutating func function(_ frame: Frame, file: String) -> UInt64 {
            let key = FunctionKey(name: frame.name, systemName: frame.symbolName ?? frame.name, file: file)
            if let id = functionIDs[key] { return id }
            var function = Perftools_Profiles_Function()
            function.id = UInt64(functionIDs.count + 1)
            function.name = string(key.name)
            function.systemName = string(key.systemName)
            function.filename = string(file)
            append { $0.function = [function] }
            functionIDs[key] = function.id
            return function.id
        }
    }
}
