import Testing
@testable import HybridRun
import Telemetry

@Suite struct CIContextTests {
    @Test func readsGitHubActions() throws {
        let ci = try #require(CIContext.detect([
            "GITHUB_ACTIONS": "true", "GITHUB_WORKFLOW": "CI", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_JOB": "test",
        ]))
        #expect(ci.resourceAttributes == [KeyValue(key: "cicd.pipeline.name", value: "CI"), KeyValue(key: "cicd.pipeline.run.id", value: "42-2")])
        #expect(ci.taskAttributes.first == KeyValue(key: "cicd.pipeline.task.name", value: "test"))
    }

    @Test func readsGitLab() throws {
        let ci = try #require(CIContext.detect(["GITLAB_CI": "true", "CI_PROJECT_PATH": "g/p", "CI_PIPELINE_ID": "9", "CI_JOB_NAME": "bench", "CI_JOB_ID": "11"]))
        #expect(ci.system == "gitlab_ci")
        #expect(ci.taskAttributes == [KeyValue(key: "cicd.pipeline.task.name", value: "bench"), KeyValue(key: "cicd.pipeline.task.run.id", value: "11")])
    }

    @Test func findsNothingOutsideCI() {
        #expect(CIContext.detect(["CI": "true", "HOME": "/root"]) == nil)
    }
}
