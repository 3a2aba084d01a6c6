import OTLPProto
import Profiles
import Testing

@testable import OTLPProfileExport

/// The encoder against profiles whose content is known: what each table must hold follows from the input.
struct OTLPProfileEncoderTests {
    static let root = SpanLink(traceID: "4bf92f3577b34da6a3ce929d0e0e4736", spanID: "00f067aa0ba902b7")!
    static let child = SpanLink(traceID: "4bf92f3577b34da6a3ce929d0e0e4736", spanID: "b7ad6b7169203331")!
    static let library = Mapping(start: 0x7000, end: 0x9000, fileOffset: 0x1000, path: "/usr/lib/libwork.so", buildID: "abcd1234")
    static let executable = Mapping(start: 0x1000, end: 0x3000, fileOffset: 0, path: "/usr/bin/work", buildID: nil)

    static func frame(_ name: String, _ address: UInt64, mapping: Int? = 1) -> Frame {
        Frame(address: address, mapping: mapping, name: name, symbolName: "_\(name)")
    }

    /// Two processes with the same modules (a fork) and two threads each: the same stack under different threads
    /// and processes, and one stack only one thread has.
    static let profile: Profile = {
        let hot = [frame("hot", 0x7100), frame("main", 0x1100, mapping: 0)]
        let cold = [frame("cold", 0x7200), frame("main", 0x1100, mapping: 0)]
        func process(_ pid: Int32, extra: [StackCount]) -> ProcessProfile {
            ProcessProfile(pid: pid, executablePath: "/usr/bin/work", mappings: [executable, library], threads: [
                ThreadProfile(tid: pid, name: "main", stacks: [StackCount(frames: hot, count: 3, cpuTime: 3 * 10_000_000)] + extra),
                ThreadProfile(tid: pid + 1, name: "worker", stacks: [StackCount(frames: hot, count: 2, cpuTime: 2 * 10_000_000)]),
            ])
        }
        return Profile(startTime: 1_000_000_000, endTime: 3_000_000_000, sampleWeight: 10_000_000,
                       processes: [process(10, extra: [StackCount(frames: cold, count: 1, cpuTime: 1 * 10_000_000), StackCount(frames: [], count: 4, cpuTime: 4 * 10_000_000)]), process(20, extra: [])],
                       statistics: SamplingStatistics(samplesTaken: 15))
    }()

    static func encode(linkFor: (StackCount) -> SpanLink? = { _ in root }) -> ExportProfilesRequest {
        OTLPProfileEncoder.request(profile, resource: [("service.name", "work"), ("env", "ci")], scope: ("hybrid-run", "1.0"), linkFor: linkFor)
    }

    @Test func everyTableHoldsEachEntryOnceAfterItsZeroEntry() throws {
        let tables = Self.encode().dictionary
        #expect(tables.stringTable.first == "")
        #expect(Set(tables.stringTable).count == tables.stringTable.count)
        #expect(tables.mappingTable.first == .init() && tables.locationTable.first == .init() && tables.functionTable.first == .init())
        #expect(tables.linkTable.first == .init() && tables.attributeTable.first == .init() && tables.stackTable.first == .init())
        // Both processes map the same two modules at the same addresses: 2 mappings, 3 locations (hot, cold, main),
        // 3 functions, 2 stacks, 1 link, 1 attribute (the library's build id), each after its zero entry.
        #expect(tables.mappingTable.count == 3)
        #expect(tables.locationTable.count == 4)
        #expect(tables.functionTable.count == 4)
        #expect(tables.stackTable.count == 3)
        #expect(tables.linkTable.count == 2)
        #expect(tables.attributeTable.count == 2)
    }

    @Test func samplesOfOneStackAndSpanAreOneSampleWhateverTheThread() throws {
        let request = Self.encode()
        let profile = try #require(request.resourceProfiles.first?.scopeProfiles.first?.profiles.first)
        let tables = request.dictionary
        func names(_ sample: Opentelemetry_Proto_Profiles_V1development_Sample) -> [String] {
            tables.stackTable[Int(sample.stackIndex)].locationIndices.map { location in
                tables.stringTable[Int(tables.functionTable[Int(tables.locationTable[Int(location)].lines[0].functionIndex)].nameStrindex)]
            }
        }
        // hot: 3 + 2 in process 10, 3 + 2 in process 20; cold: 1; the stack without frames is left out.
        #expect(profile.samples.map(names) == [["hot", "main"], ["cold", "main"]])
        #expect(profile.samples.map(\.values) == [[10 * 10_000_000], [1 * 10_000_000]])
        #expect(profile.samples.allSatisfy { $0.stackIndex != 0 })
    }

    @Test func eachSampleLinksToItsOwnSpan() throws {
        let request = Self.encode { stack in stack.frames.first?.name == "hot" ? Self.root : stack.frames.first?.name == "cold" ? Self.child : nil }
        let profile = try #require(request.resourceProfiles.first?.scopeProfiles.first?.profiles.first)
        let links = profile.samples.map { request.dictionary.linkTable[Int($0.linkIndex)] }
        #expect(links.map { Array($0.traceID) } == [Self.root.traceID, Self.child.traceID])
        #expect(links.map { Array($0.spanID) } == [Self.root.spanID, Self.child.spanID])

        let unlinked = Self.encode { _ in nil }
        #expect(unlinked.resourceProfiles.first?.scopeProfiles.first?.profiles.first?.samples.allSatisfy { $0.linkIndex == 0 } == true)
        #expect(unlinked.dictionary.linkTable.count == 1)
    }

    @Test func cpuTimeInNanosecondsWithThePeriodAndTimeRangeOfTheProfile() throws {
        let request = Self.encode()
        let profile = try #require(request.resourceProfiles.first?.scopeProfiles.first?.profiles.first)
        let strings = request.dictionary.stringTable
        #expect(strings[Int(profile.sampleType.typeStrindex)] == "cpu" && strings[Int(profile.sampleType.unitStrindex)] == "nanoseconds")
        #expect(strings[Int(profile.periodType.typeStrindex)] == "cpu" && strings[Int(profile.periodType.unitStrindex)] == "nanoseconds")
        #expect(profile.period == 10_000_000)
        #expect(profile.timeUnixNano == 1_000_000_000 && profile.durationNano == 2_000_000_000)
        let resource = try #require(request.resourceProfiles.first?.resource.attributes)
        #expect(resource.map(\.key) == ["service.name", "env"] && resource.map(\.value.stringValue) == ["work", "ci"])
        #expect(request.resourceProfiles.first?.scopeProfiles.first?.scope.name == "hybrid-run")
    }

    @Test func mappingsCarryTheirFileAndBuildID() throws {
        let tables = Self.encode().dictionary
        let library = try #require(tables.mappingTable.first { tables.stringTable[Int($0.filenameStrindex)] == "/usr/lib/libwork.so" })
        #expect(library.memoryStart == 0x7000 && library.memoryLimit == 0x9000 && library.fileOffset == 0x1000)
        let buildID = try #require(library.attributeIndices.first.map { tables.attributeTable[Int($0)] })
        #expect(tables.stringTable[Int(buildID.keyStrindex)] == "process.executable.build_id.gnu")
        #expect(buildID.value.stringValue == "abcd1234")
    }

    @Test(arguments: [("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true), ("00000000000000000000000000000000", "00f067aa0ba902b7", false),
                      ("4bf92f3577b34da6a3ce929d0e0e4736", "0000000000000000", false), ("4bf92f", "00f067aa0ba902b7", false),
                      ("4bf92f3577b34da6a3ce929d0e0e473g", "00f067aa0ba902b7", false)])
    func spanLinksAreValidW3CIds(traceID: String, spanID: String, valid: Bool) {
        #expect((SpanLink(traceID: traceID, spanID: spanID) != nil) == valid)
    }
}
