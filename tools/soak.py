#!/usr/bin/env python3
"""./k42 soak: the long hostile run (docs/soak.md), not part of ./k42 test.

Boots tests/soak_test as init with 1,000,000 random kernel calls per round
(from several processes at once), IPC fuzzing of every generated interface
and the attacks of issue 12, repeated for --minutes; passes when the soak
prints its PASS line, nothing panicked or hung, and QEMU exited 0. Prints
the rounds' figures (calls/s, free frames) at the end."""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k42qemu  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="soak k42 with hostile load")
    ap.add_argument("--build", required=True)
    ap.add_argument("--calls", type=int, default=1000000, help="kernel calls per round")
    ap.add_argument("--fuzzers", type=int, default=4, help="fuzzing processes at once")
    ap.add_argument("--ipc", type=int, default=100000, help="IPC calls per round")
    ap.add_argument("--minutes", type=float, default=10.0, help="keep starting rounds this long")
    ap.add_argument("--rounds", type=int, default=2, help="at least this many rounds")
    ap.add_argument("-v", action="store_true", help="print the whole console log")
    args = ap.parse_args()
    build = k42qemu.Build(args.build)
    append = "init=/tests/soak_test -- calls=%d fuzzers=%d ipc=%d rounds=%d seconds=%d" % (
        args.calls, args.fuzzers, args.ipc, args.rounds, int(args.minutes * 60))
    timeout = args.minutes * 60 * 1.5 + 600
    print("k42 soak: %s (timeout %.0f s)" % (append, timeout), flush=True)
    res = k42qemu.run(k42qemu.command(build, append=append), timeout=timeout)
    out = k42qemu.symbolize(res.output, build.kernel_elf)
    if args.v:
        sys.stdout.write(out)
    else:
        for line in out.splitlines():
            if re.search(r"SOAK|UTEST|FAILED|PANIC|panic|fuzzer:|ipc_fuzzer:", line):
                print(line)
    problems = []
    if res.timed_out:
        problems.append("hung: timed out after %.0f s" % timeout)
    if re.search(r"PANIC|unexpected exception", out):
        problems.append("the kernel panicked")
    if "UTEST PASS soak_test" not in out:
        problems.append("no PASS line")
    if res.status != 0:
        problems.append("QEMU exit status %s" % res.status)
    print("k42 soak: %s after %.0f s" % ("PASS" if not problems else "FAIL: " + "; ".join(problems),
                                         res.seconds))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
