import Testing

@testable import PyroscopeExport

struct PyroscopeLabelRulesTests {
    @Test(arguments: ["env", "ci.job", "team_2", "A.b_C"])
    func acceptsValidLabelNames(name: String) {
        #expect(PyroscopeLabelRules.problem(with: PyroscopeLabel(name: name, value: "x")) == nil)
    }

    /// Also what the distributor refuses: a leading digit (`SanitizeLegacyLabelName`) and `pyroscope_spy`, which the
    /// server adds itself (a second one is a duplicate label name).
    @Test(arguments: ["", "bad-name", "with space", "é", "__reserved", "a{b", "a=b", "1team", "9", "pyroscope_spy"])
    func refusesInvalidLabelNames(name: String) {
        #expect(PyroscopeLabelRules.problem(with: PyroscopeLabel(name: name, value: "x")) != nil)
    }

    /// The server counts bytes: 1025 two-byte characters are 2050 bytes.
    @Test(arguments: ["a,b", "a}b", String(repeating: "v", count: 2049), String(repeating: "é", count: 1025)])
    func refusesValuesTheParserWouldSplit(value: String) {
        #expect(PyroscopeLabelRules.problem(with: PyroscopeLabel(name: "k", value: value)) != nil)
    }

    @Test func acceptsValuesWithEqualsAndBraceOpen() {
        #expect(PyroscopeLabelRules.problem(with: PyroscopeLabel(name: "k", value: "a=b{c d/e")) == nil)
    }

    @Test func applicationNamesMayHoldDashAndSlash() {
        #expect(PyroscopeLabelRules.problem(withApplicationName: "team/my-app.v2") == nil)
        #expect(PyroscopeLabelRules.problem(withApplicationName: "my app") != nil)
        #expect(PyroscopeLabelRules.problem(withApplicationName: "") != nil)
    }

    @Test func sanitizingReplacesRefusedCharacters() {
        #expect(PyroscopeLabelRules.sanitizedApplicationName("my app{x}") == "my_app_x_")
        #expect(PyroscopeLabelRules.sanitizedApplicationName("") == "unknown_service")
    }

    @Test func tenantIDs() {
        #expect(PyroscopeLabelRules.problem(withTenantID: "team-a_1.(x)*!'") == nil)
        #expect(PyroscopeLabelRules.problem(withTenantID: "team a") != nil)
        #expect(PyroscopeLabelRules.problem(withTenantID: String(repeating: "t", count: 151)) != nil)
    }
}
