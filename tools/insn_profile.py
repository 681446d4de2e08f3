#!/usr/bin/env python3
"""Where the instructions of one warm null PPC round trip go.

Boots kbench under QEMU's gdb stub, lets `sys_ppc_call` be hit 50 times
(warm caches and paths), then single-steps one whole iteration of kbench's
null-call loop, up to the next `sys_ppc_call`, recording each instruction's
pc and MSR. Prints the steps per kernel or user stretch and per function
(user stretches: the first two are the server's, the last the client's in
the run documented in docs/performance.md). Usage:

    python3 tools/insn_profile.py --build build
"""
import argparse
import bisect
import collections
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import debug  # noqa: E402
import k42qemu  # noqa: E402

MSR_PR = 1 << 14

GDB_SCRIPT = r'''
import gdb
gdb.execute("hbreak sys_ppc_call")
for i in range(50):
    gdb.execute("continue", to_string=True)
gdb.execute("delete")
start = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
with open(%(out)r, "w") as out:
    n = 0
    while n < 20000:
        pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
        msr = int(gdb.parse_and_eval("$msr")) & 0xffffffffffffffff
        out.write("%%x %%x\n" %% (pc, msr))
        n += 1
        gdb.execute("stepi", to_string=True)
        if (int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff) == start:
            break
'''


def symbols(elf):
    out = subprocess.run(["powerpc64le-linux-gnu-nm", "-n", "--defined-only", elf],
                         capture_output=True, text=True, check=True).stdout
    tab = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tTwW":
            tab.append((int(p[0], 16), p[2]))
    tab.sort()
    return [a for a, _ in tab], [n for _, n in tab]


def lookup(tab, pc):
    i = bisect.bisect_right(tab[0], pc) - 1
    return tab[1][i] if i >= 0 else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    build = k42qemu.Build(args.build)
    with tempfile.TemporaryDirectory() as d:
        script, pcs = os.path.join(d, "step.py"), os.path.join(d, "pcs.txt")
        with open(script, "w") as f:
            f.write(GDB_SCRIPT % {"out": pcs})
        st, out = debug.batch(build, ["source " + script], append="init=/bench/kbench", timeout=900)
        if not os.path.exists(pcs):
            print(out)
            return 1
        rows = [tuple(int(x, 16) for x in l.split()) for l in open(pcs)]
    kern = symbols(build.kernel_elf)
    user = symbols(os.path.join(args.build, "bench/k42/kbench_server.elf"))
    client = symbols(os.path.join(args.build, "bench/k42/kbench.elf"))
    stretches, nuser = [], 0
    for pc, msr in rows:
        where = "user" if msr & MSR_PR else "kernel"
        if not stretches or stretches[-1][0] != where:
            nuser += where == "user"
            stretches.append([where, nuser, collections.Counter()])
        if where == "kernel":
            stretches[-1][2][lookup(kern, pc)] += 1
        else:
            stretches[-1][2]["server " + lookup(user, pc) + " / client " + lookup(client, pc)] += 1
    for where, _, funcs in stretches:
        print("%s: %d instructions" % (where, sum(funcs.values())))
        for fn, c in funcs.most_common():
            print("  %5d  %s" % (c, fn))
    print("total: %d instructions" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
