import Foundation
import Testing
import TestSupport

/// `examples/ci/`: each file is valid for its CI system (the JSON schemas `check-jsonschema` vendors for
/// GitHub workflows and GitLab CI) and has the jobs the examples promise.
@Suite struct CIExamplesTests {
    static let root = TestEnvironment.packageRoot
    static let github = root.appendingPathComponent("examples/ci/github-actions.yml").path
    static let gitlab = root.appendingPathComponent("examples/ci/gitlab-ci.yml").path

    static func checkJSONSchema(_ schema: String, _ file: String) async throws -> RunResult {
        let tool = root.appendingPathComponent(".venv/bin/check-jsonschema")
        return try await ProcessRunner.run(tool, ["--builtin-schema", schema, file], timeout: .seconds(60))
    }

    /// The YAML as JSON, read by ruamel.yaml (check-jsonschema's own YAML reader).
    static func load(_ file: String) async throws -> [String: Any] {
        let script = "import json, sys\nfrom ruamel.yaml import YAML\nprint(json.dumps(YAML(typ='safe').load(open(sys.argv[1]))))"
        let result = try await ProcessRunner.run(try TestEnvironment.current.python, ["-c", script, file])
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any]
        else { throw YAMLError(description: "cannot read \(file) as YAML: \(result.stderr)") }
        return object
    }

    struct YAMLError: Error, CustomStringConvertible {
        var description: String
    }

    @Test(arguments: [("vendor.github-workflows", github), ("vendor.gitlab-ci", gitlab)])
    func isValidForItsCISystem(schema: String, file: String) async throws {
        let result = try await Self.checkJSONSchema(schema, file)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderr)")
    }

    /// The validator is not a rubber stamp: a job without its runner (GitHub) or its script (GitLab) fails.
    @Test func aBrokenCopyFailsValidation() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hybrid-run-ci-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let github = try String(contentsOfFile: Self.github, encoding: .utf8).replacingOccurrences(of: "    runs-on: ubuntu-24.04\n", with: "")
        let gitlab = try String(contentsOfFile: Self.gitlab, encoding: .utf8).replacingOccurrences(of: "stages:\n", with: "stages: 5\nstages_old:\n")
        try github.write(to: directory.appendingPathComponent("github.yml"), atomically: true, encoding: .utf8)
        try gitlab.write(to: directory.appendingPathComponent("gitlab.yml"), atomically: true, encoding: .utf8)
        #expect(try await Self.checkJSONSchema("vendor.github-workflows", directory.appendingPathComponent("github.yml").path).status == 1)
        #expect(try await Self.checkJSONSchema("vendor.gitlab-ci", directory.appendingPathComponent("gitlab.yml").path).status == 1)
    }

    @Test func githubProfilesInAMatrixKeepsTheFilesAndGatesOnRegressions() async throws {
        let workflow = try await Self.load(Self.github)
        let jobs = try #require(workflow["jobs"] as? [String: [String: Any]])
        let profile = try #require(jobs["profile"])
        let matrix = (profile["strategy"] as? [String: Any])?["matrix"] as? [String: Any]
        #expect(matrix?["correlation"] as? [String] == ["true", "false"])
        #expect((profile["env"] as? [String: Any])?["PYROSCOPE_TRACE_CORRELATION"] as? String == "${{ matrix.correlation }}")
        let steps = profile["steps"] as? [[String: Any]] ?? []
        let runs = steps.compactMap { $0["run"] as? String }.joined(separator: "\n")
        #expect(runs.contains("hybrid-run --rate") && runs.contains("-o profile/report.html -o profile/cpu.pb.gz -o profile/cpu.speedscope.json"))
        #expect(runs.contains("bin/hybrid-run --diff base/cpu.pb.gz profile/cpu.pb.gz --fail-above 5"))
        let upload = try #require(steps.first { ($0["uses"] as? String)?.hasPrefix("actions/upload-artifact") == true })
        #expect(upload["if"] as? String == "always()")
        let paths = ((upload["with"] as? [String: Any])?["path"] as? String) ?? ""
        #expect(["profile/report.html", "profile/cpu.pb.gz", "profile/cpu.speedscope.json"].allSatisfy(paths.contains))
        let unit = try #require(jobs["unit-tests"])
        #expect(!"\(unit)".contains("hybrid-run"), "unit tests run without profiling")
    }

    @Test func gitlabProfilesInAMatrixKeepsTheFilesAndGatesOnRegressions() async throws {
        let pipeline = try await Self.load(Self.gitlab)
        let profile = try #require(pipeline["profile"] as? [String: Any])
        let matrix = ((profile["parallel"] as? [String: Any])?["matrix"] as? [[String: Any]])?.first
        #expect(matrix?["PYROSCOPE_TRACE_CORRELATION"] as? [String] == ["true", "false"])
        let script = (profile["script"] as? [String] ?? []).joined(separator: "\n")
        #expect(script.contains("-o profile/report.html -o profile/cpu.pb.gz -o profile/cpu.speedscope.json"))
        #expect(script.contains("bin/hybrid-run --diff base/profile/cpu.pb.gz profile/cpu.pb.gz --fail-above 5"))
        let artifacts = profile["artifacts"] as? [String: Any]
        #expect(artifacts?["when"] as? String == "always" && artifacts?["paths"] as? [String] == ["profile/"])
        let unit = try #require(pipeline["unit-tests"] as? [String: Any])
        #expect(!"\(unit)".contains("hybrid-run"), "unit tests run without profiling")
    }
}
