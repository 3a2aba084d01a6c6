import Foundation
import ProfileExport
import Profiles
import PyroscopeExport

/// A gzipped pprof CPU profile (main → work, 3 samples of 10 ms at 100 Hz), encoded by the profiler's own
/// `PprofEncoder`, so the uploader is tested with exactly what hybrid-run sends; the stand-in decodes it with
/// the official profile.proto.
enum CPUProfileFixture {
    /// Encoded now: Pyroscope refuses profiles older than an hour.
    static func bytes(endingAt end: Int64) -> [UInt8] {
        let frames = [
            Frame(address: 0x1100, mapping: 0, name: "work", symbolName: "work"),
            Frame(address: 0x1200, mapping: 0, name: "main", symbolName: "main"),
        ]
        let profile = Profile(
            startTime: end - 1_000_000_000, endTime: end, sampleWeight: 10_000_000,
            processes: [ProcessProfile(
                pid: 7, executablePath: "/usr/bin/work",
                mappings: [Mapping(start: 0x1000, end: 0x9000, fileOffset: 0, path: "/usr/bin/work", buildID: nil)],
                threads: [ThreadProfile(tid: 7, name: "work", stacks: [StackCount(frames: frames, count: 3, cpuTime: 3 * 10_000_000)])])],
            statistics: SamplingStatistics(samplesTaken: 3))
        return PprofEncoder.encode(profile)
    }

    /// The fixture's totals per sample type (`samples`/`count`, `cpu`/`nanoseconds`): 3 samples of 10 ms.
    static let totals: [Int64] = [3, 30_000_000]

    /// An upload of the fixture covering the last second, as a profiler would send it now.
    static func upload(labels: [PyroscopeLabel] = []) -> PyroscopeUpload {
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        return PyroscopeUpload(profile: bytes(endingAt: now), startTime: now - 1_000_000_000, endTime: now, sampleRate: 100, labels: labels,
                               sampleLabelNames: PprofEncoder.stringLabelNames(sampleLabels: [:], threadNames: true))
    }

    /// An application name no other test uses, so that queries of the shared receiver find only this test's uploads.
    static func uniqueApplicationName(_ test: String) -> String {
        "pyroscope-export-\(test)-\(UInt32.random(in: .min ... .max))"
    }
}
