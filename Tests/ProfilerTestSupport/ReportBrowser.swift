import Foundation

/// Opens a report page in Debian's headless Chromium with no network and runs steps through the DevTools
/// protocol (`Tests/Fixtures/report_browser.py`): real mouse clicks and typing, DOM queries, screenshots.
public enum ReportBrowser {
    public enum Step {
        /// A JavaScript expression whose value comes back in ``Outcome/results``.
        case evaluate(String)
        /// A real mouse click at the centre of the first element matching the CSS selector.
        case click(String)
        case hover(String)
        /// Clicks the element, then types the text.
        case type(String, String)
        /// A PNG of the viewport.
        case screenshot(String)

        var json: [String: Any] {
            switch self {
            case .evaluate(let expression): ["evaluate": expression]
            case .click(let selector): ["click": selector]
            case .hover(let selector): ["hover": selector]
            case .type(let selector, let text): ["type": [selector, text]]
            case .screenshot(let path): ["screenshot": path]
            }
        }
    }

    public struct Outcome {
        /// One value per step, as JSON decoded it (`String`, `NSNumber`, `[Any]`, `[String: Any]`, `NSNull`).
        public let results: [Any]
        /// Every URL the page asked for, the page itself included.
        public let requests: [String]
        /// Uncaught JavaScript errors.
        public let exceptions: [String]
        /// Console messages and browser log entries (a refused request would be here).
        public let console: [String]

        public func string(_ step: Int) -> String? { results[step] as? String }
        public func number(_ step: Int) -> Double? { (results[step] as? NSNumber)?.doubleValue }
        public func strings(_ step: Int) -> [String] { results[step] as? [String] ?? [] }
        public func bool(_ step: Int) -> Bool? { (results[step] as? NSNumber)?.boolValue }
    }

    public static func run(page: String, _ steps: [Step]) throws -> Outcome {
        let script = Fixture.sourceDirectory.appendingPathComponent("report_browser.py").path
        let stepsJSON = String(decoding: try JSONSerialization.data(withJSONObject: steps.map(\.json)), as: UTF8.self)
        let result = try ExternalTool.run("/usr/bin/python3", [script, page, stepsJSON])
        guard result.status == 0 else { throw FixtureError(result.standardError) }
        guard let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8), options: [.fragmentsAllowed]) as? [String: Any]
        else { throw FixtureError("report_browser.py printed no JSON object: \(result.standardOutput.prefix(500))") }
        return Outcome(results: object["results"] as? [Any] ?? [], requests: object["requests"] as? [String] ?? [],
                       exceptions: object["exceptions"] as? [String] ?? [], console: object["console"] as? [String] ?? [])
    }

    /// Where a test leaves files for a person to look at: `.build/test-output/NAME/` in the package.
    public static func outputDirectory(_ name: String) throws -> URL {
        let directory = Fixture.sourceDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/test-output/\(name)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
