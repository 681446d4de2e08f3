#!/usr/bin/env python3
"""kbench's figures, one boot: ticks per operation and, under -icount,
guest instructions (ticks / 0.512, docs/performance.md).

    python3 tools/kbench.py [--build build] [--smp N] [--wall]

--smp N boots N CPUs (the instruction counts stay exact under -icount,
which runs them round-robin; what changes is what the kernel chooses by
CPU count, e.g. the thread switch's quadword path at one CPU only).
--wall runs without -icount (wall-clock ticks, MTTCG above one CPU).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import k42qemu  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--wall", action="store_true")
    ap.add_argument("--timeout", type=int, default=900)
    a = ap.parse_args()
    figs, _ = bench.kbench_once(k42qemu.Build(os.path.abspath(a.build)), "kbench",
                                not a.wall, a.timeout, smp=a.smp)
    for k, v in figs.items():
        if a.wall:
            print("%-28s %12.3f ticks" % (k, v))
        else:
            print("%-28s %12.3f ticks  %10.1f insns" % (k, v, v / 0.512))
    return 0


if __name__ == "__main__":
    sys.exit(main())
