import SafeText

/// A word starting with `-` before the command that is none of hybrid-run's options.
///
/// Its own error type, not a `ValidationError`: the one line it prints says what to do, without the usage
/// block ArgumentParser adds to validation errors.
struct UnknownOption: Error, CustomStringConvertible {
    let word: String

    var description: String { "unknown option \(ShownText.value(word)) (see hybrid-run --help)" }
}
