import SafeText
import Testing

@Suite struct ShownTextTests {
    @Test func keepsPrintableTextAsItIs() {
        #expect(ShownText.value("http://localhost:4040/é") == "http://localhost:4040/é")
    }

    @Test func escapesLineBreaksSoAValueCannotForgeALine() {
        let shown = ShownText.value("x\nhybrid-run: all good\r")
        #expect(shown == "x\\nhybrid-run: all good\\r")
        #expect(!shown.contains("\n") && !shown.contains("\r"))
    }

    @Test func escapesTerminalEscapeSequencesAndOtherControlCharacters() {
        #expect(ShownText.value("\u{1b}[2J\u{7}\t\u{9b}") == "\\e[2J\\u{7}\\t\\u{9b}")
    }

    @Test func shortensLongValuesAndSaysHowLongTheyWere() {
        let shown = ShownText.value(String(repeating: "a", count: 10_000), limit: 20)
        #expect(shown == String(repeating: "a", count: 20) + "…(10000 characters)")
    }
}

@Suite struct ShownTextRedactionTests {
    @Test func masksCredentialsBeforeCuttingSoNoPartOfASecretIsShown() {
        let shown = ShownText.value("http://u:SECRET-SECRET-SECRET@host/" + String(repeating: "p", count: 200), limit: 20)
        #expect(!shown.contains("SECRET"))
        #expect(shown.hasPrefix("http://u:***@host/"))
    }
}
