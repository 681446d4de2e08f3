#!/usr/bin/env python3
"""Where the instructions of one warm round trip go.

Boots kbench under QEMU's gdb stub, lets a kernel function be hit often
enough to be warm and inside the loop measured, then single-steps one
whole iteration, up to the function's next hits, recording each
instruction's pc and MSR. Prints the steps per kernel or user stretch and
per function. Three loops can be profiled:

    --op ppc   the null PPC round trip: from one `ppc_fast_call_asm` to the
               next (user stretches: the first two are the server's, the
               last the client's in the run docs/performance.md gives)
    --op pipe  the pipe round trip (kbench writes a byte, pipe_echo sends
               it back): once kbench is in its pipe loop (time_pipe), from
               one `sys_block` to the second one after it, as each side
               sleeps once per trip
    --op linux-getppid
               one getppid of lbench on the Linux personality (booted as
               ./k42 bench does), which the kernel answers (disp_answer):
               from one `syscall_answer` to the next, after enough hits
               to be inside lbench's loop of 100,000
    --op null  the null kernel call (kbench's null_syscall loop): from one
               `sys_null` to the next

Usage:

    python3 tools/insn_profile.py --build build [--op pipe] [--warm N] [--flow]

--warm N lets N hits pass first (a breakpoint ignore count): with --op ppc,
--warm 80200 steps one call of kbench's stub loop (bench_inc through the
generated stubs) instead of the null loop. With --op ppc the breakpoint is
set once kbench is in `time_ppc` (the hits count from there): set at boot,
on a fast path that runs with translation off, it stopped at the first
call and, ignore count or not, at no later one, so the step started in the
general path (3,375 steps).
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
if %(pre)r:
    gdb.execute("hbreak *%(pre)s")
    gdb.execute("continue", to_string=True)
    gdb.execute("delete")
gdb.execute("hbreak %(fn)s")
gdb.execute("ignore $bpnum %(warm)d")
gdb.execute("continue", to_string=True)
gdb.execute("delete")
start = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
with open(%(out)r, "w") as out:
    n, hits, pid = 0, 0, 0
    while n < 40000:
        pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
        msr = int(gdb.parse_and_eval("$msr")) & 0xffffffffffffffff
        # User mode cannot read the kernel's memory: the pid read on the
        # kernel's way out names the user stretch after it.
        if not msr & %(pr)d:
            pid = int(gdb.parse_and_eval("boot_percpu.last_pid"))
        out.write("%%x %%x %%d\n" %% (pc, msr, pid))
        n += 1
        gdb.execute("stepi", to_string=True)
        if (int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff) == start:
            hits += 1
            if hits == %(hits)d:
                break
'''


# Each loop: the kernel function that starts an iteration, how many hits
# warm it (and land inside the loop), how many more end one iteration, and
# the other program in the trip (user pcs are named in both programs).
OPS = {
    "ppc": {"fn": "ppc_fast_call_asm", "warm": 50, "pre": "time_ppc", "hits": 1, "other": "kbench_server.elf"},
    "pipe": {"fn": "sys_block", "warm": 100, "hits": 2, "other": "pipe_echo.elf",
             "pre": "time_pipe"},
    "linux-getppid": {"fn": "syscall_answer", "warm": 5000, "hits": 1, "other": None},
    "null": {"fn": "sys_null", "warm": 1000, "hits": 1, "other": None, "native": True},
}


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


def disassembly(elf):
    out = subprocess.run(["powerpc64le-linux-gnu-objdump", "-d", "--no-show-raw-insn", elf],
                         capture_output=True, text=True, check=True).stdout
    dis = {}
    for line in out.splitlines():
        p = line.split(":", 1)
        if len(p) == 2 and p[0].strip() and all(ch in "0123456789abcdef" for ch in p[0].strip()):
            dis[int(p[0], 16)] = p[1].strip()
    return dis


def lookup(tab, pc):
    i = bisect.bisect_right(tab[0], pc) - 1
    return tab[1][i] if i >= 0 else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--op", choices=OPS, default="ppc")
    ap.add_argument("--warm", type=int,
                    help="hits of the op's kernel function to let pass first (default: the "
                         "op's own; --op ppc --warm 80200 lands in kbench's stub loop)")
    ap.add_argument("--flow", action="store_true",
                    help="also print the functions in the order they ran")
    ap.add_argument("--trace", metavar="FILE",
                    help="also write every stepped instruction (pc, function, disassembly "
                         "of kernel code) to FILE")
    args = ap.parse_args()
    op = dict(OPS[args.op])
    if args.warm is not None:
        op["warm"] = args.warm
    build = k42qemu.Build(args.build)
    append = "init=/bench/kbench"
    if args.op == "linux-getppid":
        import bench_linux  # noqa: E402
        import run as k42run  # noqa: E402
        iters = {"null": 100000, "pipe": 0, "futex": 0, "file": 0, "fork": 0, "exec": 0, "reps": 1}
        append = ("-- bootconf=/etc/boot-linux.conf shellarg=-u shellarg=" +
                  k42run.encode_commands(bench_linux.lbench_env(iters) + " /bench/lbench"))
    with tempfile.TemporaryDirectory() as d:
        script, pcs = os.path.join(d, "step.py"), os.path.join(d, "pcs.txt")
        pre = ""
        if op.get("pre"):
            # A kbench function to reach first (its address: user code is
            # not in the kernel's symbols).
            kb = symbols(os.path.join(args.build, "bench/k42/kbench.elf"))
            pre = "0x%x" % kb[0][kb[1].index(op["pre"])]
        with open(script, "w") as f:
            f.write(GDB_SCRIPT % {"out": pcs, "fn": op["fn"], "warm": op["warm"], "pre": pre,
                                  "hits": op["hits"], "pr": MSR_PR})
        st, out = debug.batch(build, ["source " + script], append=append, timeout=1500)
        if not os.path.exists(pcs) or "Traceback" in out or "Error" in out:
            print(out)
            return 1
        rows = [(int(a, 16), int(b, 16), int(c)) for a, b, c in (l.split() for l in open(pcs))]
    kern = symbols(build.kernel_elf)
    if op.get("native"):
        # One program: kbench alone.
        user = client = symbols(os.path.join(args.build, "bench/k42/kbench.elf"))
    elif op["other"]:
        user = symbols(os.path.join(args.build, "bench/k42", op["other"]))
        client = symbols(os.path.join(args.build, "bench/k42/kbench.elf"))
    else:
        # The personality (linked at 0xe00_0000_0000) and the Linux program.
        user = symbols(os.path.join(args.build, "linux-personality/lx.elf"))
        client = symbols(os.path.join(args.build, "tests/linux/linux-lbench"))
    stretches, nuser = [], 0
    for pc, msr, pid in rows:
        where = "user" if msr & MSR_PR else "kernel"
        if where == "user":
            where = "user pid %d" % pid
        if not stretches or stretches[-1][0] != where:
            nuser += where == "user"
            stretches.append([where, nuser, collections.Counter()])
        if where == "kernel":
            stretches[-1][2][lookup(kern, pc)] += 1
        elif op.get("native"):
            stretches[-1][2]["kbench " + lookup(client, pc)] += 1
        elif not op["other"]:
            stretches[-1][2][("lx " + lookup(user, pc)) if pc >= 0xe0000000000
                             else "program " + lookup(client, pc)] += 1
        else:
            # User pcs: both programs are linked at the same address, so a pc
            # is named in both; the pid says which one ran.
            stretches[-1][2]["%s / %s %s" % (lookup(client, pc), op["other"].split(".")[0],
                                            lookup(user, pc))] += 1
    if args.flow:
        last = None
        for pc, msr, pid in rows:
            name = ("pid %d %s" % (pid, lookup(client if pid == 1 else user, pc))
                    if msr & MSR_PR else "kernel " + lookup(kern, pc))
            if name != last:
                print("    " + name)
                last = name
    if args.trace:
        dis = disassembly(build.kernel_elf)
        with open(args.trace, "w") as f:
            for pc, msr, pid in rows:
                if msr & MSR_PR:
                    f.write("%x user pid %d\n" % (pc, pid))
                else:
                    f.write("%x %s\t%s\n" % (pc, lookup(kern, pc), dis.get(pc, "?")))
    for where, _, funcs in stretches:
        print("%s: %d instructions" % (where, sum(funcs.values())))
        for fn, c in funcs.most_common():
            print("  %5d  %s" % (c, fn))
    print("total: %d instructions" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
