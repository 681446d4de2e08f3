#!/usr/bin/env python3
"""Regenerate <k42/trace_events.h> from abi/trace/events.tbl and compare it
with golden/trace_events.h, so that every change to the trace ABI shows up
in review as a diff of the golden file.

usage: golden.py [--update]
"""
import difflib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
GOLDEN = os.path.join(HERE, "golden", "trace_events.h")


def main():
    update = sys.argv[1:] == ["--update"]
    if sys.argv[1:] and not update:
        print(__doc__.strip().splitlines()[-1])
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "trace_events.h")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_trace.py"),
                            "--table", os.path.join(ROOT, "abi", "trace", "events.tbl"), "-o", out])
        if r.returncode != 0:
            print("FAIL: gen_trace.py failed")
            return 1
        with open(out, encoding="utf-8") as f:
            new = f.read()
    if update:
        with open(GOLDEN, "w", encoding="utf-8") as f:
            f.write(new)
        print("updated %s" % os.path.relpath(GOLDEN, ROOT))
        return 0
    try:
        with open(GOLDEN, encoding="utf-8") as f:
            old = f.read()
    except OSError:
        old = ""
    if old != new:
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), "golden/trace_events.h", "generated"))
        print("FAIL: the generated header changed; if that is intended, run "
              "python3 tests/trace/golden.py --update and commit the golden file")
        return 1
    print("PASS: golden")
    return 0


if __name__ == "__main__":
    sys.exit(main())
