"""Unit tests of the IDL lexer: tokens, locations, comments, numbers and the
input guards."""

import unittest

from sgtest import StubgenError
from stubgen.lexer import MAX_SOURCE_BYTES, decode_source, tokenize


def kinds(text):
    return [(t.kind, t.value) for t in tokenize(text)]


class LexerTest(unittest.TestCase):
    def err(self, text):
        with self.assertRaises(StubgenError) as cm:
            tokenize(text)
        return "%s: %s" % (cm.exception.loc, cm.exception.message)

    def test_token_kinds(self):
        self.assertEqual(kinds("interface kv id 0x1f version 10 {}"), [
            ("kw", "interface"), ("ident", "kv"), ("ident", "id"),
            ("int", 31), ("ident", "version"), ("int", 10),
            ("punct", "{"), ("punct", "}"), ("eof", None)])

    def test_punctuation(self):
        self.assertEqual([v for _, v in kinds("<>[](),;:=@-")][:-1],
                         list("<>[](),;:=@-"))

    def test_locations(self):
        toks = tokenize("a\n  b /* x\n y */ c\n\td")
        self.assertEqual([(t.value, t.loc.line, t.loc.col) for t in toks[:-1]],
                         [("a", 1, 1), ("b", 2, 3), ("c", 3, 7), ("d", 4, 2)])

    def test_crlf(self):
        toks = tokenize("a\r\nb")
        self.assertEqual((toks[1].loc.line, toks[1].loc.col), (2, 1))

    def test_comments_dropped(self):
        self.assertEqual(kinds("// x\na /* b */ c //// d"),
                         [("ident", "a"), ("ident", "c"), ("eof", None)])

    def test_doc_comments_attach_to_next_token(self):
        toks = tokenize("/// first\n///second\n//// not doc\nx y")
        self.assertEqual(toks[0].doc, ["first", "second"])
        self.assertEqual((toks[0].doc_loc.line, toks[0].doc_loc.col), (1, 1))
        self.assertIsNone(toks[1].doc)

    def test_doc_at_eof_is_an_error(self):
        self.assertEqual(self.err("x\n  /// dangling"),
                         "2:3: doc comment does not document anything")

    def test_numbers(self):
        self.assertEqual(kinds("0 7 0x0 0XfF 4096")[:-1],
                         [("int", 0), ("int", 7), ("int", 0), ("int", 255),
                          ("int", 4096)])

    def test_bad_numbers(self):
        self.assertIn("leading zero", self.err("x 007"))
        self.assertIn("invalid hexadecimal", self.err("0x"))
        self.assertIn("invalid number '12ab'", self.err("12ab"))
        self.assertEqual(self.err("1" * 25), "1:1: number too long")

    def test_huge_number_is_cheap(self):
        # Longer than Python's int() digit limit: must not raise ValueError.
        self.assertEqual(self.err("x " + "9" * 5000), "1:3: number too long")

    def test_unterminated_comment(self):
        self.assertEqual(self.err("a\n /* b"), "2:2: unterminated block comment")

    def test_forbidden_characters(self):
        self.assertEqual(self.err("a\n// \x00"), "2:4: forbidden character U+0000")
        self.assertEqual(self.err("a\rb"), "1:2: forbidden character U+000D")
        self.assertEqual(self.err("/// \u202e\nx"),
                         "1:5: forbidden character U+202E")
        self.assertEqual(self.err("a # b"), "1:3: unexpected character '#'")
        self.assertEqual(self.err("caf\u00e9"), "1:4: unexpected character U+00E9")

    def test_unicode_in_comments_is_fine(self):
        self.assertEqual(tokenize("/// caf\u00e9\nx")[0].doc, ["caf\u00e9"])

    def test_size_guard(self):
        with self.assertRaises(StubgenError) as cm:
            decode_source(b" " * (MAX_SOURCE_BYTES + 1))
        self.assertIn("file too large", cm.exception.message)

    def test_bad_utf8(self):
        with self.assertRaises(StubgenError) as cm:
            decode_source(b"ab\n c\xff")
        self.assertEqual(str(cm.exception.loc), "2:3")


if __name__ == "__main__":
    unittest.main()
