import Foundation
import ProfilerTestSupport
import Profiles
import Report
import Testing
import TraceSpans

/// The report page in a real browser (headless Chromium, no network), driven like a person would: the flame
/// graph must draw, search must highlight and measure, a click must zoom, hovering must explain a frame.
@Suite struct ReportPageBrowserTests {
    /// `grows` 25 %, `rest`→`leaf` 75 % of 1000 samples, in a process named `app`.
    static let profile = SampleProfile.knownShares(grows: 250, rest: 750)

    static func page(_ bytes: [UInt8], name: String) throws -> String {
        let path = try ReportBrowser.outputDirectory("ReportPageBrowserTests").appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Gives the drawn frame named `name` the id `target`, for a step to click or hover it.
    static func target(_ name: String) -> ReportBrowser.Step {
        .evaluate("(document.getElementById('target')?.removeAttribute('id'), [...document.querySelectorAll('#flame .frame')].find(e => e.textContent === '\(name)').id = 'target')")
    }

    /// Names and widths of the drawn frames, by name.
    static let frames = "Object.fromEntries([...document.querySelectorAll('#flame .frame')].map(e => [e.textContent, e.getBoundingClientRect().width]))"

    @Test func drawsSearchesZoomsAndExplains() throws {
        let report = RunReport(command: ["/bin/app", "--input", "x"], exitStatus: 3, startTime: Self.profile.startTime,
                               endTime: Self.profile.endTime, traceID: "0af7651916cd43dd8448eb211c80319c",
                               rootSpanID: "b7ad6b7169203331", serviceName: "app", cpuProfile: Self.profile)
        let page = try Self.page(report.html(generator: "test"), name: "run.html")
        let screenshot = try ReportBrowser.outputDirectory("ReportPageBrowserTests").appendingPathComponent("run-search.png").path
        let outcome = try ReportBrowser.run(page: page, [
            .evaluate(Self.frames),                                                              // 0
            .evaluate("document.getElementById('flame').getBoundingClientRect().width"),         // 1
            .evaluate("new Set([...document.querySelectorAll('#flame .frame')].map(e => getComputedStyle(e).backgroundColor)).size"), // 2
            .type("#search", "grow"),                                                            // 3
            .evaluate("[...document.querySelectorAll('#flame .frame.match')].map(e => e.textContent)"), // 4
            .evaluate("document.getElementById('search-result').textContent"),                   // 5
            .screenshot(screenshot),                                                             // 6
            Self.target("rest"), .click("#target"),                                             // 7, 8
            .evaluate(Self.frames),                                                              // 9
            .evaluate("[...document.querySelectorAll('#flame .frame.ancestor')].map(e => e.textContent)"), // 10
            Self.target("leaf"), .hover("#target"),                                              // 11, 12
            .evaluate("document.getElementById('tooltip').hidden ? null : document.getElementById('tooltip').textContent"), // 13
            .click("#reset-zoom"),                                                               // 14
            .evaluate(Self.frames),                                                              // 15
            .evaluate("[...document.querySelectorAll('#function-table tbody tr')].map(r => r.dataset.function)"), // 16
            .click("#function-table th[data-column='3']"),                                       // 17: total
            .evaluate("[...document.querySelectorAll('#function-table tbody tr')].map(r => r.dataset.function)"), // 18
            .evaluate("document.getElementById('summary').textContent"),                          // 19
        ])
        print("report screenshot: \(screenshot)")
        #expect(outcome.exceptions.isEmpty, "\(outcome.exceptions)")
        #expect(outcome.requests == ["file://\(page)"], "the page itself and nothing else")
        #expect(outcome.console.isEmpty, "\(outcome.console)")

        // Drawn: every function present with the width of its share.
        let width = try #require(outcome.number(1))
        let drawn = try #require(outcome.results[0] as? [String: Double])
        #expect(Set(drawn.keys) == ["app", "main", "grows", "rest", "leaf"])
        #expect(abs(drawn["main"]! - width) < 1.5)
        #expect(abs(drawn["grows"]! - width / 4) < 1.5 && abs(drawn["rest"]! - width * 3 / 4) < 1.5)
        #expect((outcome.number(2) ?? 0) >= 3, "frames are coloured")

        // Search: highlights the match and says its share.
        #expect(outcome.string(3) == "grow")
        #expect(outcome.strings(4) == ["grows"])
        #expect(outcome.string(5) == "matched 25.0% of samples (250 of 1,000) in 1 function")
        #expect(FileManager.default.fileExists(atPath: screenshot))

        // Zoom: the clicked frame fills the width, its ancestors stay above it, the rest is gone.
        let zoomed = try #require(outcome.results[9] as? [String: Double])
        #expect(Set(zoomed.keys) == ["app", "main", "rest", "leaf"])
        #expect(abs(zoomed["rest"]! - width) < 1.5 && abs(zoomed["leaf"]! - width) < 1.5)
        #expect(Set(outcome.strings(10)) == ["app", "main"])
        let tooltip = try #require(outcome.string(13))
        #expect(tooltip.contains("leaf") && tooltip.contains("total: 75.0% · 750 samples · 750.0 ms") && tooltip.contains("self: 75.0% · 750 samples"))
        let reset = try #require(outcome.results[15] as? [String: Double])
        #expect(Set(reset.keys) == Set(drawn.keys))

        // The table: by self time first, by total time after a click on its header.
        #expect(outcome.strings(16) == ["leaf", "grows", "main", "rest"])
        #expect(outcome.strings(18) == ["main", "leaf", "rest", "grows"])
        let summary = try #require(outcome.string(19))
        #expect(summary.contains("/bin/app --input x") && summary.contains("exit status3") && summary.contains("0af7651916cd43dd8448eb211c80319c"))
    }

    /// Lost samples' CPU time is a root of its own in the flame graph (no process's, one frame) and a function in
    /// the table, as in the summary's top functions, so that its share shows beside the others'.
    @Test func lostSamplesAreARootAndAFunction() throws {
        var profile = Self.profile
        profile.processes.append(.lostSamples(cpuTime: 500 * 1_000_000, count: 500))
        let report = RunReport(command: ["/bin/app"], exitStatus: 0, startTime: profile.startTime, endTime: profile.endTime,
                               traceID: nil, rootSpanID: nil, serviceName: "app", cpuProfile: profile)
        let page = try Self.page(report.html(generator: "test"), name: "lost.html")
        let outcome = try ReportBrowser.run(page: page, [
            .evaluate("[...document.querySelectorAll('#flame .frame')].map(e => e.textContent)"),           // 0
            .evaluate("[...document.querySelectorAll('#function-table tbody tr')].map(r => r.dataset.function)"), // 1
        ])
        #expect(outcome.exceptions.isEmpty, "\(outcome.exceptions)")
        #expect(outcome.strings(0).filter { $0 == ProcessProfile.lostSamplesName }.count == 1, "\(outcome.strings(0))")
        #expect(outcome.strings(1).prefix(2) == ["leaf", "[lost samples]"], "\(outcome.strings(1))")
    }

    /// `--wall`: the page gets a wall tab whose flame graph and table are wall time (CPU + off-CPU), with the
    /// off-CPU share in its title, the tooltip and the table; the CPU tab stays what it was (no blocked stack).
    @Test func theWallTabShowsWallTimeAndTheOffCPUShare() throws {
        let ms: Int64 = 1_000_000
        var profile = Self.profile
        // The CPU stacks' wall time is their CPU time; `wait_in_poll` was only blocked in, for 1 s (half the wall time).
        for index in profile.processes[0].threads[0].stacks.indices {
            profile.processes[0].threads[0].stacks[index].wallTime = profile.processes[0].threads[0].stacks[index].cpuTime
        }
        profile.processes[0].threads[0].stacks.append(StackCount(
            frames: [Frame(address: 0x1600, mapping: 0, name: "wait_in_poll", symbolName: nil), Frame(address: 0x1230, mapping: 0, name: "main", symbolName: nil)],
            count: 0, cpuTime: 0, wallTime: 1000 * ms))
        profile.statistics.wall = WallStatistics(blockedTime: 1000 * ms, blockedIntervals: 1, observedIntervals: 1)
        let report = RunReport(command: ["/bin/app"], exitStatus: 0, startTime: profile.startTime, endTime: profile.endTime, cpuProfile: profile)
        let page = try Self.page(report.html(generator: "test"), name: "wall.html")
        let screenshot = try ReportBrowser.outputDirectory("ReportPageBrowserTests").appendingPathComponent("wall.png").path
        let title = "document.getElementById('flame-title').textContent"
        let table = "[...document.querySelectorAll('#function-table tbody tr')].map(r => [...r.children].map(c => c.textContent).join('|'))"
        let outcome = try ReportBrowser.run(page: page, [
            .evaluate("[...document.querySelectorAll('#profile-tabs button')].map(b => b.textContent)"),  // 0
            .evaluate(Self.frames),                                                              // 1: CPU tab
            .evaluate(title),                                                                    // 2
            .click("#profile-tabs button:nth-child(2)"),                                         // 3
            .evaluate(Self.frames),                                                              // 4: wall tab
            .evaluate("document.getElementById('flame').getBoundingClientRect().width"),         // 5
            .evaluate(title),                                                                    // 6
            .evaluate(table),                                                                    // 7
            .evaluate("[...document.querySelectorAll('#function-table th')].map(t => t.textContent)"), // 8
            Self.target("wait_in_poll"), .hover("#target"),                                      // 9, 10
            .evaluate("document.getElementById('tooltip').textContent"),                         // 11
            .evaluate("document.getElementById('legend').textContent"),                          // 12
            .screenshot(screenshot),                                                             // 13
            .click("#profile-tabs button:nth-child(1)"),                                         // 14
            .evaluate(title),                                                                    // 15
        ])
        print("wall report screenshot: \(screenshot)")
        #expect(outcome.exceptions.isEmpty, "\(outcome.exceptions)")
        #expect(outcome.requests == ["file://\(page)"], "the page itself and nothing else")
        #expect(outcome.strings(0) == ["CPU time", "Wall time"])

        let cpu = try #require(outcome.results[1] as? [String: Double])
        #expect(Set(cpu.keys) == ["app", "main", "grows", "rest", "leaf"], "the CPU view has no blocked stack")
        #expect(outcome.string(2) == "Flame graph: CPU time (1,000 samples)")

        let width = try #require(outcome.number(5))
        let wall = try #require(outcome.results[4] as? [String: Double])
        #expect(Set(wall.keys) == ["app", "main", "grows", "rest", "leaf", "wait_in_poll"])
        #expect(abs(wall["wait_in_poll"]! - width / 2) < 1.5 && abs(wall["grows"]! - width / 8) < 1.5, "\(wall)")
        #expect(outcome.string(6) == "Flame graph: Wall time (2.00 s, 50.0% off the CPU)")
        // function | self | self % | total | total % | off-CPU %, by self time.
        #expect(outcome.strings(8) == ["function", "self", "self %", "total", "total %", "off-CPU %"])
        #expect(Array(outcome.strings(7).prefix(2)) == ["wait_in_poll|1.00 s|50.0%|1.00 s|50.0%|100.0%", "leaf|750.0 ms|37.5%|750.0 ms|37.5%|0.0%"],
                "\(outcome.strings(7))")
        #expect(outcome.strings(7).contains("main|0 µs|0.0%|2.00 s|100.0%|50.0%"), "\(outcome.strings(7))")
        let tooltip = try #require(outcome.string(11))
        #expect(tooltip.contains("wait_in_poll") && tooltip.contains("total: 50.0% · 1.00 s · off-CPU 100.0%"), "\(tooltip)")
        #expect(outcome.string(12)?.contains("off it") == true)
        #expect(FileManager.default.fileExists(atPath: screenshot))
        #expect(outcome.string(15) == "Flame graph: CPU time (1,000 samples)")
    }

    /// A function name that looks like markup is shown as text, never run.
    @Test func namesAreTextNotMarkup() throws {
        var profile = Self.profile
        profile.processes[0].threads[0].stacks[0].frames[0].name = "</script><img src=x onerror=\"document.title='owned'\">"
        let page = try Self.page(RunReport(command: ["<i>app"], exitStatus: 0, startTime: 0, endTime: 1, cpuProfile: profile).html(generator: "test"),
                                 name: "markup.html")
        let outcome = try ReportBrowser.run(page: page, [
            .evaluate("document.title"),
            .evaluate("document.querySelectorAll('img').length + document.querySelectorAll('i').length"),
            .evaluate("[...document.querySelectorAll('#flame .frame')].some(e => e.textContent.startsWith('</script><img'))"),
        ])
        #expect(outcome.exceptions.isEmpty, "\(outcome.exceptions)")
        #expect(outcome.string(0) == "hybrid-run: <i>app")
        #expect(outcome.number(1) == 0)
        #expect(outcome.bool(2) == true)
    }

    @Test func theDifferentialFlameGraphColoursGrowthAndShrinkage() throws {
        let report = DiffReport(base: Self.profile, new: SampleProfile.knownShares(grows: 800, rest: 1200), baseName: "base.pb.gz", newName: "new.pb.gz")
        let page = try Self.page(report.html(generator: "test"), name: "diff.html")
        let screenshot = try ReportBrowser.outputDirectory("ReportPageBrowserTests").appendingPathComponent("diff.png").path
        let colour = { (name: String) in "getComputedStyle([...document.querySelectorAll('#flame .frame')].find(e => e.textContent === '\(name)')).backgroundColor" }
        let outcome = try ReportBrowser.run(page: page, [
            .evaluate(colour("grows")),
            .evaluate(colour("rest")),
            .evaluate(colour("main")),
            Self.target("grows"), .hover("#target"),
            .evaluate("document.getElementById('tooltip').textContent"),
            .evaluate("[...document.querySelectorAll('#function-table tbody tr')][0].textContent"),
            .screenshot(screenshot),
        ])
        print("diff report screenshot: \(screenshot)")
        #expect(outcome.exceptions.isEmpty, "\(outcome.exceptions)")
        #expect(outcome.requests.count == 1)
        func rgb(_ text: String?) -> [Int] { (text ?? "").split { !$0.isNumber }.compactMap { Int($0) } }
        let grew = rgb(outcome.string(0)), shrank = rgb(outcome.string(1)), same = rgb(outcome.string(2))
        #expect(grew.count == 3 && grew[0] > grew[2] + 40, "red: \(grew)")
        #expect(shrank.count == 3 && shrank[2] > shrank[0] + 40, "blue: \(shrank)")
        #expect(same.count == 3 && same.allSatisfy { $0 > 230 }, "unchanged is near white: \(same)")
        let tooltip = try #require(outcome.string(5))
        #expect(tooltip.contains("grows") && tooltip.contains("total: BASE 25.0% → NEW 40.0% (+15.0 points)"))
        #expect(outcome.string(6)?.hasPrefix("grows25.0%40.0%+15.0") == true, "\(outcome.string(6) ?? "")")
    }
}

/// Clicking a span of the waterfall shows the samples taken inside it: its time range, its process (by pid, or
/// by the service named like the executable) and its thread.
@Suite struct ReportSpanSelectionBrowserTests {
    static let start: Int64 = 1_700_000_000_000_000_000
    static let ms: Int64 = 1_000_000

    /// One second of `app` (pid 1): thread 1 in `grows` for the first half and in `rest` for the second, thread 2 in
    /// `other` throughout; one sample per millisecond per thread, each with its time in the timeline.
    static func profile() -> Profile {
        func frame(_ name: String, _ address: UInt64) -> Frame { Frame(address: address, mapping: nil, name: name, symbolName: nil) }
        let grows = [frame("grows", 0x10), frame("main", 0x20)]
        let rest = [frame("rest", 0x30), frame("main", 0x20)]
        let other = [frame("other", 0x40), frame("worker", 0x50)]
        var timeline = SampleTimeline()
        for millisecond in 0..<1000 {
            let time = start + Int64(millisecond) * ms
            timeline.append(.init(time: time, pid: 1, tid: 1, addresses: (millisecond < 500 ? grows : rest).map(\.address)))
            timeline.append(.init(time: time, pid: 1, tid: 2, addresses: other.map(\.address)))
        }
        return Profile(startTime: start, endTime: start + 1000 * ms, sampleWeight: ms,
                       processes: [ProcessProfile(pid: 1, executablePath: "/bin/app", mappings: [], threads: [
                           ThreadProfile(tid: 1, name: "main", stacks: [StackCount(frames: grows, count: 500, cpuTime: 500 * ms), StackCount(frames: rest, count: 500, cpuTime: 500 * ms)]),
                           ThreadProfile(tid: 2, name: "worker", stacks: [StackCount(frames: other, count: 1000, cpuTime: 1000 * ms)]),
                       ])],
                       statistics: SamplingStatistics(samplesTaken: 2000), timeline: timeline)
    }

    static func span(_ id: String, _ name: String, service: String, from: Int64, to: Int64, pid: Int32? = nil, tid: Int32? = nil) -> TraceSpan {
        TraceSpan(traceID: String(repeating: "a", count: 32), spanID: id, parentSpanID: id == "0000000000000001" ? "" : "0000000000000001",
                       name: name, serviceName: service, startTime: start + from * ms, endTime: start + to * ms, isError: false,
                       processID: pid, threadID: tid)
    }

    @Test func aSpansFlameGraphHoldsTheSamplesTakenInsideIt() throws {
        let report = RunReport(command: ["/bin/app"], exitStatus: 0, startTime: Self.start, endTime: Self.start + 1000 * Self.ms,
                               cpuProfile: Self.profile(), spans: [
                                   Self.span("0000000000000001", "run", service: "hybrid-run", from: 0, to: 1000),
                                   Self.span("0000000000000002", "first half", service: "app", from: 0, to: 499),
                                   Self.span("0000000000000003", "second half on the worker", service: "lib", from: 500, to: 999, tid: 2),
                                   Self.span("0000000000000004", "another process", service: "db", from: 0, to: 999, pid: 99),
                               ])
        let path = try ReportBrowser.outputDirectory("ReportSpanSelectionBrowserTests").appendingPathComponent("spans.html").path
        try Data(report.html(generator: "test")).write(to: URL(fileURLWithPath: path))
        let screenshot = try ReportBrowser.outputDirectory("ReportSpanSelectionBrowserTests").appendingPathComponent("span.png").path
        let drawn = "Object.fromEntries([...document.querySelectorAll('#flame .frame')].map(e => [e.textContent, e.getBoundingClientRect().width]))"
        let table = "Object.fromEntries([...document.querySelectorAll('#function-table tbody tr')].map(r => [r.dataset.function, Number(r.children[3].textContent.replace(/,/g, ''))]))"
        let outcome = try ReportBrowser.run(page: path, [
            .evaluate(table),                                                             // 0: whole run
            .click(".span-row[data-span='0000000000000002']"),
            .evaluate(table),                                                             // 2
            .evaluate("document.getElementById('flame-title').textContent"),              // 3
            .screenshot(screenshot),
            .click(".span-row[data-span='0000000000000003']"),
            .evaluate(table),                                                             // 6
            .click(".span-row[data-span='0000000000000004']"),
            .evaluate(drawn),                                                             // 8
            .click("#whole-run"),
            .evaluate(table),                                                             // 10
        ])
        print("span selection screenshot: \(screenshot)")
        #expect(outcome.exceptions.isEmpty, "\(outcome.exceptions)")
        func totals(_ step: Int) -> [String: Double] { outcome.results[step] as? [String: Double] ?? [:] }
        #expect(totals(0) == ["main": 1000, "grows": 500, "rest": 500, "worker": 1000, "other": 1000])
        #expect(totals(2) == ["main": 500, "grows": 500, "worker": 500, "other": 500], "0–499 ms of app's threads")
        #expect(outcome.string(3) == "Flame graph: CPU time of span “first half” (1,000 samples)")
        #expect(totals(6) == ["worker": 500, "other": 500], "500–999 ms of thread 2 only")
        #expect((outcome.results[8] as? [String: Double])?.isEmpty == true, "no sample of pid 99")
        #expect(totals(10) == totals(0))
    }
}
