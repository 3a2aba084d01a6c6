import Telemetry

/// The CI/CD pipeline and task a run belongs to, read from the CI system's own environment.
///
/// Attribute names follow the OpenTelemetry CI/CD semantic conventions: pipeline attributes describe the
/// whole run (resource), task attributes this step (the root span).
public struct CIContext: Sendable, Equatable {
    public var system: String
    public var pipelineName: String?
    public var pipelineRunID: String?
    public var taskName: String?
    public var taskRunID: String?

    /// Recognizes GitHub Actions, GitLab CI, Jenkins, CircleCI, Buildkite and Azure Pipelines; `nil` elsewhere.
    public static func detect(_ environment: [String: String]) -> CIContext? {
        let value = { (name: String) in environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if value("GITHUB_ACTIONS") == "true" {
            let attempt = value("GITHUB_RUN_ATTEMPT").map { "-\($0)" } ?? ""
            return CIContext(system: "github_actions", pipelineName: value("GITHUB_WORKFLOW"),
                             pipelineRunID: value("GITHUB_RUN_ID").map { $0 + attempt },
                             taskName: value("GITHUB_JOB"), taskRunID: value("GITHUB_RUN_ID").map { "\($0)\(attempt)/\(value("GITHUB_JOB") ?? "")" })
        }
        if value("GITLAB_CI") == "true" {
            return CIContext(system: "gitlab_ci", pipelineName: value("CI_PIPELINE_NAME") ?? value("CI_PROJECT_PATH"),
                             pipelineRunID: value("CI_PIPELINE_ID"), taskName: value("CI_JOB_NAME"), taskRunID: value("CI_JOB_ID"))
        }
        if value("JENKINS_URL") != nil, let job = value("JOB_NAME") {
            return CIContext(system: "jenkins", pipelineName: job, pipelineRunID: value("BUILD_ID") ?? value("BUILD_NUMBER"),
                             taskName: value("STAGE_NAME"), taskRunID: nil)
        }
        if value("CIRCLECI") == "true" {
            return CIContext(system: "circleci", pipelineName: value("CIRCLE_PROJECT_REPONAME"), pipelineRunID: value("CIRCLE_WORKFLOW_ID"),
                             taskName: value("CIRCLE_JOB"), taskRunID: value("CIRCLE_BUILD_NUM"))
        }
        if value("BUILDKITE") == "true" {
            return CIContext(system: "buildkite", pipelineName: value("BUILDKITE_PIPELINE_SLUG"), pipelineRunID: value("BUILDKITE_BUILD_ID"),
                             taskName: value("BUILDKITE_LABEL") ?? value("BUILDKITE_STEP_KEY"), taskRunID: value("BUILDKITE_JOB_ID"))
        }
        if value("TF_BUILD") == "True" || value("TF_BUILD") == "true" {
            return CIContext(system: "azure_pipelines", pipelineName: value("BUILD_DEFINITIONNAME"), pipelineRunID: value("BUILD_BUILDID"),
                             taskName: value("SYSTEM_JOBDISPLAYNAME"), taskRunID: value("SYSTEM_JOBID"))
        }
        return nil
    }

    /// `cicd.pipeline.*` for the resource of hybrid-run's spans.
    public var resourceAttributes: [KeyValue] {
        [("cicd.pipeline.name", pipelineName), ("cicd.pipeline.run.id", pipelineRunID)]
            .compactMap { key, value in value.map { KeyValue(key: key, value: $0) } }
    }

    /// `cicd.pipeline.task.*` for the root span.
    public var taskAttributes: [KeyValue] {
        [("cicd.pipeline.task.name", taskName), ("cicd.pipeline.task.run.id", taskRunID)]
            .compactMap { key, value in value.map { KeyValue(key: key, value: $0) } }
    }
}
