import Testing

@testable import LedgerModel

@Suite("WordIndex: short names packed in a word")
struct WordIndexTests {
    @Test("names of 1 to 8 ASCII bytes pack, each to its own word; others do not")
    func packing() {
        let names = ["1", "5500", "12345678", "U25", "I25", "none", "A.1-2"]
        let words = names.compactMap(WordIndex.pack)
        #expect(words.count == names.count)
        #expect(Set(words).count == names.count)
        #expect(!words.contains(0))
        for name in ["", "123456789", "Æ1", "a\u{0}b", "e\u{301}"] {
            #expect(WordIndex.pack(name) == nil, "\(name)")
        }
    }

    @Test("values are found by word and tag, across growth, and set again in place")
    func lookups() {
        var map = WordIndex()
        for i in 1...3_000 {
            let word = WordIndex.pack(String(i))!
            map.set(i, word: word, tag: 1)
            map.set(i + 10_000, word: word, tag: 2)
        }
        #expect(map.count == 6_000)
        #expect(
            (1...3_000).allSatisfy { i in
                let word = WordIndex.pack(String(i))!
                return map[word, 1] == i && map[word, 2] == i + 10_000 && map[word, 3] == nil
            })
        map.set(7, word: WordIndex.pack("5")!, tag: 1)
        #expect(map[WordIndex.pack("5")!, 1] == 7)
        #expect(map.count == 6_000)
        #expect(map[WordIndex.pack("3001")!, 1] == nil)
    }
}
