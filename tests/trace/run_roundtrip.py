#!/usr/bin/env python3
"""Round trip, checking half: run trace-roundtrip (the C writer, under
ASan/UBSan), decode its dumps with k42trace and compare with what it says
it logged, event by event. A wrapped ring must hold exactly the newest
events; a whole ring every event; dropped events must be counted as lost.
Also runs every k42trace command on the dumps (no errors, no tracebacks).

usage: run_roundtrip.py TRACE-ROUNDTRIP-EXE
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

from k42trace import decode, dump, fmt, table  # noqa: E402
from k42trace.cli import main as cli_main  # noqa: E402

WRAPS = {"flight-wrap"}       # cases whose ring is expected to overwrite old blocks


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_case(name, path, expected, tbl):
    tr = decode.decode(dump.load(path), tbl)
    bad = [str(d) for d in tr.diags if d.severity in (decode.ERROR, decode.WARNING)]
    if bad:
        fail("%s: decoder reported problems:\n  %s" % (name, "\n  ".join(bad[:10])))
    if len(tr.dump.segments) == 0:
        fail("%s: no segments" % name)
    total_logged = total_dropped = 0
    for cpu in sorted({e["cpu"] for e in expected}):
        exp = [e for e in expected if e["cpu"] == cpu and not e["dropped"]]
        dropped = sum(1 for e in expected if e["cpu"] == cpu and e["dropped"])
        got = [e for e in tr.events if e.cpu == cpu and not e.is_control()]
        got.sort(key=lambda e: (e.seq, e.word))
        st = tr.stats[cpu]
        if not got:
            fail("%s cpu %d: nothing decoded" % (name, cpu))
        # Where does the decoded part start in what was logged?
        start = next((i for i, e in enumerate(exp) if e["ts"] == got[0].ts), None)
        if start is None:
            fail("%s cpu %d: first decoded event (ts %d) was never logged" % (name, cpu, got[0].ts))
        if name in WRAPS:
            if st.overwritten == 0 or start == 0:
                fail("%s cpu %d: the ring was expected to wrap" % (name, cpu))
            if got[0].word not in (fmt.BLOCK_HDR_WORDS, fmt.BLOCK_HDR_WORDS + fmt.LOST_WORDS):
                fail("%s cpu %d: oldest decoded event is not at a block start" % (name, cpu))
        elif start != 0:
            fail("%s cpu %d: %d oldest events missing from a ring that did not wrap"
                 % (name, cpu, start))
        want = exp[start:]
        if len(want) != len(got):
            fail("%s cpu %d: logged %d events since the oldest retained, decoded %d"
                 % (name, cpu, len(want), len(got)))
        for i, (w, g) in enumerate(zip(want, got)):
            where = "%s cpu %d event %d (block %d word %d)" % (name, cpu, start + i, g.seq, g.word)
            if g.ts != w["ts"]:
                fail("%s: timestamp %d, logged %d" % (where, g.ts, w["ts"]))
            if [g.layer, g.major, g.minor] != w["id"]:
                fail("%s: id %s, logged %s" % (where, [g.layer, g.major, g.minor], w["id"]))
            if list(g.payload) != w["w"]:
                fail("%s: payload %s, logged %s" % (where, list(g.payload), w["w"]))
            if w["id"][1] == 60:
                if g.ev is not None or g.name != "unknown.%d.60.%d" % (w["id"][0], w["id"][2]):
                    fail("%s: unknown event not decoded raw (%s)" % (where, g.name))
            elif g.ev is None:
                fail("%s: table event decoded as unknown" % where)
            else:
                strs = [v for f, v in zip(g.ev.fields, g.ev.values(g.payload)) if f.is_str]
                if strs != w["s"]:
                    fail("%s: strings %s, logged %s" % (where, strs, w["s"]))
                g.text()        # formatting must not fail
        lost = st.lost_reported + st.lost_unreported
        if name not in WRAPS and lost != dropped:
            fail("%s cpu %d: %d events dropped, decoder counts %d lost" % (name, cpu, dropped, lost))
        total_logged += len(want)
        total_dropped += dropped
    print("%s: %d events compared, %d dropped and counted, %d segments"
          % (name, total_logged, total_dropped, len(tr.dump.segments)))
    return total_logged


def main():
    if len(sys.argv) != 2:
        print("usage: run_roundtrip.py TRACE-ROUNDTRIP-EXE")
        return 2
    tbl = table.load(table.default_path())
    with tempfile.TemporaryDirectory(prefix="k42trace-rt-") as tmp:
        r = subprocess.run([sys.argv[1], tmp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=240)
        sys.stdout.write(r.stdout)
        if r.returncode != 0:
            fail("trace-roundtrip exited with %d" % r.returncode)
        expected = {}
        with open(os.path.join(tmp, "expected.jsonl"), encoding="utf-8") as f:
            for line in f:
                e = json.loads(line)
                expected.setdefault(e["case"], []).append(e)
        kinds = set()
        for name, exp in expected.items():
            check_case(name, os.path.join(tmp, name + ".k42t"), exp, tbl)
            kinds |= {tuple(e["id"]) for e in exp if not e["dropped"]}
        table_ids = {e.key for e in tbl.live_events() if not e.cls.internal}
        if not table_ids <= kinds:
            fail("events never exercised: %s" % sorted(table_ids - kinds))
        if "stream" in expected and not any(e["dropped"] for e in expected["stream"]):
            fail("stream case dropped nothing: the consumer never fell behind")
        # Every command on every dump: exit 0, no traceback.
        for name in expected:
            path = os.path.join(tmp, name + ".k42t")
            for argv in (["check", path], ["text", path, "-o", os.path.join(tmp, "t.txt")],
                         ["summary", path, "-o", os.path.join(tmp, "s.txt")],
                         ["json", path, "-o", os.path.join(tmp, "t.json")],
                         ["png", path, "-o", os.path.join(tmp, "t.png")],
                         ["png", path, "--kind", "histogram", "-o", os.path.join(tmp, "h.png")]):
                rc = cli_main(argv)
                if rc != 0:
                    fail("k42trace %s exited %d" % (" ".join(argv), rc))
    print("PASS: roundtrip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
