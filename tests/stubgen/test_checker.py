"""Unit tests of the checker and layout: name resolution, attributes,
struct layouts and the placement of parameters in messages."""

import time
import unittest

from sgtest import compile_text, error_of, iface
import stubgen


class ResolveTest(unittest.TestCase):
    def test_constants_size_bounds_and_arrays(self):
        i = compile_text(iface("const n = 12;\nstruct s { u16 a[n]; }\n"
                               "1: f(in string<n> x, out bytes<n> y);"))
        self.assertEqual(i.structs[0].fields[0].rtype.count, 12)
        p = i.methods[0].params
        self.assertEqual((p[0].rtype.max, p[1].rtype.max), (12, 12))

    def test_forward_references(self):
        i = compile_text(iface("1: f(in a x);\nstruct a { b y; }\n"
                               "enum b : u8 { z = 1 }"))
        self.assertEqual(i.methods[0].params[0].rtype.decl.name, "a")

    def test_attributes(self):
        i = compile_text(iface(
            "rights { r = 0, w = 63 }\n@rights(w, r) @since(2)\n1: f();\n"
            "@oneway\n2: g(in u8 x);", header="id 1 version 2"))
        f, g = i.methods
        self.assertEqual([r.name for r in f.rights], ["w", "r"])
        self.assertEqual((f.since, f.oneway, g.oneway), (2, False, True))

    def test_ordinal_reuse_across_reserved(self):
        self.assertEqual(error_of(iface("reserved 3;\n3: f();")),
                         "3:1: error: ordinal 3 is reserved (at 2:10) and "
                         "can never be used again")

    def test_generated_name_clash(self):
        msg = error_of(iface("1: f();\n2: f_impl();"))
        self.assertIn("generates the C name 't_f_impl'", msg)

    def test_interface_name_must_match_file(self):
        self.assertIn("must be declared in a file named 'x.idl'",
                      error_of(iface("", name="x"), name="y"))


class StructLayoutTest(unittest.TestCase):
    def layout(self, body):
        i = compile_text(iface(body))
        return {s.name: s for s in i.structs}

    def test_natural_alignment_and_padding(self):
        s = self.layout("struct p { u8 a; u32 b; u16 c; }")["p"]
        self.assertEqual([f.offset for f in s.fields], [0, 4, 8])
        self.assertEqual((s.size, s.align, s.padded), (12, 4, True))
        self.assertFalse(s.needs_check)

    def test_nested_padding_and_checks_propagate(self):
        ss = self.layout("struct in1 { u32 a; bool b; }\n"
                         "struct out1 { u64 x; in1 y[2]; }\n"
                         "struct flat { u32 a; u32 b; }")
        self.assertEqual((ss["in1"].size, ss["out1"].size), (8, 24))
        self.assertTrue(ss["out1"].padded)      # padding inside in1
        self.assertTrue(ss["out1"].needs_check)  # bool inside in1
        self.assertFalse(ss["flat"].padded)

    def test_enum_and_handle_sizes(self):
        s = self.layout("enum e : i16 { a = 0 }\n"
                        "struct s { e x; handle h; u8 y; }")["s"]
        self.assertEqual([f.offset for f in s.fields], [0, 8, 16])
        self.assertEqual(s.size, 24)

    def test_deep_nesting_does_not_recurse(self):
        body = "\n".join("struct s%d { s%d x; }" % (k, k + 1)
                         for k in range(3000)) + "\nstruct s3000 { u8 y; }"
        s = self.layout(body)["s0"]
        self.assertEqual(s.size, 1)


class MessageLayoutTest(unittest.TestCase):
    def method(self, params, extra=""):
        return compile_text(iface(extra + "\n1: f(%s);" % params)).methods[0]

    def test_words_then_spill(self):
        m = self.method(", ".join("in u8 a%d" % k for k in range(8)))
        L = m.request
        self.assertEqual([w.word for w in L.words[:6]], list(range(6)))
        self.assertEqual([w.offset for w in L.spills], [0, 8])
        self.assertEqual((L.fixed_end, L.max_len), (16, 16))

    def test_fixed_then_variable_in_order(self):
        m = self.method("in bytes<10> b, in u8 arr[3], in string<4> s, "
                        "in u32 x, out u64 y", "struct q { u64 z; }")
        L = m.request
        self.assertEqual([(w.param.name, w.role, w.word) for w in L.words],
                         [("b", "len", 0), ("s", "len", 1), ("x", "value", 2)])
        self.assertEqual([(p.name, off) for p, off in L.fixed], [("arr", 0)])
        self.assertEqual([p.name for p in L.var], ["b", "s"])
        # arr ends at 3; b at 8 (<= 10 bytes); s at align8(18) = 24.
        self.assertEqual((L.fixed_end, L.max_len), (3, 28))
        self.assertEqual([w.param.name for w in m.reply.words], ["y"])

    def test_exactly_one_page_fits(self):
        m = self.method("in u8 head[8], in bytes<4088> data")
        self.assertEqual(m.request.max_len, 4096)
        self.assertIn("request needs up to 4097 bytes",
                      error_of(iface("1: f(in u8 head[8], in bytes<4089> d);")))

    def test_inout_in_both_messages(self):
        m = self.method("inout string<5> s, in u8 a, out u8 b")
        self.assertEqual([p.name for p in m.request.params], ["s", "a"])
        self.assertEqual([p.name for p in m.reply.params], ["s", "b"])


class GuardTest(unittest.TestCase):
    def test_large_input_is_fast_and_clean(self):
        text = iface("\n".join("%d: m%d(in u32 x);" % (k, k)
                               for k in range(1, 3001)))
        start = time.monotonic()
        out = stubgen.generate(text, "t.idl")
        self.assertLess(time.monotonic() - start, 20)
        self.assertIn("t_m3000_impl", out["t.h"])

    def test_pathological_nesting_tokens(self):
        self.assertIsNotNone(error_of("interface t id 1 version 1 {" +
                                      "(" * 200000 + "}"))


if __name__ == "__main__":
    unittest.main()
