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

    @Test("names that do not pack are found too, by name and tag")
    func names() {
        var index = WordIndex()
        let names = ["5500", "1234567890-long", "Kasse-Æ", "e\u{301}", "none"]
        for (i, name) in names.enumerated() {
            index.set(i, name: name, tag: 1)
            index.set(i + 100, name: name, tag: 2)
        }
        #expect(index.count == 10)
        for (i, name) in names.enumerated() {
            #expect(index[name, 1] == i && index[name, 2] == i + 100 && index[name, 3] == nil, "\(name)")
        }
        #expect(index["\u{E9}", 1] == 3)  // canonically equal to e + combining acute, as String compares
        #expect(index["1234567890-lon", 1] == nil)
    }
}
