@testable import Report
import Testing

@Suite struct ReportPageTests {
    @Test func fillsPlaceholdersWithoutSearchingTheValues() {
        let filled = ReportPage.fill("<t>{{A}}</t><d>{{B}}</d>{{UNKNOWN}}", with: ["{{A}}": "{{B}}", "{{B}}": "b"])
        #expect(filled == "<t>{{B}}</t><d>b</d>{{UNKNOWN}}")
    }

    @Test func jsonCannotCloseItsScriptElement() {
        let json = #"{"name":"</script><script>alert(1)</script><!--"}"#
        let safe = ReportPage.scriptSafe(json)
        #expect(!safe.contains("<"))
        #expect(safe == #"{"name":"\u003c/script>\u003cscript>alert(1)\u003c/script>\u003c!--"}"#)
    }

    @Test func escapesTheTitle() {
        #expect(ReportPage.escapedHTML(#"a<b>&"c"'d"#) == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d")
    }

    /// The page names no other resource: nothing for a browser to fetch, and a policy that refuses any fetch.
    @Test func thePageLoadsNothing() {
        let page = String(decoding: RunReport(command: ["app"], exitStatus: 0, startTime: 0, endTime: 1).html(generator: "test"), as: UTF8.self)
        #expect(page.contains(#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">"#))
        for pattern in ["src=", "href=", "@import", "url(", "fetch(", "XMLHttpRequest", "http://", "https://"] {
            #expect(!page.contains(pattern), "\(pattern)")
        }
    }
}
