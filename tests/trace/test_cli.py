"""The k42trace outputs and command line: Chrome JSON that Perfetto can
load (checked against the trace-event format rules), PNG plots (valid
files of the asked size, whose pixels hold every process's colour and
whose title and legend, kept as PNG text, name the processes and the IPC
methods from the IDL), summary numbers on a trace whose answers are known,
and clear errors (exit status and one line, never a traceback) for bad input."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "tools")
sys.path.insert(0, TOOLS)

from k42trace import analysis, chrome, decode, dump, idlnames, plots, synth, table, text  # noqa: E402
import matplotlib.colors  # noqa: E402
import matplotlib.image  # noqa: E402
import numpy  # noqa: E402

TBL = table.load(table.default_path())
E = TBL.events


def k42trace(*args, cwd=None):
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "k42trace.py")] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       cwd=cwd)
    return r.returncode, r.stdout, r.stderr


def known_trace():
    """Two CPUs; every duration below is chosen so the summary is known."""
    a, b = synth.Ring(cpu=0), synth.Ring(cpu=1)
    a.log_event(1000, E["proc.create"], 5, 1, "hello")
    a.log_event(1000, E["disp.switch"], 1, 0, 5, 0)
    op = (0x42 << 40) | (1 << 32) | (3 << 16)
    a.log_event(1100, E["ppc.call"], 5, 9, op)              # 512 ticks = 1 us
    a.log_event(1150, E["request.begin"], 0x42, 3)
    a.log_event(1600, E["request.end"], 0x42, 3, 0)
    a.log_event(1612, E["ppc.return"], 0)
    a.log_event(2000, E["ppc.call"], 5, 9, op)              # 1024 ticks = 2 us
    a.log_event(2100, E["ppc.call"], 5, 9, (0x43 << 40))    # nested, 256 ticks
    a.log_event(2356, E["ppc.return"], -1)
    a.log_event(3024, E["ppc.return"], 0)
    a.log_event(4000, E["fault.start"], 0x1000, 1)
    a.log_event(4512, E["fault.incore"], 0x1000)            # in-core, 1 us
    a.log_event(5000, E["fault.start"], 0x2000, 1)
    a.log_event(6024, E["fault.reflect"], 0x2000, 77)       # reflected, 2 us
    b.log_event(9000, E["disp.switch"], 2, 1, 3, 1)
    b.log_event(11144, E["fault.complete"], 77)              # 5120 ticks = 10 us later
    a.log_event(6024 + 5120, E["disp.switch"], 5, 0, 1, 0)  # pid 5 ran 10144 ticks
    b.log_event(12000, E["app.marker"], 1)
    return dump.build([a.segment(), b.segment()], table_hash=TBL.hash)


def decode_bytes(data):
    return decode.decode(dump.parse(data, "known.k42t"), TBL)


class Summary(unittest.TestCase):
    def test_known_numbers(self):
        tr = decode_bytes(known_trace())
        self.assertEqual(tr.diags, [])
        an = analysis.Analysis(tr)
        m = analysis.ppc_methods(an)
        self.assertEqual(sorted(m[(0x42, 3)]), [512, 1024])
        self.assertEqual(m[(0x43, 0)], [256])
        f = analysis.fault_kinds(an)
        self.assertEqual(f["in-core"], [512])
        self.assertEqual(f["reflected (kernel part)"], [1024])
        self.assertEqual(f["reflected (until complete)"], [5120])
        self.assertEqual(analysis.requests(an)[(0x42, 3)], [450])
        procs = analysis.processes(an)
        self.assertEqual(procs[5]["running"], 6024 + 5120 - 1000)
        self.assertEqual(procs[5]["ppc"], 3)
        self.assertEqual(procs[5]["faults"], 2)
        self.assertEqual(an.proc_label(5), "5 hello")
        import io
        out = io.StringIO()
        text.summary(tr, out, an)
        s = out.getvalue()
        self.assertIn("0x42/3", s)
        self.assertRegex(s, r"0x42/3\s+2\s+3\.000\s+1\.500\s+1\.000")
        self.assertRegex(s, r"in-core\s+1\s+1\.000")
        self.assertIn("5 hello", s)
        # With an IDL that knows interface 0x42, the same rows carry its names.
        out = io.StringIO()
        text.summary(tr, out, an, idlnames.Names({0x42: ("demo", {3: "poke"})}))
        s = out.getvalue()
        self.assertRegex(s, r"\n  demo\.poke +2\s+3\.000\s+1\.500\s+1\.000")
        self.assertRegex(s, r"Server requests.*\n.*\n  demo\.poke +1 ")
        self.assertIn("0x43/0", s)

    def test_names_from_the_idl(self):
        names = idlnames.default()
        self.assertEqual(names.method(0x3, 2), "console.read_line")
        self.assertEqual(names.op((0x1 << 40) | (1 << 32) | (2 << 16)), "name.lookup")
        self.assertEqual(names.method(0x3, 99), "console.#99")
        self.assertEqual(names.method(0x77, 1), "0x77/1")
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "x.idl"), "w") as f:
                f.write("interface xy id 0x000077 version 1 {\n 1: ping();\n}\n")
            with open(os.path.join(tmp, "bad.idl"), "w") as f:
                f.write("interface {")
            self.assertEqual(idlnames.load(tmp).method(0x77, 1), "xy.ping")


def check_chrome(test, doc):
    """The trace-event format's rules that Perfetto's JSON importer relies on."""
    test.assertIsInstance(doc["traceEvents"], list)
    tracks = {}
    open_async = {}
    named = set()
    for e in doc["traceEvents"]:
        test.assertIn(e["ph"], ("M", "X", "B", "E", "i", "b", "e"), e)
        test.assertIsInstance(e["pid"], int)
        test.assertIsInstance(e["tid"], int)
        if e["ph"] == "M":
            test.assertIn(e["name"], ("process_name", "thread_name", "process_sort_index",
                                      "thread_sort_index"))
            if e["name"] == "thread_name":
                named.add((e["pid"], e["tid"]))
            continue
        test.assertIsInstance(e["ts"], (int, float))
        test.assertGreaterEqual(e["ts"], 0)
        test.assertIsInstance(e["name"], str)
        if e["ph"] == "X":
            test.assertGreaterEqual(e["dur"], 0)
            tracks.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
        elif e["ph"] == "i":
            test.assertEqual(e["s"], "t")
        elif e["ph"] in "be":
            key = (e["cat"], e["id"])
            if e["ph"] == "b":
                test.assertNotIn(key, open_async)
                open_async[key] = e["ts"]
            else:
                test.assertLessEqual(open_async.pop(key), e["ts"])
        if e["ph"] != "M":
            test.assertIn((e["pid"], e["tid"]), named, "track without a name: %s" % e)
    # Complete events on one track must nest (Perfetto drops overlaps).
    for track, spans in tracks.items():
        stack = []
        for s, t in sorted(spans, key=lambda x: (x[0], -x[1])):
            while stack and stack[-1] <= s + 1e-9:
                stack.pop()
            if stack:
                test.assertLessEqual(t, stack[-1] + 1e-6, "overlapping slices on %s" % (track,))
            stack.append(t)


def check_png(test, path, width=None):
    """A well-formed PNG (signature, chunk CRCs, IHDR first, IEND last) that
    is not blank. Returns (width, height, {text key: value}, RGB pixel set)."""
    with open(path, "rb") as f:
        data = f.read()
    test.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
    pos, chunks = 8, []
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        test.assertEqual(crc, zlib.crc32(kind + body) & 0xffffffff, kind)
        chunks.append((kind, body))
        pos += 12 + n
    kinds = [k for k, _ in chunks]
    test.assertEqual((kinds[0], kinds[-1]), (b"IHDR", b"IEND"))
    test.assertIn(b"IDAT", kinds)
    w, h = struct.unpack(">II", chunks[0][1][:8])
    if width is not None:
        test.assertEqual(w, width)
    texts = dict(b.decode("latin-1").split("\0", 1) for k, b in chunks if k == b"tEXt")
    img = matplotlib.image.imread(path)
    test.assertEqual(img.shape[:2], (h, w))
    px = (img[..., :3] * 255).round().astype(int).reshape(-1, 3)
    rgb = {tuple(int(c) for c in u) for u in numpy.unique(px, axis=0)}
    test.assertGreaterEqual(len(rgb), 3, "a blank image")
    return w, h, texts, rgb


def has_color(rgb, color):
    want = tuple(int(round(c * 255)) for c in matplotlib.colors.to_rgb(color))
    return want in rgb


class Outputs(unittest.TestCase):
    def test_chrome_json_of_known_trace(self):
        tr = decode_bytes(known_trace())
        doc = chrome.convert(tr)
        check_chrome(self, doc)
        ev = doc["traceEvents"]
        ppc = [e for e in ev if e["ph"] == "X" and e["name"].startswith("ppc 0x42/3") and e["pid"] == 0]
        self.assertEqual(sorted(e["dur"] for e in ppc), [1.0, 2.0])
        self.assertTrue(any(e["ph"] == "b" and e["name"] == "fault_io" for e in ev))
        names = {e["args"]["name"] for e in ev if e["ph"] == "M" and "name" in e["args"]}
        self.assertIn("CPU 0", names)
        self.assertIn("k42 process 5 hello", names)
        self.assertIn("disp 0", names)
        running = [e for e in ev if e["name"] == "running on CPU 0" and e["pid"] == 6]
        self.assertEqual(len(running), 1)

    def test_huge_ids_still_make_valid_tracks(self):
        r = synth.Ring(cpu=0xfffffff0)
        r.log_event(10, E["disp.switch"], 1, 0, (1 << 64) - 1, 1 << 63)
        r.log_event(20, E["ppc.call"], 1, 2, 3)
        r.log_event(30, E["ppc.return"], 0)
        r.log_event(40, E["thread.wake"], 3, 4)
        doc = chrome.convert(decode_bytes(dump.build([r.segment()])))
        check_chrome(self, doc)
        for e in doc["traceEvents"]:
            self.assertTrue(0 <= e["pid"] < 1 << 31 and 0 <= e["tid"] < 1 << 31, e)

    def test_every_output_of_the_demo(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = os.path.join(tmp, "demo.k42t")
            self.assertEqual(k42trace("demo", "-o", d)[0], 0)
            rc, out, err = k42trace("all", d, "-d", os.path.join(tmp, "out"))
            self.assertEqual(rc, 0, err)
            with open(os.path.join(tmp, "out", "trace.json")) as f:
                check_chrome(self, json.load(f))
            w, h, txt, rgb = check_png(self, os.path.join(tmp, "out", "timeline.png"), 1400)
            self.assertIn("k42 trace timeline", txt["Title"])
            for pid, name in ((1, "init"), (2, "name"), (3, "bootfs"), (4, "console")):
                self.assertIn("process %d %s" % (pid, name), txt["Description"])
                self.assertTrue(has_color(rgb, plots.proc_color(pid)), "pid %d not drawn" % pid)
            for kind, color in plots.SPAN_COLORS.items():
                self.assertTrue(has_color(rgb, color), "%s spans not drawn" % kind)
            w, h, txt, rgb = check_png(self, os.path.join(tmp, "out", "ppc-latency.png"))
            self.assertRegex(txt["Title"], r"ppc latency: \d+ spans, p50 ")
            # The methods by name from idl/*.idl, each with its count.
            self.assertRegex(txt["Description"], r"console\.read_line \(\d+\)")
            self.assertTrue(has_color(rgb, plots.PROC_COLORS[0]), "no bars")
            with open(os.path.join(tmp, "out", "summary.txt")) as f:
                s = f.read()
            for head in ("PPC calls by method", "Page faults", "Processes", "Buffers"):
                self.assertIn(head, s)
            self.assertRegex(s, r"\n  console\.read_line +\d+ ")
            self.assertRegex(s, r"\n  file\.open +\d+ ")
            self.assertNotRegex(s, r"0x[0-9a-f]+/\d")
            with open(os.path.join(tmp, "out", "trace.json")) as f:
                self.assertIn('"ppc name.lookup"', f.read())
            with open(os.path.join(tmp, "out", "trace.txt")) as f:
                lines = f.read().splitlines()
            self.assertGreater(len(lines), 1000)
            self.assertRegex(lines[2], r"^\s+0\.000000000\s+\d+ \w+\s+\w+\.\w+")
            rc, out, err = k42trace("text", d, "--cpu", "1", "--class", "ppc")
            self.assertEqual(rc, 0)
            body = [l for l in out.splitlines() if not l.startswith("#")]
            self.assertTrue(body and all(" ppc." in l and l.split()[1] == "1" for l in body))
            rc, out, err = k42trace("png", d, "--kind", "histogram", "--span", "request",
                                    "-o", os.path.join(tmp, "r.png"), "--width", "700")
            self.assertEqual(rc, 0, err)
            w, h, txt, rgb = check_png(self, os.path.join(tmp, "r.png"), 700)
            self.assertIn("request latency", txt["Title"])
            self.assertRegex(txt["Description"], r"file\.readdir \(\d+\)")

    def test_histogram_without_data(self):
        r = synth.Ring()
        r.log_event(5, E["app.marker"], 1)
        tr = decode_bytes(dump.build([r.segment()]))
        with tempfile.TemporaryDirectory() as tmp:
            plots.histogram(tr, os.path.join(tmp, "h.png"))
            plots.timeline(tr, os.path.join(tmp, "t.png"))
            _, _, txt, _ = check_png(self, os.path.join(tmp, "h.png"))
            self.assertIn("no ppc spans in this trace", txt["Title"])
            check_png(self, os.path.join(tmp, "t.png"))

    def test_module_entry_point(self):
        r = subprocess.run([sys.executable, "-m", "k42trace", "--help"], cwd=TOOLS,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("summary", r.stdout)


class Errors(unittest.TestCase):
    def assertClean(self, rc, err, want_rc, *words):
        self.assertEqual(rc, want_rc, err)
        self.assertNotIn("Traceback", err)
        for w in words:
            self.assertIn(w, err)

    def test_bad_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = known_trace()
            cases = {"empty": b"", "short": good[:100], "garbage": b"hello world" * 20,
                     "cut": good[:-1]}
            for name, data in cases.items():
                p = os.path.join(tmp, name)
                with open(p, "wb") as f:
                    f.write(data)
                for cmd in ("text", "summary", "check"):
                    rc, out, err = k42trace(cmd, p)
                    self.assertClean(rc, err, 1, "k42trace: error: ")
                    self.assertEqual(len(err.strip().splitlines()), 1, err)
            rc, out, err = k42trace("text", os.path.join(tmp, "missing"))
            self.assertClean(rc, err, 1, "cannot read")
            rc, out, err = k42trace("text", os.path.join(tmp, "cut"), "--table", "/nonexistent.tbl")
            self.assertClean(rc, err, 1, "nonexistent.tbl")

    def test_corrupt_ring_needs_keep_going(self):
        r = synth.Ring(block_shift=5, ring_shift=8)
        for i in range(30):
            r.log_event(10 + i, E["app.event"], i, i)
        r.words[4] |= 0xff << 24                       # length 255 in a 32-word block
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "bad.k42t")
            with open(p, "wb") as f:
                f.write(dump.build([r.segment()]))
            rc, out, err = k42trace("text", p)
            self.assertClean(rc, err, 1, "bad event length 255", "block 0, word 4", "--keep-going")
            self.assertEqual(out, "")
            rc, out, err = k42trace("text", p, "--keep-going")
            self.assertClean(rc, err, 0, "bad event length 255")
            self.assertIn("app.event", out)

    def test_usage_errors(self):
        rc, out, err = k42trace()
        self.assertClean(rc, err, 2, "usage")
        rc, out, err = k42trace("json", "x.k42t")
        self.assertClean(rc, err, 2, "-o")


if __name__ == "__main__":
    unittest.main()
