import Foundation

/// Removes credentials from text that is about to be shown, logged or put in a span.
public enum Redaction {
    /// `scheme://user:secret@host/…` → `scheme://user:***@host/…`; also masks `password=` in
    /// libpq key/value strings and URL query parameters.
    public static func redactingCredentials(in text: String) -> String {
        var result = text
        if let scheme = result.range(of: "://") {
            let authorityEnd = result[scheme.upperBound...].firstIndex(where: { "/?#".contains($0) }) ?? result.endIndex
            let authority = result[scheme.upperBound..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                let user = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
                let masked = userInfo.contains(":") ? "\(user):***" : String(user)
                result.replaceSubrange(authority.startIndex..<at, with: masked)
            }
        }
        for key in ["password=", "password ="] {
            var searchStart = result.startIndex
            while let range = result.range(of: key, options: [.caseInsensitive], range: searchStart..<result.endIndex) {
                let valueEnd = result[range.upperBound...].firstIndex(where: { " &;".contains($0) }) ?? result.endIndex
                result.replaceSubrange(range.upperBound..<valueEnd, with: "***")
                searchStart = result.index(range.upperBound, offsetBy: 3, limitedBy: result.endIndex) ?? result.endIndex
            }
        }
        return result
    }
}
