import Foundation
import OTLPProto
import Profiles

typealias ExportProfilesRequest = Opentelemetry_Proto_Collector_Profiles_V1development_ExportProfilesServiceRequest
typealias ProfilesDictionary = Opentelemetry_Proto_Profiles_V1development_ProfilesDictionary

/// A ``Profile`` as an OTLP `ExportProfilesServiceRequest` (`opentelemetry.proto.profiles.v1development`, the
/// generated code in module `OTLPProto`): one resource, one scope, a CPU profile and, with `--wall`, a wall profile.
///
/// - The CPU profile's one sample type is `cpu`/`nanoseconds`, as its period type, with the period 1e9/rate: a
///   sample's value is the CPU time it stands for (what Pyroscope's `process_cpu` holds). Stacks a thread was only
///   blocked in (``StackCount/isOffCPUOnly``) are not in it.
/// - With wall time (``Profile/hasWall``) a second `Profile` in the same `ScopeProfiles`, sample and period type
///   `wall`/`nanoseconds`, each sample's value the stack's ``StackCount/wallTime``: the proto's `Profile.sample_type`
///   is "the type and unit of all Sample.values in this profile" (one per profile in the vendored proto), and both profiles
///   index the one `ProfilesDictionary` of the request, so their stacks, locations and links are stored once.
/// - Every table of the shared `ProfilesDictionary` holds each distinct entry once (strings, functions, mappings,
///   locations, stacks, links, attributes), and entry 0 of each is the zero value the proto requires, so that
///   index 0 means "none".
/// - A stack is its locations, leaf first (the proto's `Stack`); one location per distinct (mapping, address),
///   with one line naming its function.
/// - Each sample carries its own `link_index`, from `linkFor`: samples of one stack under different spans stay
///   apart. Samples with the same stack and link are one sample (the proto's sample identity) whatever thread or
///   process they came from; a stack without frames cannot be a sample (stack 0 means none) and is left out.
enum OTLPProfileEncoder {
    static func request(
        _ profile: Profile, resource: [(key: String, value: String)], scope: (name: String, version: String),
        linkFor: (StackCount) -> SpanLink?
    ) -> ExportProfilesRequest {
        var dictionary = DictionaryBuilder()
        var profiles = [Self.profile(profile, sampleType: "cpu", value: { $0.isOffCPUOnly ? nil : $0.cpuTime }, dictionary: &dictionary, linkFor: linkFor)]
        if profile.hasWall {
            profiles.append(Self.profile(profile, sampleType: "wall", value: { $0.wallTime > 0 ? $0.wallTime : nil }, dictionary: &dictionary, linkFor: linkFor))
        }

        var scopeProfiles = Opentelemetry_Proto_Profiles_V1development_ScopeProfiles()
        scopeProfiles.scope.name = scope.name
        scopeProfiles.scope.version = scope.version
        scopeProfiles.profiles = profiles
        var resourceProfiles = Opentelemetry_Proto_Profiles_V1development_ResourceProfiles()
        resourceProfiles.resource.attributes = resource.map { attribute in
            var keyValue = Opentelemetry_Proto_Common_V1_KeyValue()
            keyValue.key = attribute.key
            keyValue.value.stringValue = attribute.value
            return keyValue
        }
        resourceProfiles.scopeProfiles = [scopeProfiles]
        var request = ExportProfilesRequest()
        request.resourceProfiles = [resourceProfiles]
        request.dictionary = dictionary.tables
        return request
    }

    /// One profile of `sampleType`/`nanoseconds` whose samples are `value` of each stack that has one.
    private static func profile(
        _ profile: Profile, sampleType: String, value: (StackCount) -> Int64?, dictionary: inout DictionaryBuilder,
        linkFor: (StackCount) -> SpanLink?
    ) -> Opentelemetry_Proto_Profiles_V1development_Profile {
        var message = Opentelemetry_Proto_Profiles_V1development_Profile()
        message.sampleType = dictionary.valueType(sampleType, "nanoseconds")
        message.periodType = dictionary.valueType(sampleType, "nanoseconds")
        message.period = profile.sampleWeight
        message.timeUnixNano = UInt64(max(profile.startTime, 0))
        message.durationNano = UInt64(max(profile.endTime - profile.startTime, 0))

        var sampleIndex: [SampleKey: Int] = [:]
        var samples: [Opentelemetry_Proto_Profiles_V1development_Sample] = []
        for process in profile.processes {
            let mappingIndices = process.mappings.map { dictionary.mapping($0) }
            for thread in process.threads {
                for stack in thread.stacks where !stack.frames.isEmpty {
                    guard let value = value(stack) else { continue }
                    let locations = stack.frames.map { frame in
                        let mapping = frame.mapping.map { (index: mappingIndices[$0], path: process.mappings[$0].path) }
                        return dictionary.location(frame, mappingIndex: mapping?.index ?? 0, file: mapping?.path ?? "")
                    }
                    let key = SampleKey(stack: dictionary.stack(locations), link: linkFor(stack).map { dictionary.link($0) } ?? 0)
                    if let index = sampleIndex[key] {
                        samples[index].values[0] += value
                    } else {
                        var sample = Opentelemetry_Proto_Profiles_V1development_Sample()
                        sample.stackIndex = key.stack
                        sample.linkIndex = key.link
                        sample.values = [value]
                        sampleIndex[key] = samples.count
                        samples.append(sample)
                    }
                }
            }
        }
        message.samples = samples
        return message
    }

    private struct SampleKey: Hashable {
        var stack: Int32
        var link: Int32
    }

    /// Builds the dictionary's tables, each entry once; indices are positions in the tables.
    private struct DictionaryBuilder {
        var tables = ProfilesDictionary()
        private var strings: [String: Int32] = ["": 0]
        private var functions: [FunctionKey: Int32] = [:]
        private var mappings: [MappingKey: Int32] = [:]
        private var locations: [LocationKey: Int32] = [:]
        private var stacks: [[Int32]: Int32] = [:]
        private var links: [SpanLink: Int32] = [:]
        private var attributes: [AttributeKey: Int32] = [:]

        private struct FunctionKey: Hashable {
            var name: Int32
            var systemName: Int32
            var file: Int32
        }

        private struct MappingKey: Hashable {
            var start: UInt64
            var limit: UInt64
            var offset: UInt64
            var file: Int32
            var attributes: [Int32]
        }

        private struct LocationKey: Hashable {
            var mapping: Int32
            var address: UInt64
            var function: Int32
        }

        private struct AttributeKey: Hashable {
            var key: Int32
            var value: String
        }

        init() {
            tables.mappingTable = [.init()]
            tables.locationTable = [.init()]
            tables.functionTable = [.init()]
            tables.linkTable = [.init()]
            tables.stringTable = [""]
            tables.attributeTable = [.init()]
            tables.stackTable = [.init()]
        }

        mutating func string(_ value: String) -> Int32 {
            Self.intern(value, &strings, &tables.stringTable) { value }
        }

        mutating func valueType(_ type: String, _ unit: String) -> Opentelemetry_Proto_Profiles_V1development_ValueType {
            var value = Opentelemetry_Proto_Profiles_V1development_ValueType()
            value.typeStrindex = string(type)
            value.unitStrindex = string(unit)
            return value
        }

        /// The GNU build id as the semantic conventions name it (`process.executable.build_id.gnu`), so that a
        /// backend can match the mapping to its debug file.
        mutating func mapping(_ mapping: Profiles.Mapping) -> Int32 {
            let attributeIndices = mapping.buildID.map { [attribute("process.executable.build_id.gnu", $0)] } ?? []
            let key = MappingKey(start: mapping.start, limit: mapping.end, offset: mapping.fileOffset, file: string(mapping.path), attributes: attributeIndices)
            return Self.intern(key, &mappings, &tables.mappingTable) {
                var entry = Opentelemetry_Proto_Profiles_V1development_Mapping()
                entry.memoryStart = key.start
                entry.memoryLimit = key.limit
                entry.fileOffset = key.offset
                entry.filenameStrindex = key.file
                entry.attributeIndices = key.attributes
                return entry
            }
        }

        mutating func location(_ frame: Frame, mappingIndex: Int32, file: String) -> Int32 {
            let key = LocationKey(mapping: mappingIndex, address: frame.address, function: function(frame, file: file))
            return Self.intern(key, &locations, &tables.locationTable) {
                var line = Opentelemetry_Proto_Profiles_V1development_Line()
                line.functionIndex = key.function
                var entry = Opentelemetry_Proto_Profiles_V1development_Location()
                entry.mappingIndex = key.mapping
                entry.address = key.address
                entry.lines = [line]
                return entry
            }
        }

        mutating func function(_ frame: Frame, file: String) -> Int32 {
            let key = FunctionKey(name: string(frame.name), systemName: string(frame.symbolName ?? frame.name), file: string(file))
            return Self.intern(key, &functions, &tables.functionTable) {
                var entry = Opentelemetry_Proto_Profiles_V1development_Function()
                entry.nameStrindex = key.name
                entry.systemNameStrindex = key.systemName
                entry.filenameStrindex = key.file
                return entry
            }
        }

        mutating func stack(_ locationIndices: [Int32]) -> Int32 {
            Self.intern(locationIndices, &stacks, &tables.stackTable) {
                var entry = Opentelemetry_Proto_Profiles_V1development_Stack()
                entry.locationIndices = locationIndices
                return entry
            }
        }

        mutating func link(_ link: SpanLink) -> Int32 {
            Self.intern(link, &links, &tables.linkTable) {
                var entry = Opentelemetry_Proto_Profiles_V1development_Link()
                entry.traceID = Data(link.traceID)
                entry.spanID = Data(link.spanID)
                return entry
            }
        }

        mutating func attribute(_ key: String, _ value: String) -> Int32 {
            let attributeKey = AttributeKey(key: string(key), value: value)
            return Self.intern(attributeKey, &attributes, &tables.attributeTable) {
                var entry = Opentelemetry_Proto_Profiles_V1development_KeyValueAndUnit()
                entry.keyStrindex = attributeKey.key
                entry.value.stringValue = value
                return entry
            }
        }

        /// The index of `key`'s entry in `table`, appended (made by `make`) the first time the key comes up.
        private static func intern<Key: Hashable, Entry>(_ key: Key, _ indices: inout [Key: Int32], _ table: inout [Entry], _ make: () -> Entry) -> Int32 {
            if let index = indices[key] { return index }
            let index = Int32(table.count)
            table.append(make())
            indices[key] = index
            return index
        }
    }
}
