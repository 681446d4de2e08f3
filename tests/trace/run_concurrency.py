#!/usr/bin/env python3
"""Concurrency, checking half: run trace-concurrency (threads logging into
one buffer with injected stalls and dying writers, under ASan/UBSan), then
decode its dumps. In the final dump every committed event must be found
exactly once; in every dump (snapshots taken while writing, the stream-mode
blocks) no event may be torn, duplicated or out of order, and pending or
unwritten reservations must be skipped, never decoded.

usage: run_concurrency.py TRACE-CONCURRENCY-EXE
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

from k42trace import decode, dump, table  # noqa: E402

RAW_MAJOR = 60
M64 = (1 << 64) - 1


def mix(x):
    x = (x + 0x9e3779b97f4a7c15) & M64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def identify(e, where):
    """(tid, seq) of a decoded test event, after checking every word of it."""
    if e.ev is not None and e.ev.full_name == "app.event":
        a, b = e.payload
        if b != mix(a):
            fail("%s: torn app.event %s" % (where, [hex(w) for w in e.payload]))
        return a >> 32, a & 0xffffffff
    if e.ev is None and e.major == RAW_MAJOR and e.layer == 3 and e.minor == 7:
        p = e.payload
        if not p:
            fail("%s: raw event without payload" % where)
        tid, seq = p[0] >> 32, p[0] & 0xffffffff
        if e.length != 2 + (seq * 7 + tid) % 11:
            fail("%s: raw event of length %d for %d/%d" % (where, e.length, tid, seq))
        for k in range(1, len(p)):
            if p[k] != mix((p[0] * 16 + k) & M64):
                fail("%s: torn raw event %d/%d word %d" % (where, tid, seq, k))
        return tid, seq
    fail("%s: unexpected event %s" % (where, e.name))


def check_dump(path, tbl, committed, dead, label):
    tr = decode.decode(dump.load(path), tbl)
    errs = [str(d) for d in tr.errors]
    if errs:
        fail("%s: decoder errors:\n  %s" % (label, "\n  ".join(errs[:10])))
    seen = set()
    last = {}
    evs = [e for e in tr.events if not e.is_control()]
    evs.sort(key=lambda e: (e.cpu, e.seq, e.word))
    for e in evs:
        where = "%s block %d word %d" % (label, e.seq, e.word)
        key = identify(e, where)
        if key in seen:
            fail("%s: event %s decoded twice" % (where, key))
        if key in dead:
            fail("%s: event %s of a dead writer was decoded" % (where, key))
        if key not in committed:
            fail("%s: event %s was never logged" % (where, key))
        if key[1] <= last.get(key[0], -1):
            fail("%s: thread %d's events out of order (%d after %d)"
                 % (where, key[0], key[1], last[key[0]]))
        last[key[0]] = key[1]
        seen.add(key)
    return tr, seen


def main():
    if len(sys.argv) != 2:
        print("usage: run_concurrency.py TRACE-CONCURRENCY-EXE")
        return 2
    tbl = table.load(table.default_path())
    with tempfile.TemporaryDirectory(prefix="k42trace-conc-") as tmp:
        r = subprocess.run([sys.argv[1], tmp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=500)
        sys.stdout.write(r.stdout)
        if r.returncode != 0:
            fail("trace-concurrency exited with %d" % r.returncode)
        phases = {"flight": {"C": set(), "P": set(), "U": set()},
                  "stream": {"C": set(), "P": set(), "U": set()}}
        phase = None
        nsnaps = 0
        stream_unreported = 0
        with open(os.path.join(tmp, "expected.txt"), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if parts[:2] == ["#", "snapshots"]:
                    nsnaps = int(parts[2])
                elif parts[:2] == ["#", "stream"] and len(parts) > 2:
                    stream_unreported = int(parts[5])
                elif parts[0] == "#":
                    phase = parts[1]
                else:
                    phases[phase][parts[0]].add((int(parts[1]), int(parts[2])))
        fl = phases["flight"]
        dead = fl["P"] | fl["U"]
        if not fl["P"] or not fl["U"]:
            fail("no writer died mid-event: the test lost its teeth")
        # The final dump: everything committed is there.
        tr, seen = check_dump(os.path.join(tmp, "final.k42t"), tbl, fl["C"], dead, "final")
        missing = fl["C"] - seen
        if missing:
            fail("final: %d committed events not found, e.g. %s" % (len(missing), sorted(missing)[:5]))
        st = tr.stats[0]
        if st.pending != len(fl["P"]):
            fail("final: %d pending events reported, %d writers died after the header"
                 % (st.pending, len(fl["P"])))
        if not 1 <= st.holes <= len(fl["U"]):
            fail("final: %d holes reported for %d writers that died before writing"
                 % (st.holes, len(fl["U"])))
        print("final: %d committed events all found; %d pending and %d unwritten skipped (%d holes)"
              % (len(seen), st.pending, len(fl["U"]), st.holes))
        # Snapshots taken while writing: consistent, nothing torn.
        for i in range(nsnaps):
            trs, s = check_dump(os.path.join(tmp, "snap-%d.k42t" % i), tbl, fl["C"], dead,
                                "snapshot %d" % i)
            print("snapshot %d: %d events intact, %d pending, %d holes"
                  % (i, len(s), trs.stats[0].pending, trs.stats[0].holes))
        if nsnaps == 0:
            fail("no snapshot was taken while the writers ran")
        # Stream mode: what was not dropped or still pending is there.
        sp = phases["stream"]
        trs, s = check_dump(os.path.join(tmp, "stream.k42t"), tbl, sp["C"], set(), "stream")
        st = trs.stats[1]
        lost = st.lost_reported + st.lost_unreported
        if st.lost_unreported != stream_unreported:
            fail("stream: %d unreported losses in the dump, %d in the buffer"
                 % (st.lost_unreported, stream_unreported))
        accounted = len(s) + lost + st.pending
        # Holes may hide events (2 words at least each); without holes the
        # books must balance exactly.
        if not accounted <= len(sp["C"]) <= accounted + st.hole_words // 2:
            fail("stream: %d logged, but %d decoded + %d lost + %d pending (+ %d hole words)"
                 % (len(sp["C"]), len(s), lost, st.pending, st.hole_words))
        if not len(s) or not lost:
            fail("stream: %d decoded, %d lost: the consumer should keep some and miss some"
                 % (len(s), lost))
        print("stream: %d logged = %d decoded + %d lost + %d pending (+%d words in %d holes)"
              % (len(sp["C"]), len(s), lost, st.pending, st.hole_words, st.holes))
    print("PASS: concurrency")
    return 0


if __name__ == "__main__":
    sys.exit(main())
