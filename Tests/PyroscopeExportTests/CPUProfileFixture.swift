import Foundation
import PyroscopeExport

/// `Fixtures/cpu.pb.gz`: a gzipped pprof CPU profile (main → work, 3 samples of 10 ms at 100 Hz), written by
/// `Fixtures/make_cpu_profile.py` with the official profile.proto's Python code.
enum CPUProfileFixture {
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "cpu.pb", withExtension: "gz"), let data = try? Data(contentsOf: url) else {
            fatalError("Fixtures/cpu.pb.gz is missing from the test bundle")
        }
        return Array(data)
    }()

    /// The fixture's total CPU time: 3 samples of 10 ms.
    static let totalNanoseconds: Int64 = 30_000_000

    /// An upload of the fixture covering the last second, as a profiler would send it now.
    static func upload(labels: [PyroscopeLabel] = []) -> PyroscopeUpload {
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        return PyroscopeUpload(profile: bytes, startTime: now - 1_000_000_000, endTime: now, sampleRate: 100, labels: labels)
    }

    /// An application name no other test uses, so that queries of the shared receiver find only this test's uploads.
    static func uniqueApplicationName(_ test: String) -> String {
        "pyroscope-export-\(test)-\(UInt32.random(in: .min ... .max))"
    }
}
