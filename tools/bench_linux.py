#!/usr/bin/env python3
"""The Linux half of ./k42 bench: boots Debian's ppc64el Linux on the same
QEMU pseries machine as k42 and measures the same primitives with
bench/linux/lbench.c (null syscall, pipe round trip, futex round trip) plus
the wall time from QEMU start to a busybox shell prompt.

    run_linux_bench(builddir, runs=3) -> dict      (keys: see BENCH_KEYS)

Deterministic figures come from one pair of boots under
`-icount shift=0,sleep=off` (1 guest instruction = 1 ns, timebase 512 MHz,
so instructions = ticks / 0.512); the two must agree exactly. Wall-clock
figures (timebase ticks, noisy) come from `runs` boots without icount, and
boot-to-shell from `runs` more boots.

    python3 tools/bench_linux.py [--build DIR] [--runs N]   prints the dict as JSON
    python3 tools/bench_linux.py --smoke                    quick self-check, exit 0 if OK

Kernel and busybox come from tools/setup-bench.sh (cached); lbench and the
initramfs are built into BUILD/bench-linux/ (never committed)."""
import argparse
import json
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SRC = os.path.join(ROOT, "bench", "linux")

QEMU = "qemu-system-ppc64"
MACHINE = ("pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,"
           "cap-ccf-assist=off")
APPEND = "console=hvc0 quiet mitigations=off"
# icount alone does not make runs identical: QEMU puts fresh host randomness
# into the device tree (/chosen/rng-seed), which seeds the kernel's RNG and so
# ASLR and per-syscall stack offsets; -seed makes it (and darn) repeatable.
# Pinning the RTC to virtual time keeps the host clock out as well.
ICOUNT = ["-icount", "shift=0,sleep=off", "-seed", "1",
          "-rtc", "base=2024-01-01T00:00:00,clock=vm"]
TB_HZ = 512e6
TICKS_PER_INSN = TB_HZ / 1e9          # 0.512 under -icount shift=0
PROMPT = "LINUX-SHELL# "              # PS1 set by bench/linux/init.sh

FIGURES = ("null_syscall", "pipe_roundtrip", "futex_roundtrip", "file_read_4k", "file_write_4k",
           "fork_wait", "exec_true")
# Iterations per timed repetition, and repetitions (after one warm-up).
FULL_ITERS = {"null": 50000, "pipe": 2000, "futex": 2000, "file": 5000, "fork": 200, "exec": 40,
              "reps": 5}
# Pipe and futex round trips need ~800 iterations after fork() to reach their
# steady cost (the first ones run 15-30% cheaper), so even the smoke test
# warms up with 1000.
SMOKE_ITERS = {"null": 2000, "pipe": 1000, "futex": 1000, "file": 1000, "fork": 10, "exec": 3,
               "reps": 2}
# Sanity bands for the smoke test (instructions per op, icount): generous,
# so a newer Debian kernel passes, but a broken measurement does not.
SMOKE_BANDS = {"null_syscall": (150, 1500), "pipe_roundtrip": (5000, 50000),
               "futex_roundtrip": (5000, 50000), "file_read_4k": (300, 50000),
               "file_write_4k": (300, 50000), "fork_wait": (10000, 50000000),
               "exec_true": (10000, 200000000)}

BOOT_TIMEOUT = 60.0       # QEMU start -> "LBENCH start" or the shell prompt
RUN_TIMEOUT = 300.0       # "LBENCH start" -> QEMU exits after "LBENCH done"
SMOKE_TIMEOUTS = (25.0, 25.0)   # normally ~3 s and ~1-3 s

BENCH_KEYS = (
    "linux_null_syscall_insns", "linux_pipe_roundtrip_insns", "linux_futex_roundtrip_insns",
    "linux_file_read_4k_insns", "linux_file_write_4k_insns",
    "linux_fork_wait_insns", "linux_exec_true_insns",
    "linux_null_syscall_ticks", "linux_pipe_roundtrip_ticks", "linux_futex_roundtrip_ticks",
    "linux_boot_to_shell_s",
)


class LinuxBenchError(Exception):
    pass


def log(msg):
    sys.stderr.write("bench-linux: %s\n" % msg)
    sys.stderr.flush()


def tail(text, n=25):
    lines = text.rstrip().splitlines()[-n:]
    return "\n".join("    | " + line for line in lines) or "    | (no console output)"


# ---------------------------------------------------------------- building

def setup():
    """tools/setup-bench.sh -> (musl sysroot, linux-ppc64el directory,
    modules directory)."""
    res = subprocess.run([os.path.join(HERE, "setup-bench.sh")], stdout=subprocess.PIPE)
    lines = res.stdout.decode().split()
    if res.returncode != 0 or len(lines) < 3:
        raise LinuxBenchError("tools/setup-bench.sh failed (status %d)" % res.returncode)
    sysroot, linux, mods = lines[-3:]
    for path in (os.path.join(sysroot, "musl-gcc.specs"), os.path.join(linux, "vmlinux"),
                 os.path.join(linux, "busybox"), os.path.join(mods, "load-order")):
        if not os.path.exists(path):
            raise LinuxBenchError("set-up left no %s" % path)
    return sysroot, linux, mods


def _compile(specs, src, exe, extra=()):
    cmd = (["powerpc64le-linux-gnu-gcc", "-specs=" + specs, "-static", "-O2"] + list(extra) +
           ["-Wall", "-Wextra", "-Werror", "-o", exe + ".tmp", src])
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        raise LinuxBenchError("compiling %s failed:\n%s" % (os.path.basename(src),
                                                             res.stdout.decode()))
    os.replace(exe + ".tmp", exe)


def _stale(out, inputs):
    if not os.path.exists(out):
        return True
    t = os.path.getmtime(out)
    return any(os.path.getmtime(i) > t for i in inputs)


def prepare(builddir):
    """Build lbench and the initramfs into BUILD/bench-linux/ when their
    inputs changed. Returns (vmlinux, initramfs, kernel package name)."""
    sysroot, linux, mods = setup()
    out = os.path.join(os.path.abspath(builddir), "bench-linux")
    os.makedirs(out, exist_ok=True)
    specs = os.path.join(sysroot, "musl-gcc.specs")
    progs = {}
    for name, extra in (("lbench", ()), ("lscal", ("-pthread",)), ("ldisk", ())):
        src, progs[name] = os.path.join(SRC, name + ".c"), os.path.join(out, name)
        if _stale(progs[name], [src, specs]):
            _compile(specs, src, progs[name], extra)
    exe, lscal = progs["lbench"], progs["lscal"]
    with open(os.path.join(mods, "load-order")) as f:
        modfiles = ["lib/modules/%s=%s" % (m, os.path.join(mods, m)) for m in f.read().split()]
    modfiles.append("lib/modules/load-order=" + os.path.join(mods, "load-order"))
    init = os.path.join(out, "init")
    if _stale(init, [os.path.join(SRC, "init.sh")]):
        shutil.copyfile(os.path.join(SRC, "init.sh"), init)
        os.chmod(init, 0o755)
    busybox = os.path.join(linux, "busybox")
    cpio = os.path.join(out, "initramfs.cpio")
    mkinitrd = os.path.join(ROOT, "rootfs", "mkinitrd.py")
    if _stale(cpio, [exe, lscal, progs["ldisk"], init, busybox, mkinitrd] +
              [m.split("=", 1)[1] for m in modfiles]):
        cmd = [sys.executable, mkinitrd, cpio + ".tmp", "init=" + init,
               "bin/busybox=" + busybox, "bin/lbench=" + exe, "bin/lscal=" + lscal,
               "bin/ldisk=" + progs["ldisk"]] + modfiles
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if res.returncode != 0:
            raise LinuxBenchError("building the initramfs failed:\n" + res.stdout.decode())
        os.replace(cpio + ".tmp", cpio)
    kernel = "linux"
    try:
        with open(os.path.join(linux, ".k42-bench-packages")) as f:
            for line in f:
                if line.startswith("linux-image-"):
                    kernel = line.split("_ppc64el")[0].replace("%3a", ":")
    except OSError:
        pass
    return os.path.join(linux, "vmlinux"), cpio, kernel


# ---------------------------------------------------------------- booting

def qemu_command(vmlinux, initrd, append, icount, smp=1):
    cmd = [QEMU, "-machine", MACHINE, "-cpu", "power9", "-m", "1G", "-smp", str(smp), "-nodefaults",
           "-display", "none", "-serial", "stdio", "-no-reboot",
           "-action", "panic=exit-failure",
           "-kernel", vmlinux, "-initrd", initrd, "-append", append]
    return cmd + (ICOUNT if icount else [])


class Boot:
    def __init__(self):
        self.output = ""
        self.status = None        # QEMU exit status; None if we stopped it
        self.marker_s = None      # seconds from QEMU start to the first marker
        self.timed_out = False
        self.seconds = 0.0


def boot(cmd, marker, stop_at_marker=False, boot_timeout=BOOT_TIMEOUT,
         run_timeout=RUN_TIMEOUT, what="Linux"):
    """Run one QEMU boot. `marker` (a string) must appear on the console
    within boot_timeout seconds of QEMU starting; then either QEMU is killed
    (stop_at_marker) or left to power off within run_timeout more seconds."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    b = Boot()
    buf = bytearray()
    deadline = start + boot_timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                b.timed_out = True
                break
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 0.5))
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            if b.marker_s is None and marker.encode() in buf:
                b.marker_s = time.monotonic() - start
                if stop_at_marker:
                    break
                deadline = time.monotonic() + run_timeout
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        rest = proc.communicate()[0]
        if rest:
            buf += rest
        b.seconds = time.monotonic() - start
        b.status = proc.returncode
        b.output = buf.decode("utf-8", "replace")
    if b.marker_s is None:
        if not b.timed_out:
            why = "QEMU exited with status %d" % b.status
        else:
            why = "no sign of it after %.0f s" % boot_timeout
        raise LinuxBenchError("%s did not come up (%s; waited for %r).\ncommand: %s\nconsole:\n%s"
                              % (what, why, marker, " ".join(cmd), tail(b.output)))
    return b


_LINE = re.compile(r"^LBENCH (\w+) (-?[0-9.]+)\s*$", re.M)


def lbench_env(iters):
    """The iteration counts as lbench's environment (NAME=VALUE words)."""
    return " ".join("lbench_%s=%d" % (k, iters[k])
                    for k in ("null", "pipe", "futex", "file", "fork", "exec", "reps"))


def lbench_boot(vmlinux, initrd, iters, icount, timeouts=(BOOT_TIMEOUT, RUN_TIMEOUT)):
    append = ("%s lbench=1 %s" % (APPEND, lbench_env(iters)))
    cmd = qemu_command(vmlinux, initrd, append, icount)
    what = "Linux (lbench%s)" % (", icount" if icount else "")
    b = boot(cmd, "LBENCH start", boot_timeout=timeouts[0], run_timeout=timeouts[1], what=what)
    err = re.search(r"^LBENCH error .*$", b.output, re.M)
    if err or "LBENCH done" not in b.output or b.status != 0:
        if err:
            why = err.group(0)
        elif b.timed_out:
            why = "not finished %.0f s after 'LBENCH start'" % timeouts[1]
        elif "LBENCH done" not in b.output:
            why = "QEMU exited with status %s before 'LBENCH done'" % b.status
        else:
            why = "QEMU exit status %s after 'LBENCH done'" % b.status
        raise LinuxBenchError("%s failed: %s (after %.1f s).\ncommand: %s\nconsole:\n%s"
                              % (what, why, b.seconds, " ".join(cmd), tail(b.output)))
    figs = {k: float(v) for k, v in _LINE.findall(b.output)}
    for f in FIGURES:
        if f + "_ticks_per_op_min" not in figs:
            raise LinuxBenchError("%s printed no %s figure.\nconsole:\n%s" % (what, f, tail(b.output)))
    lines = [l for l in b.output.splitlines() if l.startswith("LBENCH ")]
    return figs, lines, b.seconds


def lscal_run(builddir, cpus):
    """bench/linux/lscal at each CPU count under icount (the scalability
    table beside k42's): {n: {kind: ticks per op}}."""
    vmlinux, initrd, _ = prepare(builddir)
    out = {}
    for n in cpus:
        cmd = qemu_command(vmlinux, initrd, "%s lscal=1" % APPEND, True, smp=n)
        b = boot(cmd, "LSCAL start", boot_timeout=BOOT_TIMEOUT * 4, run_timeout=RUN_TIMEOUT,
                 what="Linux (lscal, %d CPUs)" % n)
        err = re.search(r"^LSCAL error .*$", b.output, re.M)
        if err or "LSCAL done" not in b.output:
            raise LinuxBenchError("Linux (lscal, %d CPUs) failed: %s\nconsole:\n%s" % (
                n, err.group(0) if err else "no 'LSCAL done'", tail(b.output)))
        out[n] = {m[1]: int(m[3]) for m in re.finditer(r"^LSCAL (\w+) (\d+) (\d+)", b.output, re.M)
                  if int(m[2]) == n}
    return out


def disk_args(image):
    """The same virtio-blk-pci disk k42's bench boots with (k42qemu.disk_args)."""
    return ["-vga", "none", "-drive", "if=none,id=disk0,format=raw,file=" + image,
            "-device", "virtio-blk-pci,drive=disk0"]


_LDISK = re.compile(r"^LDISK (\w+)_ticks_per_op ([0-9.]+)\s*$", re.M)
DISK_FIGURES = ("disk_write_4k", "disk_read_4k", "disk_create", "disk_unlink")


def ldisk_run(builddir, image, mib, files, icount=True, timeout=900):
    """bench/linux/ldisk on the ext2 image `image` (Linux's ext4 driver
    serving it, /dev/vda at /mnt): {figure: timebase ticks per op}."""
    vmlinux, initrd, _ = prepare(builddir)
    cmd = qemu_command(vmlinux, initrd, "%s ldisk=1 ldisk_mib=%d ldisk_files=%d" % (
        APPEND, mib, files), icount) + disk_args(image)
    b = boot(cmd, "LDISK", boot_timeout=BOOT_TIMEOUT * 2, run_timeout=timeout,
             what="Linux (ldisk)")
    err = re.search(r"^(LDISK|LINIT) error .*$", b.output, re.M)
    if err or "LDISK done" not in b.output:
        raise LinuxBenchError("Linux (ldisk) failed: %s\ncommand: %s\nconsole:\n%s" % (
            err.group(0) if err else "no 'LDISK done'", " ".join(cmd), tail(b.output)))
    figs = {m[1]: float(m[2]) for m in _LDISK.finditer(b.output)}
    missing = [f for f in DISK_FIGURES if f not in figs]
    if missing:
        raise LinuxBenchError("Linux (ldisk) printed no %s" % ", ".join(missing))
    return figs


def shell_boot(vmlinux, initrd, timeout=BOOT_TIMEOUT):
    cmd = qemu_command(vmlinux, initrd, APPEND, icount=False)
    b = boot(cmd, PROMPT, stop_at_marker=True, boot_timeout=timeout, what="Linux (boot to shell)")
    return b.marker_s


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


# ---------------------------------------------------------------- the bench

def run_linux_bench(builddir, runs=3, iters=None, icount_runs=2, shell_runs=None,
                    timeouts=(BOOT_TIMEOUT, RUN_TIMEOUT)):
    """Boot Linux and measure; returns the figures as a dict (see module doc
    and BENCH_KEYS). Raises LinuxBenchError with the console tail if a boot
    fails. `iters` overrides FULL_ITERS; icount_runs >= 2 checks that icount
    runs agree (linux_icount_identical); shell_runs defaults to runs;
    timeouts = (seconds to reach /init or the prompt, seconds more to finish)."""
    iters = dict(FULL_ITERS, **(iters or {}))
    shell_runs = runs if shell_runs is None else shell_runs
    t0 = time.monotonic()
    vmlinux, initrd, kernel = prepare(builddir)
    res = {"linux_kernel": kernel, "linux_iterations": iters}

    # icount boots in parallel: their figures do not depend on host load.
    log("%d icount boot(s) (null=%d pipe=%d futex=%d reps=%d)" % (
        icount_runs, iters["null"], iters["pipe"], iters["futex"], iters["reps"]))
    outs, errs = [None] * icount_runs, []

    def one(i):
        try:
            outs[i] = lbench_boot(vmlinux, initrd, iters, icount=True, timeouts=timeouts)
        except LinuxBenchError as e:
            errs.append(e)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(icount_runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errs:
        raise errs[0]
    figs = outs[0][0]
    for f in FIGURES:
        res["linux_%s_insns" % f] = round(figs[f + "_ticks_per_op_min"] / TICKS_PER_INSN, 1)
        res["linux_%s_insns_mean" % f] = round(figs[f + "_ticks_per_op"] / TICKS_PER_INSN, 1)
    identical = all(o[1] == outs[0][1] for o in outs[1:])
    res["linux_icount_runs"] = icount_runs
    res["linux_icount_identical"] = identical if icount_runs > 1 else None
    if not identical:
        res["linux_icount_insns_all"] = [
            {f: round(o[0][f + "_ticks_per_op_min"] / TICKS_PER_INSN, 1) for f in FIGURES}
            for o in outs]
        log("WARNING: icount runs differ: %s" % res["linux_icount_insns_all"])
    res["linux_icount_run_s"] = round(max(o[2] for o in outs), 2)

    # Wall-clock boots, one at a time.
    wall = {f: [] for f in FIGURES}
    for i in range(runs):
        log("wall-clock boot %d/%d" % (i + 1, runs))
        figs, _, _ = lbench_boot(vmlinux, initrd, iters, icount=False, timeouts=timeouts)
        for f in FIGURES:
            wall[f].append(figs[f + "_ticks_per_op_min"])
    for f in FIGURES:
        if wall[f]:
            res["linux_%s_ticks" % f] = spread(wall[f])
            res["linux_%s_ticks_all" % f] = wall[f]
    res["linux_wall_runs"] = runs

    shells = []
    for i in range(shell_runs):
        log("boot to shell %d/%d" % (i + 1, shell_runs))
        shells.append(round(shell_boot(vmlinux, initrd, timeouts[0]), 3))
    if shells:
        res["linux_boot_to_shell_s"] = statistics.median(shells)
        res["linux_boot_to_shell_s_all"] = shells
    res["linux_bench_seconds"] = round(time.monotonic() - t0, 1)
    return res


def smoke(builddir):
    """Small iteration counts, two icount boots, one wall-clock boot, one
    boot to shell. True if every figure came out and the icount runs agree."""
    t0 = time.monotonic()
    print("bench-linux smoke: build lbench + initramfs, 2 icount boots (must agree), "
          "1 wall-clock boot, 1 boot to shell; iterations %s" % json.dumps(SMOKE_ITERS))
    try:
        res = run_linux_bench(builddir, runs=1, iters=SMOKE_ITERS, icount_runs=2,
                              timeouts=SMOKE_TIMEOUTS)
    except LinuxBenchError as e:
        print("FAIL: %s" % e)
        return False
    ok = True
    for k in BENCH_KEYS:
        v = res.get(k)
        good = v is not None and (all(x > 0 for x in v.values()) if isinstance(v, dict) else v > 0)
        print("  %-30s %s%s" % (k, json.dumps(v), "" if good else "   <- MISSING"))
        ok &= good
    for f, (lo, hi) in SMOKE_BANDS.items():
        v = res.get("linux_%s_insns" % f) or 0
        if not lo <= v <= hi:
            print("  linux_%s_insns %s is outside the plausible %d..%d" % (f, v, lo, hi))
            ok = False
    print("  %-30s %s" % ("linux_icount_identical", res["linux_icount_identical"]))
    ok &= res["linux_icount_identical"] is True
    print("%s (%.1f s)" % ("OK" if ok else "FAIL", time.monotonic() - t0))
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.environ.get("K42_BUILD", os.path.join(ROOT, "build")),
                    help="build directory (outputs go to BUILD/bench-linux/)")
    ap.add_argument("--runs", type=int, default=3, help="wall-clock and boot-to-shell boots")
    ap.add_argument("--smoke", action="store_true", help="quick self-check")
    args = ap.parse_args(argv)
    if args.smoke:
        return 0 if smoke(args.build) else 1
    try:
        res = run_linux_bench(args.build, runs=args.runs)
    except LinuxBenchError as e:
        log("error: %s" % e)
        return 1
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
