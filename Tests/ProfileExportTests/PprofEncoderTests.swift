import Foundation
import ProfileExport
import ProfilerTestSupport
import Profiles
import Testing

/// The encoded file is checked by decoders built from the official profile.proto, not by our own code.
@Suite struct PprofEncoderTests {
    let file: String

    init() throws {
        let bytes = PprofEncoder.encode(SampleProfile.twoThreads, sampleLabels: ["span_id": "00f067aa0ba902b7"])
        #expect(bytes.starts(with: [0x1f, 0x8b]), "gzip magic")
        file = try ExternalTool.temporaryFile(Data(bytes), suffix: ".pb.gz")
    }

    @Test func goPprofReadsSamplesFunctionsAndLabels() throws {
        let result = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-raw", file])
        #expect(result.status == 0, "\(result.standardError)")
        let text = result.standardOutput
        #expect(text.contains("PeriodType: cpu nanoseconds"))
        #expect(text.contains("Period: 10000000"))
        #expect(text.contains("samples/count cpu/nanoseconds"))
        #expect(text.contains("3   30000000: "))
        #expect(text.contains("span_id:[00f067aa0ba902b7]"))
        #expect(text.contains("thread:[helper; \"quoted\"]"))
        #expect(text.contains(" hot "))
        #expect(text.contains("Work.cold(x: Swift.Int) -> ()"))
    }

    /// `hot` of thread 42 sampled again in a span its thread published: a second sample with that span's labels in
    /// place of the root span's, as go tool pprof reads them.
    @Test func aStackInAPublishedSpanCarriesThatSpansLabels() throws {
        var profile = SampleProfile.twoThreads
        var inSpan = profile.processes[0].threads[0].stacks[0]
        inSpan.span = SpanLabels(traceID: String(repeating: "ab", count: 16), spanID: "0102030405060708", name: "COPY orders")
        inSpan.count = 5
        inSpan.cpuTime = 5 * 10_000_000
        profile.processes[0].threads[0].stacks.append(inSpan)
        let root = ["span_id": "00f067aa0ba902b7", "trace_id": String(repeating: "cd", count: 16)]
        let file = try ExternalTool.temporaryFile(Data(PprofEncoder.encode(profile, sampleLabels: root)), suffix: ".pb.gz")
        let result = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-raw", file])
        #expect(result.status == 0, "\(result.standardError)")
        // -raw prints each sample's values, then its labels on the next line.
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        let spanSample = try #require(lines.firstIndex { $0.contains("5   50000000: ") })
        let rootSample = try #require(lines.firstIndex { $0.contains("3   30000000: ") })
        let labels = { (index: Int) in lines[(index + 1)...].prefix { !$0.contains(": ") || $0.contains(":[") }.joined(separator: " ") }
        #expect(labels(spanSample).contains("span_id:[0102030405060708]"), "\(labels(spanSample))")
        #expect(labels(spanSample).contains("trace_id:[\(String(repeating: "ab", count: 16))]"))
        #expect(labels(spanSample).contains("span_name:[COPY orders]"))
        #expect(labels(rootSample).contains("span_id:[00f067aa0ba902b7]"), "\(labels(rootSample))")
        #expect(!labels(rootSample).contains("span_name"))
        #expect(PprofEncoder.stringLabelNames(of: profile, sampleLabels: root, threadNames: false) == ["process", "span_id", "span_name", "trace_id"])
        #expect(PprofEncoder.stringLabelNames(of: profile, sampleLabels: root, threadNames: false, spans: false) == ["process", "span_id", "trace_id"])
    }

    @Test func pythonProfilePB2DecodesIt() throws {
        let root = Fixture.sourceDirectory.deletingLastPathComponent().deletingLastPathComponent().path
        let generated = "\(root)/.venv/standins-gen"
        let python = "\(root)/.venv/bin/python"
        try #require(FileManager.default.fileExists(atPath: "\(generated)/profile_pb2.py"), "run scripts/setup.sh")
        let script = """
            import gzip, sys
            sys.path.insert(0, sys.argv[1])
            import profile_pb2
            p = profile_pb2.Profile()
            p.ParseFromString(gzip.open(sys.argv[2]).read())
            s = p.string_table
            assert s[0] == ""
            assert [(s[t.type], s[t.unit]) for t in p.sample_type] == [("samples", "count"), ("cpu", "nanoseconds")]
            assert sum(x.value[0] for x in p.sample) == 6
            assert sum(x.value[1] for x in p.sample) == 6 * p.period
            functions = {f.id: s[f.name] for f in p.function}
            locations = {l.id: l for l in p.location}
            assert all(l.mapping_id == p.mapping[0].id for l in p.location)
            leaves = sorted(functions[locations[x.location_id[0]].line[0].function_id] for x in p.sample)
            print(",".join(leaves))
            """
        let result = try ExternalTool.run(python, ["-c", script, generated, file])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == "Work.cold(x: Swift.Int) -> (),hot,hot\n")
    }

    /// `--wall`: local files carry `wall/nanoseconds` as a third type and keep `cpu` the default view.
    @Test func wallIsAThirdSampleTypeAndCPUStaysTheDefault() throws {
        let file = try ExternalTool.temporaryFile(Data(PprofEncoder.encode(SampleProfile.withWall)), suffix: ".pb.gz")
        let raw = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-raw", file])
        #expect(raw.standardOutput.contains("samples/count cpu/nanoseconds[dflt] wall/nanoseconds"), "\(raw.standardOutput)")
        #expect(raw.standardOutput.contains("3   30000000   35000000: "), "\(raw.standardOutput)")
        let cpu = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-top", file])
        #expect(cpu.standardOutput.contains("Type: cpu") && !cpu.standardOutput.contains("poll"), "\(cpu.standardOutput)")
        let wall = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-sample_index=wall", "-top", "-unit=ms", file])
        #expect(wall.standardOutput.contains("Type: wall"), "\(wall.standardOutput)")
        #expect(wall.standardOutput.contains("Total samples = 145ms"), "60 ms of CPU, 15 ms more at its stacks, 70 ms in poll\n\(wall.standardOutput)")
        #expect(wall.standardOutput.contains("poll"), "\(wall.standardOutput)")
    }

    /// Pyroscope's uploads: the CPU one without wall (the server would file it all as wall), the wall one on its own.
    @Test func theWallUploadIsWallOnlyAndTheCPUUploadHasNoWall() throws {
        let cpuFile = try ExternalTool.temporaryFile(Data(PprofEncoder.encode(SampleProfile.withWall, includeWall: false)), suffix: ".pb.gz")
        let cpu = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-raw", cpuFile])
        #expect(cpu.standardOutput.contains("samples/count cpu/nanoseconds\n") && !cpu.standardOutput.contains("wall"), "\(cpu.standardOutput)")
        #expect(!cpu.standardOutput.contains(" poll "), "a stack only off the CPU is not a CPU sample\n\(cpu.standardOutput)")
        let wallFile = try ExternalTool.temporaryFile(Data(PprofEncoder.encodeWall(SampleProfile.withWall)), suffix: ".pb.gz")
        let wall = try ExternalTool.run("/usr/bin/go", ["tool", "pprof", "-raw", wallFile])
        #expect(wall.standardOutput.contains("PeriodType: wall nanoseconds"), "\(wall.standardOutput)")
        #expect(wall.standardOutput.contains("samples/count wall/nanoseconds[dflt]\n"), "\(wall.standardOutput)")
        #expect(wall.standardOutput.contains("7   70000000: "), "poll's 70 ms are 7 periods\n\(wall.standardOutput)")
    }
}
