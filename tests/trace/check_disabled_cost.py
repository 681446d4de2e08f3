#!/usr/bin/env python3
"""The cost of a disabled trace event on ppc64le: compile disabled_cost.c
with the cross compiler and the kernel's flags (-O2, freestanding, no libc
headers) and check that, with its class off, an event is exactly a load of
the mask, one test instruction and a branch that returns — plus, when the
mask is a global, the addis that forms its TOC address. Also checks that
K42_TRACE_ENABLED=0 leaves nothing but the return, and reports the length
of the enabled fast path.

usage: check_disabled_cost.py --cc 'powerpc64le-linux-gnu-gcc' -I DIR... disabled_cost.c
"""
import argparse
import re
import shlex
import subprocess
import sys
import tempfile

KERNEL_FLAGS = ["-std=gnu11", "-O2", "-ffreestanding", "-nostdinc", "-mcpu=power9", "-mabi=elfv2",
                "-mlittle-endian", "-mcmodel=medium", "-mno-altivec", "-mno-vsx", "-fno-pic",
                "-fno-pie", "-fstack-protector-strong", "-fno-common",
                "-fno-asynchronous-unwind-tables", "-Wall", "-Wextra", "-Werror", "-Wshadow",
                "-Wstrict-prototypes", "-Wmissing-prototypes", "-Wundef"]
FUNCS = {"disabled_ppc_call": 4, "disabled_thread_switch": 16, "disabled_request_begin": 32,
         "disabled_app_marker": 48}
LOADS = {"ld", "lwz", "lwa", "ldx", "lbz", "lhz"}
TESTS = {"andi.", "andis.", "rldicl.", "rldicr.", "rldic.", "rlwinm.", "and.", "cmpdi", "cmpldi",
         "cmpd", "cmpld", "cmpwi", "cmplwi"}
RETURN_BRANCHES = {"beqlr", "bnelr", "beqlr-", "bnelr-", "beqlr+", "bnelr+"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def compile_asm(cc, incs, src, extra):
    gcc_inc = subprocess.run(cc + ["-print-file-name=include"], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout.strip()
    with tempfile.NamedTemporaryFile(suffix=".s") as out:
        cmd = cc + KERNEL_FLAGS + ["-idirafter", gcc_inc] + ["-I" + i for i in incs] + extra + \
            ["-S", src, "-o", out.name]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if r.returncode != 0:
            fail("compiling %s failed:\n%s\n%s" % (src, " ".join(cmd), r.stdout))
        with open(out.name, encoding="utf-8") as f:
            return f.read()


def function(asm, name):
    """(body lines, instruction list) of a function, TOC set-up dropped."""
    m = re.search(r"^%s:\n(.*?)^\t\.size\t%s," % (re.escape(name), re.escape(name)), asm, re.S | re.M)
    if not m:
        fail("function %s not found in the assembly" % name)
    lines = m.group(1).splitlines()
    insns = []
    for line in lines:
        s = line.split("#")[0].strip()
        if not s or s.endswith(":") or s.startswith("."):
            continue
        if re.match(r"(\d+:\s*)?addis 2,12,|addi 2,2,", s):
            continue                                     # ELFv2 global entry: TOC set-up
        s = re.sub(r"^\d+:\s*", "", s)
        insns.append(s)
    return lines, insns


def labels(lines):
    """label -> index of the instruction that follows it."""
    out, n = {}, 0
    for line in lines:
        s = line.split("#")[0].strip()
        if not s:
            continue
        if s.endswith(":"):
            out[s[:-1]] = n
        elif not s.startswith(".") and not re.match(r"(\d+:\s*)?addis 2,12,|addi 2,2,", s):
            n += 1
    return out


def check_disabled(asm, name, global_mask):
    lines, insns = function(asm, name)
    ops = [i.split()[0] for i in insns]
    k = next((n for n, op in enumerate(ops) if op.startswith("b")), None)
    if k is None:
        fail("%s: no branch" % name)
    head = ops[:k + 1]
    want_prefix = ["addis"] if global_mask else []
    if head[:-3] != want_prefix or head[-3] not in LOADS or head[-2] not in TESTS:
        fail("%s: the disabled path is %s, not %sa load, a test and a branch"
             % (name, head, "addis, " if global_mask else ""))
    br = insns[k]
    if ops[k] not in RETURN_BRANCHES:
        target = br.split(",")[-1].strip()
        at = labels(lines).get(target)
        if at is None or ops[at] != "blr":
            fail("%s: the disabled branch (%s) does not go straight to a return" % (name, br))
    return insns[:k + 1], insns


def fast_path(insns):
    """Instructions from entry to the first unconditional return."""
    return insns[:next(n for n, i in enumerate(insns) if i.split()[0] == "blr") + 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True)
    ap.add_argument("-I", dest="incs", action="append", default=[])
    ap.add_argument("source")
    args = ap.parse_args()
    cc = shlex.split(args.cc)
    asm = compile_asm(cc, args.incs, args.source, [])
    shown = None
    for name, bit in FUNCS.items():
        head, insns = check_disabled(asm, name, False)
        if shown is None:
            shown = (name, head, fast_path(insns))
        print("%-24s class %2d off: %s" % (name, bit, "; ".join(head)))
    gasm = compile_asm(cc, args.incs, args.source, ["-DMASK_IN_GLOBAL"])
    for name in FUNCS:
        head, _ = check_disabled(gasm, name, True)
        print("%-24s (global mask): %s" % (name, "; ".join(head)))
    oasm = compile_asm(cc, args.incs, args.source, ["-DK42_TRACE_ENABLED=0"])
    for name in FUNCS:
        _, insns = function(oasm, name)
        if insns != ["blr"]:
            fail("%s with K42_TRACE_ENABLED=0 is %s, not just blr" % (name, insns))
    print("K42_TRACE_ENABLED=0: every event compiles to nothing (blr)")
    name, head, fast = shown
    print("\n%s, class on, fast path (%d instructions incl. the %d above and blr):"
          % (name, len(fast), len(head)))
    for i in fast:
        print("\t" + i)
    # The target (docs/tracing.md, "Cost model"): an enabled event in 30
    # instructions or fewer, here with three payload words and the blr.
    if len(fast) > 30:
        fail("the enabled fast path grew to %d instructions" % len(fast))
    print("PASS: disabled-cost")
    return 0


if __name__ == "__main__":
    sys.exit(main())
