#!/usr/bin/env python3
"""Mutation fuzz test of stubgen, seeded and deterministic.

Each case mutates one real idl/*.idl file (byte and token deletions,
insertions, duplications, swaps, number and identifier changes) and runs the
generator in-process under a time limit. Every case must either produce
output or raise a located `file:line:col: error:`; a traceback or a hang is
a failure. Every distinct successful output is then compiled with
`-fsyntax-only -Wall -Wextra -Werror`, by the host gcc and by the ppc64le
compiler with the build's user-program flags, many files per invocation.

    python3 tests/stubgen/fuzz.py [--count 10000] [--seed 1] [--case N]
"""

import argparse
import glob
import hashlib
import os
import random
import re
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, REPO)

import stubgen  # noqa: E402
from stubgen.errors import StubgenError  # noqa: E402
from fuzz_compile import compile_all  # noqa: E402
from target_cc import NoTargetCompiler, target_cc  # noqa: E402
from fuzz_mutate import mutate  # noqa: E402

ERROR_RE = re.compile(r"^[^\n]+\.idl:(\d+):(\d+): error: [^\n]+$")


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run_case(text, filename, limit):
    """('ok', outputs) | ('error', message) | ('crash', traceback) | ('hang', None)"""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return "ok", stubgen.generate(text, filename)
    except StubgenError as e:
        return "error", e.format(filename)
    except Hang:
        return "hang", None
    except Exception:   # anything else is a stubgen bug
        return "crash", traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def check_message(msg, text):
    """A located, single-line message whose location lies inside the file."""
    m = ERROR_RE.match(msg)
    if not m:
        return "malformed error message"
    line, col = int(m.group(1)), int(m.group(2))
    lines = text.split("\n")
    if not 1 <= line <= len(lines) or not 1 <= col <= len(lines[line - 1]) + 1:
        return "error location %d:%d outside the file" % (line, col)
    return None


def main():
    ap = argparse.ArgumentParser(description="stubgen mutation fuzzer")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--case", type=int, help="run only this case number")
    ap.add_argument("--time-limit", type=float, default=2.0,
                    help="seconds allowed per mutation")
    ap.add_argument("--host-only", action="store_true",
                    help="compile the outputs with the host gcc only (by hand, "
                         "outside meson)")
    ap.add_argument("--cc", default=os.environ.get("CC_FOR_FUZZ", "gcc"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--keep", help="write failing cases into this directory")
    args = ap.parse_args()
    target = None
    if not args.host_only:
        try:
            target = target_cc()
        except NoTargetCompiler as e:
            sys.exit("fuzz: %s (or pass --host-only)" % e)

    srcs = []
    for path in sorted(glob.glob(os.path.join(REPO, "idl", "*.idl"))):
        with open(path, encoding="utf-8") as f:
            srcs.append((os.path.basename(path), f.read()))
    if not srcs:
        sys.exit("fuzz: no idl/*.idl files")
    print("fuzz: seed %d, %d mutations of %s (reproduce one case with "
          "--seed %d --case N)" % (args.seed, args.count,
                                   ", ".join(n for n, _ in srcs), args.seed))
    start = time.monotonic()
    counts = {"ok": 0, "error": 0, "crash": 0, "hang": 0, "badmsg": 0}
    failures = []
    distinct = {}
    cases = [args.case] if args.case is not None else range(args.count)
    for n in cases:
        rng = random.Random("%d:%d" % (args.seed, n))
        name, base = srcs[rng.randrange(len(srcs))]
        text, ops = mutate(rng, base)
        kind, result = run_case(text, name, args.time_limit)
        counts[kind] += 1
        if kind == "ok":
            key = hashlib.sha1("".join(result.values()).encode()).hexdigest()
            distinct.setdefault(key, (n, result))
        elif kind == "error":
            why = check_message(result, text)
            if why:
                counts["badmsg"] += 1
                failures.append((n, name, ops, text, "%s: %r" % (why, result)))
        else:
            failures.append((n, name, ops, text, result or "timed out"))
    gen_time = time.monotonic() - start

    print("fuzz: %d generated (%d distinct), %d rejected with a located "
          "error, in %.1f s" % (counts["ok"], len(distinct), counts["error"],
                                gen_time))
    compiled, cc_fail = compile_all(distinct, args, REPO, target)
    for n, out in cc_fail:
        failures.append((n, "", ["compile"], "", out))

    for n, name, ops, text, what in failures[:10]:
        print("FAIL case %d (%s; %s):\n%s" % (n, name, ", ".join(ops), what))
    if args.keep and failures:
        os.makedirs(args.keep, exist_ok=True)
        for n, name, ops, text, what in failures:
            if text:
                with open(os.path.join(args.keep, "case%d-%s" % (n, name)),
                          "w") as f:
                    f.write(text)
    total = time.monotonic() - start
    print("fuzz: %d tracebacks, %d hangs, %d bad messages, %d compile "
          "failures; compiled %d distinct outputs; %.1f s total"
          % (counts["crash"], counts["hang"], counts["badmsg"], len(cc_fail),
             compiled, total))
    if compiled != len(distinct):
        print("fuzz: compiled %d of %d distinct outputs" % (compiled, len(distinct)))
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
