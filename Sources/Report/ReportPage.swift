import Foundation

/// Assembles the self-contained HTML page: the template, its style and script (embedded in the binary at
/// build time, so an installed `hybrid-run` needs no resource files) and the document as JSON.
///
/// Offline by construction: the page has no URL to load (no CDN, no font, no image), and its
/// Content-Security-Policy (`default-src 'none'`) makes the browser refuse any request a later change might add.
enum ReportPage {
    static func render(_ document: ReportDocument, title: String) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Encoding plain structs of strings and numbers cannot fail.
        let json = String(decoding: (try? encoder.encode(document)) ?? Data("{}".utf8), as: UTF8.self)
        let replacements = [
            "{{TITLE}}": escapedHTML(title),
            "{{GENERATOR}}": escapedHTML(document.generator),
            "{{STYLE}}": String(decoding: PackageResources.report_css, as: UTF8.self),
            "{{SCRIPT}}": String(decoding: PackageResources.report_js, as: UTF8.self),
            "{{DATA}}": scriptSafe(json),
        ]
        return Array(fill(String(decoding: PackageResources.report_html, as: UTF8.self), with: replacements).utf8)
    }

    /// `template` with each `{{NAME}}` replaced in one pass, so a value is never searched for placeholders.
    static func fill(_ template: String, with values: [String: String]) -> String {
        var result = ""
        var rest = template[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let key = String(rest[open.lowerBound..<close.upperBound])
            result += rest[..<open.lowerBound]
            result += values[key] ?? key
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    /// JSON that cannot end its `<script>` element early: `<` only occurs inside strings, where `\u003c`
    /// means the same (HTML's script data rules end the element at `</script` and misparse after `<!--`).
    static func scriptSafe(_ json: String) -> String {
        json.replacingOccurrences(of: "<", with: "\\u003c")
    }

    static func escapedHTML(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
