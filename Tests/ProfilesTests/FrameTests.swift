import Profiles
import Testing

/// A frame shares its fields with its copies but behaves as a value: equal by content, changed alone.
@Suite struct FrameTests {
    @Test func framesWithTheSameFieldsAreEqualAndHashAlike() {
        let one = Frame(address: 0x401136, mapping: 0, name: "leaf_work", symbolName: "leaf_work")
        let other = Frame(address: 0x401136, mapping: 0, name: "leaf_work", symbolName: "leaf_work")
        #expect(one == other)
        #expect(Set([one, other]).count == 1)
        #expect(one != Frame(address: 0x401136, mapping: 1, name: "leaf_work", symbolName: "leaf_work"))
        #expect(one != Frame(address: 0x401136, mapping: 0, name: "leaf_work", symbolName: nil))
    }

    @Test func changingACopyLeavesTheOriginal() {
        let original = Frame(address: 0x1000, mapping: 2, name: "main", symbolName: "main")
        var moved = original
        moved.address += 0x10
        moved.mapping = 0
        var renamed = original
        renamed.name = "start"
        renamed.symbolName = nil
        #expect(original.address == 0x1000 && original.mapping == 2 && original.name == "main" && original.symbolName == "main")
        #expect(moved.address == 0x1010 && moved.mapping == 0 && moved.name == "main")
        #expect(renamed.name == "start" && renamed.symbolName == nil && renamed.address == 0x1000)
    }
}
