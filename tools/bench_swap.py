#!/usr/bin/env python3
"""The hot-swap rows of ./k42 bench (docs/hot-swap.md), booted under
`-icount shift=0,sleep=off` (instructions = timebase ticks / 0.512):

    run_scan(build, smoke)     the adaptive FCM: a sequential scan of a 64 MiB
                               file (4 MiB with smoke) without and with
                               adaptation (bench/scanbench), twice
    run_fcmswap(build, cpus)   a kernel FCM swap under faults from every CPU
                               (bench/scanbench -- --swap)
    run_objswap(build, cpus)   a libk42 object swap under calls from every CPU
                               (bench/objswapbench)
    scan_rows(r), objswap_rows(r)   their table rows

Each raises SwapBenchError when a boot fails or a figure is missing."""
import re

import k42qemu

# As in bench.py: one instruction per virtual ns, a 512 MHz timebase.
TICKS_PER_INSN = 0.512
ICOUNT = ["-icount", "shift=0,sleep=off", "-seed", "1"]


class SwapBenchError(Exception):
    pass


def scanbench_once(build, program):
    """bench/scanbench under icount: a sequential scan of a file served
    through an FR, with the default demand FCM and with the adaptive one."""
    cmd = k42qemu.command(build, append="init=/bench/" + program, extra=ICOUNT)
    res = k42qemu.run(cmd, timeout=900)
    if res.timed_out or res.status != 0 or "BENCH done" not in res.output:
        raise SwapBenchError("scan benchmark boot failed (status %s%s):\n%s" % (
            res.status, ", timed out" if res.timed_out else "", res.output[-2000:]))
    figs = {m[1]: float(m[2]) for m in re.finditer(r"^BENCH (scan_\w+?)_ticks_per_op ([\d.]+)",
                                                   res.output, re.M)}
    figs.update({m[1]: int(m[2]) for m in re.finditer(r"^BENCH (scan_\w+_reflected|scan_mib) (\d+)",
                                                      res.output, re.M)})
    return figs


def run_scan(build, smoke):
    """The adaptive FCM (docs/hot-swap.md): a sequential scan of a 64 MiB
    file (4 MiB with --smoke) without and with adaptation, as guest
    instructions per page and reflected faults; twice, which must agree."""
    program = "scanbench_smoke" if smoke else "scanbench"
    a = scanbench_once(build, program)
    b = scanbench_once(build, program)
    out = {"scan_icount_identical": a == b, "scan_mib": a.get("scan_mib")}
    for kind in ("demand", "adaptive"):
        if "scan_%s" % kind not in a or "scan_%s_reflected" % kind not in a:
            raise SwapBenchError("scanbench did not report the %s scan" % kind)
        out["scan_%s_insns" % kind] = round(a["scan_%s" % kind] / TICKS_PER_INSN, 1)
        out["scan_%s_reflected" % kind] = a["scan_%s_reflected" % kind]
    return out


def icount_swap_figs(build, append, label, prefix, kinds, cpus):
    """Boot `append` under icount at each CPU count in cpus and return its
    per-op figures `PREFIX_KIND_N_insns` for every kind (each required)."""
    out = {}
    for n in cpus:
        res = k42qemu.run(k42qemu.command(build, append=append, smp=n, icount=True), timeout=900)
        if res.timed_out or res.status != 0 or "BENCH done" not in res.output:
            raise SwapBenchError("%s at %d CPUs failed (status %s%s):\n%s" % (
                label, n, res.status, ", timed out" if res.timed_out else "", res.output[-2000:]))
        figs = {m[1]: float(m[2]) for m in re.finditer(
            r"^BENCH (%s_\w+?)_ticks_per_op ([\d.]+)" % prefix, res.output, re.M)}
        for kind in kinds:
            if "%s_%s" % (prefix, kind) not in figs:
                raise SwapBenchError("%s at %d CPUs did not report %s" % (label, n, kind))
            out["%s_%s_%d_insns" % (prefix, kind, n)] = round(
                figs["%s_%s" % (prefix, kind)] / TICKS_PER_INSN, 1)
    return out


def run_fcmswap(build, cpus=(1, 4)):
    """A kernel FCM hot swap under faults from every CPU (bench/scanbench
    -- --swap, under icount, which runs the CPUs round-robin): how long a
    swap holds the region's callers (the kernel's count: mediator in to
    switch) and how long the swapper's calls take, per swap."""
    return icount_swap_figs(build, "init=/bench/scanbench -- --swap", "scanbench --swap",
                            "fcmswap", ("hold", "call"), cpus)


def run_objswap(build, cpus=(1, 4)):
    """A libk42 object hot swap under calls from a worker on every CPU
    (bench/objswapbench, under icount): per swap, how long k42_obj_swap
    took (the longest a caller can be held), and per call on another
    swappable object that is never swapped, the cost with no swap running
    and while the first is being swapped."""
    return icount_swap_figs(build, "init=/bench/objswapbench", "objswapbench", "objswap",
                            ("hold", "still_idle", "still_swapping"), cpus)


def objswap_rows(r):
    return [
        ("libk42 object swap: callers held, 1 CPU", r.get("objswap_hold_1_insns"), None),
        ("  same, 4 CPUs (icount, round-robin)", r.get("objswap_hold_4_insns"), None),
        ("call on an object never swapped, 4 CPUs", r.get("objswap_still_idle_4_insns"), None),
        ("  same, while another is swapped", r.get("objswap_still_swapping_4_insns"), None),
    ]


def scan_rows(r):
    mib = r.get("scan_mib")
    return [
        ("seq. scan %s MiB file, demand: insns/page" % mib, r.get("scan_demand_insns"), None),
        ("  reflected faults, whole scan", r.get("scan_demand_reflected"), None),
        ("same, adaptive FCM: insns/page", r.get("scan_adaptive_insns"), None),
        ("  reflected faults, whole scan", r.get("scan_adaptive_reflected"), None),
        ("kernel FCM swap: callers held, 1 CPU", r.get("fcmswap_hold_1_insns"), None),
        ("  same, 4 CPUs (icount, round-robin)", r.get("fcmswap_hold_4_insns"), None),
    ]
