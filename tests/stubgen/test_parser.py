"""Unit tests of the parser: the AST built for each construct of the
grammar in docs/idl.md."""

import unittest

from sgtest import StubgenError, iface
from stubgen.parser import parse

SAMPLE = """
/// The doc.
interface demo id 0xabc version 3 {
    rights { read = 0, write = 5, }
    const n = 16;
    const neg = -2;
    enum e : i8 { a = -1, b = 2, }
    struct s {
        u8 x;
        /// field doc
        e kind;
        s2 inner[n];
    }
    reserved 4, 9;
    reserved 10;
    /// method doc
    @rights(read, write) @since(2)
    1: m(in u32 a, out string<n> b, inout bytes<8> c, in handle h,
         in handle<other> t, out s st, in bool flags[3]);
    @oneway
    2: ping();
}
"""


class ParserTest(unittest.TestCase):
    def setUp(self):
        self.i = parse(SAMPLE)

    def test_header(self):
        self.assertEqual((self.i.name, self.i.iface_id, self.i.version),
                         ("demo", 0xabc, 3))
        self.assertEqual(self.i.doc, ["The doc."])

    def test_rights(self):
        self.assertEqual([(r.name, r.bit) for r in self.i.rights],
                         [("read", 0), ("write", 5)])

    def test_consts_and_enums(self):
        self.assertEqual([(c.name, c.value) for c in self.i.consts],
                         [("n", 16), ("neg", -2)])
        e = self.i.enums[0]
        self.assertEqual((e.name, e.base), ("e", "i8"))
        self.assertEqual([(v.name, v.value) for v in e.values],
                         [("a", -1), ("b", 2)])

    def test_struct(self):
        s = self.i.structs[0]
        self.assertEqual([f.name for f in s.fields], ["x", "kind", "inner"])
        self.assertEqual(s.fields[1].doc, ["field doc"])
        self.assertEqual(s.fields[1].tref.kind, "named")
        self.assertEqual(s.fields[2].array.ref, "n")

    def test_reserved(self):
        self.assertEqual(self.i.reserved_ordinals(), [4, 9, 10])

    def test_methods(self):
        m, ping = self.i.methods
        self.assertEqual((m.ordinal, m.name, m.doc), (1, "m", ["method doc"]))
        self.assertEqual([a.name for a in m.attrs], ["rights", "since"])
        self.assertEqual([(p.direction, p.name) for p in m.params], [
            ("in", "a"), ("out", "b"), ("inout", "c"), ("in", "h"),
            ("in", "t"), ("out", "st"), ("in", "flags")])
        self.assertEqual(m.params[1].tref.bound.ref, "n")
        self.assertEqual(m.params[2].tref.bound.value, 8)
        self.assertEqual(m.params[4].tref.iface, "other")
        self.assertEqual(m.params[6].array.value, 3)
        self.assertEqual([a.name for a in ping.attrs], ["oneway"])
        self.assertEqual(ping.params, [])

    def test_declaration_order_kept(self):
        self.assertEqual([d.name for d in self.i.decls],
                         ["n", "neg", "e", "s", "m", "ping"])

    def test_syntax_errors_are_located(self):
        cases = {
            iface("1: f(in u32 x,);"): "2:15",
            iface("1: f(in u32 x) ;;"): "2:17",
            iface("struct s { u8 a }"): "2:17",
            "interface t id 1 version 1 { 1 f(); }": "1:32",
        }
        for text, loc in cases.items():
            with self.assertRaises(StubgenError, msg=text) as cm:
                parse(text)
            self.assertEqual(str(cm.exception.loc), loc, text)


if __name__ == "__main__":
    unittest.main()
