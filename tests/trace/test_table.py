"""events.tbl parser and gen_trace.py: the real table is valid, and every
kind of mistake in a table gets an error naming its line."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "tools")
sys.path.insert(0, TOOLS)

from k42trace import table  # noqa: E402
from k42trace.errors import TableError  # noqa: E402

CONTROL = """
class control 0 kernel internal "machinery"
event control.block  1 (tb, seq, info) "%u %u %u"
event control.filler 2 () "filler"
event control.lost   3 (count) "%u lost"
"""


def parse(extra):
    return table.parse_text(CONTROL + extra, "t.tbl")


class RealTable(unittest.TestCase):
    def test_loads_and_has_the_required_events(self):
        t = table.load(table.default_path())
        for name in ["exc.entry", "fault.start", "fault.incore", "fault.reflect", "fault.complete",
                     "disp.switch", "ppc.call", "ppc.return", "timer.tick", "proc.create",
                     "proc.exit", "thread.switch", "thread.block", "thread.wake", "utimer.fire",
                     "request.begin", "request.end", "app.event", "app.marker",
                     "control.block", "control.filler", "control.lost"]:
            self.assertIn(name, t.events)
        layers = {c.name: c.layer_name for c in t.classes.values()}
        self.assertEqual(layers["thread"], "libk42")
        self.assertEqual(layers["request"], "server")
        self.assertEqual(layers["app"], "app")

    def test_hash_ignores_formats_but_not_numbers(self):
        a = parse('class x 5 kernel "x"\nevent x.a 1 (v) "%u"\n')
        b = parse('class x 5 kernel "x"\nevent x.a 1 (v) "value %#x"\n')
        c = parse('class x 5 kernel "x"\nevent x.a 2 (v) "%u"\n')
        self.assertEqual(a.hash, b.hash)
        self.assertNotEqual(a.hash, c.hash)

    def test_formats_render(self):
        t = parse('class x 5 kernel "x"\n'
                  'event x.a 1 (n:i64, h, s:str16) "n=%d h=%#lx s=%s 100%%"\n')
        ev = t.events["x.a"]
        words = [(1 << 64) - 5, 0xbeef] + [int.from_bytes(b"hello wo", "little"),
                                            int.from_bytes(b"rld!\0\0\0\0", "little")]
        self.assertEqual(ev.render(words), "n=-5 h=0xbeef s=hello world! 100%")
        self.assertEqual(ev.words, 5)

    def test_retired_numbers_stay_reserved(self):
        t = parse('class x 5 kernel "x"\nevent x.old 1 retired\nevent x.new 2 (v) "%u"\n')
        self.assertTrue(t.events["x.old"].retired)
        self.assertEqual([e.name for e in t.live_events() if e.cls.name == "x"], ["new"])
        with self.assertRaises(TableError):
            parse('class x 5 kernel "x"\nevent x.old 1 retired\nevent x.new 1 (v) "%u"\n')


class Mistakes(unittest.TestCase):
    CASES = [
        ('class x 1 kernel "x"\nclass y 1 kernel "y"\n', 2, "major 1 already used"),
        ('class x 1 kernel "x"\nclass x 2 kernel "y"\n', 2, "already defined"),
        ('class x 64 kernel "x"\n', 1, "out of range"),
        ('class x 1 kernal "x"\n', 1, "unknown layer"),
        ('class X 1 kernel "x"\n', 1, "bad class name"),
        ('class x 1 kernel "x\n', 1, "unterminated string"),
        ('class x 1 kernel sticky "x"\n', 1, "unknown class flag"),
        ('event y.a 1 () "a"\n', 1, "no class y"),
        ('class x 1 kernel "x"\nevent x.a 1 (v) "%u"\nevent x.b 1 (v) "%u"\n', 3, "minor 1"),
        ('class x 1 kernel "x"\nevent x.a 1 (v) "%u"\nevent x.a 2 (v) "%u"\n', 3, "already defined"),
        ('class x 1 kernel "x"\nevent x.a 0 (v) "%u"\n', 2, "out of range"),
        ('class x 1 kernel "x"\nevent x.a 1 (v, w) "%u"\n', 2, "1 conversions for 2 fields"),
        ('class x 1 kernel "x"\nevent x.a 1 (v) "%s"\n', 2, "only for str fields"),
        ('class x 1 kernel "x"\nevent x.a 1 (v:str16) "%u"\n', 2, "is a string"),
        ('class x 1 kernel "x"\nevent x.a 1 (v) "%q"\n', 2, "bad conversion"),
        ('class x 1 kernel "x"\nevent x.a 1 (v:u32) "%u"\n', 2, "bad type"),
        ('class x 1 kernel "x"\nevent x.a 1 (v:str12) "%s"\n', 2, "multiple of 8"),
        ('class x 1 kernel "x"\nevent x.a 1 (v, v) "%u %u"\n', 2, "given twice"),
        ('class x 1 kernel "x"\nevent x.a 1 (int) "%u"\n', 2, "bad field name"),
        ('class x 1 kernel "x"\nevent x.a 1 (v "%u"\n', 2, "expected"),
        ('class x 1 kernel "x"\nevent x.a 1 (v) "%u" begin s\n', 2, "never ended"),
        ('class x 1 kernel "x"\nevent x.a 1 (v) "%u" begin s/w\n', 2, "not a number field"),
        ('class x 1 kernel "x"\nevent x.a 1 (v) "%u" begin s/v\nevent x.b 2 () "b" end s\n', 2,
         "keyed in some"),
        ('class x 1 kernel "x"\nevent x.a 1 (v) "%u" during s\n', 2, "only 'begin"),
        ('class x 1 kernel "x"\nevent x.a 1 (a:str64, b:str64, c:str64, d:str64) "%s%s%s%s"\n',
         2, "fit the smallest block"),
        ('frobnicate\n', 1, "unknown keyword"),
        ('class y 7 kernel internal "y"\n', 1, "only the control class"),
    ]

    def test_each_mistake_is_located(self):
        offset = CONTROL.count("\n")
        for text, line, words in self.CASES:
            with self.subTest(text=text):
                with self.assertRaises(TableError) as cm:
                    parse(text)
                self.assertIn(words, str(cm.exception))
                self.assertEqual(cm.exception.line, line + offset, str(cm.exception))
                self.assertTrue(str(cm.exception).startswith("t.tbl:%d: " % (line + offset)))

    def test_control_class_must_match_the_core_header(self):
        with self.assertRaises(TableError) as cm:
            table.parse_text('class x 1 kernel "x"\n', "t.tbl")
        self.assertIn("class control 0 kernel internal", str(cm.exception))
        bad = CONTROL.replace("event control.lost   3", "event control.lost   4")
        with self.assertRaises(TableError) as cm:
            table.parse_text(bad, "t.tbl")
        self.assertIn("control.lost must be minor 3", str(cm.exception))


class Generator(unittest.TestCase):
    def run_gen(self, tbl_text):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "e.tbl")
            with open(path, "w") as f:
                f.write(tbl_text)
            out = os.path.join(tmp, "out.h")
            r = subprocess.run([sys.executable, os.path.join(TOOLS, "gen_trace.py"), "--table", path,
                                "-o", out, "--selftest", os.path.join(tmp, "s.h"),
                                "--depfile", os.path.join(tmp, "d")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
            text = None
            if r.returncode == 0:
                with open(out, encoding="utf-8") as f:
                    text = f.read()
            return r, text

    def test_bad_table_is_a_one_line_error(self):
        r, _ = self.run_gen(CONTROL + 'class x 1 kernel "x"\nevent x.a 1 (v) "%s"\n')
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("Traceback", r.stderr)
        self.assertRegex(r.stderr, r"^gen_trace.py: .*e.tbl:7: .*only for str fields\n$")

    def test_functions_for_every_live_event(self):
        r, text = self.run_gen(CONTROL + 'class x 9 server "x"\nevent x.a 1 (v, s:i64) "%u %d"\n'
                               'event x.gone 2 retired\nevent x.b 3 (n:str8) "%s"\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(text.startswith("/* generated by tools/gen_trace.py"))
        self.assertIn("static inline void trace_x_a(uint64_t v, int64_t s)", text)
        self.assertIn("static inline void trace_x_b(const char *n)", text)
        self.assertNotIn("trace_x_gone", text)
        self.assertNotIn("trace_control_", text)
        self.assertIn("#define K42_TRACE_MASK_X (1ull << 9)", text)
        self.assertIn("K42_TRACE_ID(K42_TRACE_LAYER_SERVER, 9, 1)", text)


if __name__ == "__main__":
    unittest.main()
