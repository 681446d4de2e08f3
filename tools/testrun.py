#!/usr/bin/env python3
"""./k42 test: run every test and print one line per test, `PASS name` or
`FAIL name`, then `N passed, M failed`. Three kinds, in order:

  host/*    host unit tests (meson test --suite host), under ASan/UBSan
  kernel/*  in-kernel tests: one QEMU boot each with test=NAME
  boot/*    whole-boot scenarios (tests/qemu/scenarios.py joins tests/qemu/scen_*.py)
  smp/*     the same at 1, 2, 4 and 8 CPUs under MTTCG (boot, stress)
  user/*    user-level test programs booted as init (same file)
  shell/*   shell sessions typed through ./k42 run -c (same file)
  storage/* ext2 images from the host's mke2fs, read and written in k42,
            checked by e2fsck and debugfs (tools/storagetest.py)
  linux/*   Debian busybox and static musl programs on the Linux
            personality (tests/linux: cases.txt in one boot, and programs)
  trace/*   a traced boot decoded on the host (events of every layer, in order;
            every CPU's ring at 4 CPUs; the rings streamed to the host while
            k42 runs, overrun and loss counted: tools/tracestreamtest.py)
  debug/*   gdb in batch mode against a boot: kernel and user breakpoints
  bench/*   a smoke run of ./k42 bench (figures produced, icount runs agree)

Every QEMU boot has a timeout. Exit status is 1 if anything failed."""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import k42qemu  # noqa: E402
from scenarios import SCENARIOS, SHELL_SESSIONS  # noqa: E402
import run as k42run  # noqa: E402  (tools/run.py: ./k42 run -c)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "linux"))
import cases as linux_cases  # noqa: E402  (tests/linux/cases.py)
import storagetest  # noqa: E402  (tools/storagetest.py)
import nettest  # noqa: E402  (tools/nettest.py: the network tests)
import icmptest  # noqa: E402  (tools/icmptest.py: ping answered, from the guest's Ethernet)
import lxnettest  # noqa: E402  (tools/lxnettest.py: busybox's network applets)
import tracestreamtest  # noqa: E402  (tools/tracestreamtest.py: trace/stream)

BOOT_TIMEOUT = 60.0
# What some in-kernel tests need typed, or must print beyond PASS.
KTEST_INPUT = {"console_input": [(r"KTEST INPUT-READY console_input", "hello k42\r")]}
KTEST_EXTRA = {
    "exception_unexpected": [r"unexpected exception: vector 0x700 \(program: trap instruction\)",
                             r"SRR0 [0-9a-f]{16}", r"backtrace:\n  #0 0x"],
    "panic_exit": [r"PANIC: deliberate panic from test panic_exit", r"OS terminated"],
}


# Tests allowed to report SKIP, each with the reason. Any other skip fails
# the run: a test that did not run must never look like one that passed.
EXPECTED_SKIPS = {}


class Tally:
    def __init__(self, verbose):
        self.passed = self.failed = self.skipped = 0
        self.verbose = verbose

    def report(self, name, ok, detail="", log=""):
        print("%s %s%s" % ("PASS" if ok else "FAIL", name, ("  (" + detail + ")") if detail else ""),
              flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        if log and (not ok or self.verbose):
            for line in log.rstrip().splitlines()[-60:]:
                print("    | " + line)

    def skip(self, name, detail="", log=""):
        """A test that did not run: SKIP if declared in EXPECTED_SKIPS (and
        counted apart), FAIL otherwise. Returns True if the skip was expected."""
        if name not in EXPECTED_SKIPS:
            self.report(name, False, "skipped, and not declared in EXPECTED_SKIPS" +
                        ("; " + detail if detail else ""), log)
            return False
        print("SKIP %s  (%s)" % (name, EXPECTED_SKIPS[name]), flush=True)
        self.skipped += 1
        return True


def meson_tests(builddir, suite):
    """Names of the tests the build defines in `suite`, or None."""
    r = subprocess.run(["meson", "introspect", "--tests", builddir], capture_output=True,
                       text=True)
    if r.returncode != 0:
        return None
    # Suites are listed qualified by project ("k42:host").
    return sorted(t["name"] for t in json.loads(r.stdout)
                  if any(s.split(":")[-1] == suite for s in t.get("suite", [])))


def run_host_tests(builddir, tally, pattern):
    """Every host test the build defines must appear in meson's log as OK,
    and meson's own exit status must agree with the log."""
    # A log of our own: two runs in one build directory must not read
    # each other's results.
    logbase = "k42test-%d" % os.getpid()
    log = os.path.join(builddir, "meson-logs", logbase + ".json")
    if os.path.exists(log):
        os.unlink(log)
    defined = meson_tests(builddir, "host")
    if defined is None:
        tally.report("host/meson", False, "meson introspect --tests failed")
        return
    wanted = [n for n in defined if not pattern or re.search(pattern, n)]
    if not wanted:
        return
    cmd = ["meson", "test", "-C", builddir, "--no-rebuild", "-q", "--logbase", logbase,
           "--num-processes", str(os.cpu_count() or 2)] + wanted
    status = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    if not os.path.exists(log):
        tally.report("host/meson", False, "meson test produced no log (status %d)" % status)
        return
    with open(log, encoding="utf-8") as f:
        results = {r["name"].split(":")[-1].strip(): r
                   for r in (json.loads(line) for line in f if line.strip())}
    bad = 0
    for name in wanted:
        r = results.get(name)
        if r is None:
            tally.report(name, False, "defined by the build but missing from meson's log")
            bad += 1
            continue
        out = (r.get("stdout") or "") + (r.get("stderr") or "")
        if r["result"] == "SKIP":
            bad += not tally.skip(name, "meson: SKIP", out)
            continue
        ok = r["result"] == "OK"
        bad += not ok
        tally.report(name, ok, "%.1fs" % r.get("duration", 0) if ok else r["result"], out)
    for name in sorted(set(results) - set(wanted)):
        tally.report(name, False, "in meson's log but not asked for")
        bad += 1
    if status != 0 and not bad:
        tally.report("host/meson", False, "meson test exited %d with every test OK" % status)
    for ext in (".json", ".txt", ".junit.xml") if not bad else ():
        try:
            os.unlink(os.path.join(builddir, "meson-logs", logbase + ext))
        except OSError:
            pass


def ktest_names(build):
    res = k42qemu.run(k42qemu.command(build, append="test=list"), timeout=BOOT_TIMEOUT)
    names = re.findall(r"^KTEST LIST (\S+)( expect-panic)?\r?$", res.output, re.M)
    return [(n, bool(p)) for n, p in names], res


def run_kernel_tests(build, tally, pattern):
    names, res = ktest_names(build)
    if not names:
        tally.report("kernel/list", False, "test=list printed no tests", res.output)
        return
    for name, expect_panic in names:
        full = "kernel/" + name
        if pattern and not re.search(pattern, full):
            continue
        r = k42qemu.run(k42qemu.command(build, append="test=" + name), timeout=BOOT_TIMEOUT,
                        script=KTEST_INPUT.get(name, ()))
        out = r.output
        problems = []
        if r.timed_out:
            problems.append("timed out after %.0fs" % BOOT_TIMEOUT)
        elif expect_panic:
            if "KTEST EXPECT-PANIC " + name not in out or "PANIC:" not in out:
                problems.append("did not panic")
            if r.status != 1:
                problems.append("QEMU exit status %s, expected 1" % r.status)
        else:
            if "KTEST PASS " + name not in out:
                problems.append("no KTEST PASS line")
            if r.status != 0:
                problems.append("QEMU exit status %s" % r.status)
        for pat in KTEST_EXTRA.get(name, ()):
            if not re.search(pat, out):
                problems.append("missing /%s/" % pat)
        tally.report(full, not problems, "; ".join(problems) or "%.2fs" % r.seconds,
                     k42qemu.symbolize(out, build.kernel_elf))


def scenario_initrd(build, kind, tmpdir):
    if kind == "default":
        return build.initrd
    if kind == "none":
        return None
    path = os.path.join(tmpdir, kind + ".img")
    if kind == "garbage":
        data = random.Random(42).randbytes(4096)
    elif kind == "truncated":
        with open(build.initrd, "rb") as f:
            data = f.read()
        data = data[:max(len(data) // 2, 120)]
    else:
        raise ValueError("unknown initrd kind " + kind)
    with open(path, "wb") as f:
        f.write(data)
    return path


PATTERN_DISK_SECTORS = 6157   # tests/user/driver_test.c's DISK_SECTORS


def pattern_sector(n):
    """Sector n of the "pattern" disk: its number, then bytes that depend on it."""
    return n.to_bytes(8, "little") + bytes((n * 7 + i) & 0xff for i in range(8, 512))


def scenario_disk(kind, tmpdir):
    """QEMU options for a scenario's disk: none, or an image made here."""
    if not kind:
        return []
    if kind != "pattern":
        raise ValueError("unknown disk kind " + kind)
    path = os.path.join(tmpdir, "pattern-disk.img")
    with open(path, "wb") as f:
        for n in range(PATTERN_DISK_SECTORS):
            f.write(pattern_sector(n))
    return k42qemu.disk_args(path)


def run_scenarios(build, tally, pattern):
    tmpdir = os.path.join(build.dir, "test-tmp")
    os.makedirs(tmpdir, exist_ok=True)
    for sc in SCENARIOS:
        if pattern and not re.search(pattern, sc["name"]):
            continue
        kernel = k42qemu.Build(build.dir, race=True) if sc.get("race") else build
        cmd = k42qemu.command(kernel, append=sc.get("append", ""),
                              initrd=scenario_initrd(build, sc.get("initrd", "default"), tmpdir),
                              mem=sc.get("mem", "1G"), smp=sc.get("smp"),
                              icount=sc.get("icount", False),
                              extra=scenario_disk(sc.get("disk"), tmpdir))
        # A boot of the default init ends at the shell: power off there.
        r = k42qemu.run(cmd, timeout=sc.get("timeout", BOOT_TIMEOUT),
                        script=[(k42run.PROMPT, "poweroff\r")])
        problems = []
        if r.timed_out:
            problems.append("timed out (a hang)")
        elif r.status != sc.get("status", 0):
            problems.append("QEMU exit status %s, expected %s" % (r.status, sc.get("status", 0)))
        for pat in sc.get("expect", ()):
            if not re.search(pat, r.output):
                problems.append("missing /%s/" % pat)
        for pat in sc.get("reject", ()):
            if re.search(pat, r.output):
                problems.append("unexpected /%s/" % pat)
        if "only" in sc:
            problems += only_lines(r.output, *sc["only"])
        tally.report(sc["name"], not problems, "; ".join(problems) or "%.2fs" % r.seconds,
                     k42qemu.symbolize(r.output, kernel.kernel_elf))


def only_lines(output, selector, pats):
    """Problems unless the lines matching `selector` are exactly `pats`."""
    got = [ln for ln in output.splitlines() if re.fullmatch(selector, ln.rstrip("\r"))]
    problems = ["line %r does not match /%s/" % (g, p)
                for g, p in zip(got, pats) if not re.fullmatch(p, g)]
    problems += ["unexpected line %r" % g for g in got[len(pats):]]
    problems += ["missing a line matching /%s/" % p for p in pats[len(got):]]
    return problems


def without_shell_started(text):
    """text without init's line saying the shell started: init prints it
    after starting the shell, and with several CPUs the shell may have
    printed and been typed at by then (the line may even follow a prompt
    on the same line)."""
    return re.sub(r"init: shell \(pid \d+\) started [^\r\n]*\r?\n", "", text)


def check_transcript(output, lines):
    """Problems with the lines from the first prompt on, against `lines` in
    order. An entry is a regex for one line; a regex that may match nothing
    (an optional line) is skipped when the line does not match it; and
    ("*", regex) takes any number of lines matching regex, up to the first
    that the next entry matches (e.g. servers a user added)."""
    start = output.find(k42run.PROMPT)
    if start < 0:
        return ["no shell prompt"]
    got = [ln.rstrip("\r") for ln in without_shell_started(output[start:]).splitlines()]
    i = 0
    for k, pat in enumerate(lines):
        if isinstance(pat, tuple):
            nxt = next((p for p in lines[k + 1:] if not isinstance(p, tuple)), None)
            while i < len(got) and re.fullmatch(pat[1], got[i]) and \
                    not (nxt is not None and re.fullmatch(nxt, got[i])):
                i += 1
        elif i < len(got) and re.fullmatch(pat, got[i]):
            i += 1
        elif re.fullmatch(pat, ""):
            continue
        else:
            return ["line %d: %r does not match /%s/" % (i + 1, got[i] if i < len(got) else None,
                                                          pat)]
    return [] if i == len(got) else ["unexpected line %d: %r" % (i + 1, got[i])]


def run_shell_sessions(build, tally, pattern):
    for sess in SHELL_SESSIONS:
        if pattern and not re.search(pattern, sess["name"]):
            continue
        cmd = k42qemu.command(build)
        # `script`: (regex, text) pairs typed when the regex has matched
        # (keys that are not plain commands, like ^C); else `commands`.
        script = sess.get("script") or k42run.shell_script(k42run.split_commands(sess["commands"]))
        r = k42qemu.run(cmd, timeout=BOOT_TIMEOUT, script=script, mark=k42run.PROMPT)
        problems = []
        if r.timed_out:
            problems.append("timed out")
        elif r.status != sess.get("status", 0):
            problems.append("QEMU exit status %s, expected %s" % (r.status, sess.get("status", 0)))
        if "lines" in sess:
            problems += check_transcript(r.output, sess["lines"])
        out = without_shell_started(r.output)
        for rx in sess.get("expect", []):
            if not re.search(rx, out):
                problems.append("missing /%s/" % rx)
        for rx in sess.get("reject", []):
            if re.search(rx, out):
                problems.append("unexpected /%s/" % rx)
        detail = "; ".join(problems) or "prompt after %.2fs" % (r.mark_seconds or 0)
        tally.report(sess["name"], not problems, detail,
                     k42qemu.symbolize(r.output, build.kernel_elf))


LINUX_CASES = os.path.join(HERE, "..", "tests", "linux", "cases.txt")
# Cases on an ext2 file system at /mnt: one boot with a fresh empty image.
LINUX_EXT2_CASES = os.path.join(HERE, "..", "tests", "linux", "cases_ext2.txt")
# Busybox breadth against Linux's own output: one boot of their own.
LINUX_WIDE_CASES = os.path.join(HERE, "..", "tests", "linux", "cases_wide.txt")
LINUX_TIMEOUT = 420.0   # one boot runs every case (~290): 2.5 min at load 20
# Static musl programs (tests/linux/*.c), each run by the personality as
# the shell of the server set (linux_append); the patterns must appear.
LINUX_PROGRAMS = [
    dict(name="linux/musl_enosys", prog="/tests/linux/enosys",
         expect=[r"enosys: 20 unimplemented calls gave ENOSYS", r"init: shell ended: exit status 0"],
         reject=[r"killed process"]),
    dict(name="linux/musl_pthread", prog="/tests/linux/pthread",
         expect=[r"pthread: ok: 8 threads, counter 16000, 400 tokens",
                 r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"pthread: FAILED"]),
    dict(name="linux/musl_blockio", prog="/tests/linux/blockio",
         expect=[r"blockio: ok: pipe read, poll, nanosleep, accept, recv, send, fifo open, pause, "
                 r"sigsuspend and tty read each blocked only their thread",
                 r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"blockio: FAILED"]),
    dict(name="linux/musl_shfutex", prog="/tests/linux/shfutex",
         expect=[r"shfutex: ok: shared mapping, wake both ways, 500 round trips",
                 r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"shfutex: FAILED"]),
    dict(name="linux/musl_forkloop", prog="/tests/linux/forkloop", timeout=LINUX_TIMEOUT,
         expect=[r"forkloop: ok: 1000 fork-exec-wait iterations", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"forkloop: FAILED"]),
    dict(name="linux/musl_nocldwait", prog="/tests/linux/nocldwait", timeout=LINUX_TIMEOUT,
         expect=[r"nocldwait: ok: 300 forks with SIGCHLD ignored, wait ECHILD",
                 r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"nocldwait: FAILED"]),
    dict(name="linux/musl_forkbomb", prog="/tests/linux/forkbomb", timeout=LINUX_TIMEOUT,
         expect=[r"forkbomb: fork refused with (EAGAIN|ENOMEM) after \d+ children",
                 r"forkbomb: contained", r"init: shell ended: exit status 0"],
         reject=[r"PANIC", r"forkbomb: FAILED"]),
    dict(name="linux/musl_mman", prog="/tests/linux/mman",
         expect=[r"mman: ok", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"mman: FAILED"]),
    dict(name="linux/musl_sock", prog="/tests/linux/sock",
         expect=[r"sock: ok", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"sock: FAILED"]),
    dict(name="linux/musl_fifo", prog="/tests/linux/fifo",
         expect=[r"fifo: ok: open rules", r"init: shell ended: exit status 0"],
         # (its writer killed with SIGKILL is reported "killed by its parent")
         reject=[r"killed process \d+ \(\w+\): (?!killed by its parent)", r"fifo: FAILED"]),
    dict(name="linux/musl_answers", prog="/tests/linux/answers",
         expect=[r"answers: ok: ids, fork, threads", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"answers: FAILED"]),
    dict(name="linux/musl_sigmask", prog="/tests/linux/sigmask",
         expect=[r"sigmask: ok: each thread's mask is its own", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"sigmask: FAILED"]),
    dict(name="linux/musl_tsignal", prog="/tests/linux/tsignal",
         expect=[r"tsignal: ok: tgkill per thread, per-thread sigpending, futex waits end on signals",
                 r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"tsignal: FAILED"]),
    dict(name="linux/musl_mremap", prog="/tests/linux/mremap",
         expect=[r"mremap: ok: shrink, grow by moving", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"mremap: FAILED"]),
    # The program's own faults are Linux's signals, with handlers.
    dict(name="linux/musl_fault", prog="/tests/linux/fault",
         expect=[r"fault: PASS", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"fault: FAILED", r"unhandled exception"]),
    # kill(-1) and group kills reach the whole tree, never the caller for -1.
    dict(name="linux/musl_killtree", prog="/tests/linux/killtree",
         expect=[r"killtree: PASS", r"init: shell ended: exit status 0"],
         reject=[r"killtree: FAILED"]),
    # CPU time from the kernel's count per process (docs/linux.md, "CPU time").
    dict(name="linux/musl_cputime", prog="/tests/linux/cputime",
         expect=[r"cputime: ok", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"cputime: FAILED"]),
    # Job control: stops and continues seen by waitpid (docs/linux.md, "Signals").
    dict(name="linux/musl_jobctl", prog="/tests/linux/jobctl",
         expect=[r"jobctl: ok", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"jobctl: FAILED"]),
    # busybox timeout's watcher: a reparented grandchild's 1 s sleeps and
    # kill(pid, 0) checks (docs/linux.md, "Timers").
    dict(name="linux/musl_watcher", prog="/tests/linux/watcher",
         expect=[r"watcher: ok", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"watcher: FAILED"]),
    # Capabilities, namespaces, the persona: Linux's answers (docs/linux-compat.md).
    dict(name="linux/musl_nscaps", prog="/tests/linux/nscaps",
         expect=[r"nscaps: ok", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"nscaps: FAILED"]),
    # A hostile program: random system calls from confined children; the
    # personality, the servers and the kernel must hold (no "killed
    # process" check: a child may end by the fault Linux would give it).
    dict(name="security/linux_fuzz", prog="/tests/linux/lxfuzz",
         expect=[r"lxfuzz: ok: \d+ children, \d+ calls", r"init: shell ended: exit status 0"],
         reject=[r"lxfuzz: FAILED", r"PANIC"]),
    # Every resource taken until refused (threads, descriptors, pipes,
    # socket pairs, memory, brk, /tmp's space): Linux's errors or an
    # out-of-memory kill, and the system serves after each.
    dict(name="security/linux_exhaust", prog="/tests/linux/exhaust", timeout=LINUX_TIMEOUT,
         expect=[r"exhaust: \d+ threads, then", r"exhaust: \d+ pipes, then", r"exhaust: ok",
                 r"init: shell ended: exit status 0"],
         reject=[r"exhaust: FAILED", r"PANIC"]),
    # Threads beside process calls: fork and execve from a thread, exit_group
    # while others wait, signals to the process (docs/linux.md, "Threads").
    dict(name="linux/musl_mtproc", prog="/tests/linux/mtproc", timeout=LINUX_TIMEOUT,
         expect=[r"mtproc: ok", r"init: shell ended: exit status 0"],
         reject=[r"killed process", r"mtproc: FAILED", r"killed by SIG"]),
    dict(name="linux/musl_efault", prog="/tests/linux/efault",
         expect=[r"efault: \d+ calls with bad pointers gave EFAULT", r"init: shell ended: exit status 0"],
         reject=[r"killed process"]),
    # Busybox sh on the tty, typed at: its line editing turns the
    # console's echo off (TCSETS), so a command line shows once and its
    # output follows; cat reads a cooked line and ends at ^D.
    dict(name="linux/tty_echo", prog="/bin/sh sh",
         script=[(r"~ # ", "echo g$((0+1)); cat\r"), (r"g1\r?\n", "abc\r"),
                 (r"abc\r?\nabc\r?\n", "\x04"), (r"abc\r?\nabc\r?\n~ # ", "echo d$((1+1))\r"),
                 (r"d2\r?\n~ # ", "exit\r")],
         expect=[r"~ # (\x1b\[6n)?echo g\$\(\(0\+1\)\); cat\r?\ng1\r?\nabc\r?\nabc\r?\n~ # ",
                 r"~ # (\x1b\[6n)?echo d\$\(\(1\+1\)\)\r?\nd2\r?\n~ # (\x1b\[6n)?exit\r?\n",
                 r"init: shell ended: exit status 0"],
         reject=[r"killed process"]),
    # Issue 12 item 1: a signal frame forged to resume privileged.
    dict(name="security/linux_sigforge", prog="/tests/linux/sigforge",
         expect=[r"sigforge: supervisor MSR, privileged code: killed by signal 4",
                 r"sigforge: supervisor MSR, kernel pc: killed by signal 9",
                 r"sigforge: no forged context ran privileged", r"init exited with status 0"],
         reject=[r"RAN PRIVILEGED"]),
]


def linux_append(words, when=()):
    """Boot arguments that run /bin/lx WORDS as the shell of the server set
    of /etc/boot-linux.conf (init hands its shellarg= words to it); when:
    words that start the entries so marked ("disk": ext2 at /mnt)."""
    return "-- bootconf=/etc/boot-linux.conf " + "".join(w + " " for w in when) + \
        " ".join("shellarg=" + w for w in words.split())


def empty_ext2(build):
    """A fresh 16 MiB ext2 image with nothing in it (the host's mke2fs)."""
    tmp = os.path.join(build.dir, "test-tmp")
    os.makedirs(tmp, exist_ok=True)
    image = os.path.join(tmp, "linux-ext2.img")
    mke2fs = shutil.which("mke2fs") or "/usr/sbin/mke2fs"
    subprocess.run([mke2fs, "-q", "-F", "-t", "ext2", "-b", "1024", image, "16M"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return image


def run_linux_cases(build, tally, pattern, path, script, ext2=False):
    """Every busybox case of one cases file in one boot of busybox sh
    (the shell of /etc/boot-linux.conf's server set, through /bin/lx),
    each reported on its own; ext2: with an empty ext2 image at /mnt."""
    cases = linux_cases.parse(path)
    todo = [c for c in cases if not pattern or re.search(pattern, "linux/" + c["name"])]
    if todo:
        append, extra = linux_append("/bin/sh sh " + script), ()
        if ext2:
            append = linux_append("/bin/sh sh " + script, when=("disk",))
            extra = k42qemu.disk_args(empty_ext2(build))
        cmd = k42qemu.command(build, append=append, extra=extra)
        r = k42qemu.run(cmd, timeout=LINUX_TIMEOUT, stop_at=r"@@all cases ran")
        got = linux_cases.split_output(r.output)
        log = k42qemu.symbolize(r.output, build.kernel_elf)
        for c in todo:
            problems = linux_cases.check(c, got, k42qemu.DEFAULT_SMP)
            if r.timed_out and c["name"] not in got:
                problems = ["the boot timed out before this case ended"]
            tally.report("linux/" + c["name"], not problems, "; ".join(problems), log)


def run_linux_tests(build, tally, pattern):
    """The busybox cases (tests/linux/cases.txt; cases_ext2.txt with an
    ext2 disk; cases_wide.txt), then the static musl programs, each reported on its own."""
    run_linux_cases(build, tally, pattern, LINUX_CASES, "/tests/linux/run.sh")
    run_linux_cases(build, tally, pattern, LINUX_EXT2_CASES, "/tests/linux/run_ext2.sh", ext2=True)
    run_linux_cases(build, tally, pattern, LINUX_WIDE_CASES, "/tests/linux/run_wide.sh")
    for t in LINUX_PROGRAMS:
        if pattern and not re.search(pattern, t["name"]):
            continue
        r = k42qemu.run(k42qemu.command(build, append=linux_append(t["prog"])),
                        timeout=t.get("timeout", BOOT_TIMEOUT), script=t.get("script", ()))
        problems = []
        if r.timed_out:
            problems.append("timed out")
        elif r.status != 0:
            problems.append("QEMU exit status %s" % r.status)
        problems += ["missing /%s/" % p for p in t["expect"] if not re.search(p, r.output)]
        problems += ["unexpected /%s/" % p for p in t["reject"] if re.search(p, r.output)]
        tally.report(t["name"], not problems, "; ".join(problems),
                     k42qemu.symbolize(r.output, build.kernel_elf))


def run_linux_long_commands(build, tally, pattern):
    """./k42 run --linux -c with commands far past the boot arguments'
    1 KiB (they travel in a copy of the boot archive): every line runs,
    here-document and quotes intact, and the shell's status comes back."""
    name = "linux/run_long_commands"
    if pattern and not re.search(pattern, name):
        return
    # Builtins mostly (a fork per line made it slow on a loaded host).
    lines = ["x%d=value_%d; echo \"line %d: ${x%d}\" # %s" % (i, i, i, i, "-" * 20)
             for i in range(80)]
    lines[40] = "echo 'line 40: value_40' | tr a-z A-Z"
    lines += ["cat <<'EOF'", "here $HOME 'single' \"double\" %41 \\n", "EOF",
              "echo \"$0 args $#\"", "exit 7"]
    text = "\n".join(lines) + "\n"
    try:
        res = subprocess.run([sys.executable, os.path.join(HERE, "run.py"), "--build", build.dir,
                              "--linux", "--timeout", str(2 * BOOT_TIMEOUT), "-c", text],
                             capture_output=True, text=True, timeout=2 * BOOT_TIMEOUT + 60)
        out, status = res.stdout + res.stderr, res.returncode
    except subprocess.TimeoutExpired:
        out, status = "timed out", None
    got = [l.rstrip("\r") for l in out.splitlines()]
    want = ["line %d: value_%d" % (i, i) if i != 40 else "LINE 40: VALUE_40" for i in range(80)] + \
        ["here $HOME 'single' \"double\" %41 \\n", "sh args 0"]
    problems = [] if len(text) > 3000 else ["the script is only %d bytes" % len(text)]
    if status != 7:
        problems.append("exit status %s, expected 7" % status)
    if [l for l in got if l in want] != want:
        missing = [l for l in want if l not in got]
        problems.append("the output is not the script's %d lines in order (%d missing, first %r)"
                        % (len(want), len(missing), missing[:1]))
    tally.report(name, not problems, "; ".join(problems), out)


TRACE_ROUND = ["app.marker", "ppc.call", "request.begin", "request.end", "ppc.return", "app.marker"]


def run_trace_test(build, tally, pattern):
    """Events from the kernel, a server and an application, in order, with
    consistent timestamps, decoded from the dump the kernel writes."""
    name = "trace/ordered_layers"
    if pattern and not re.search(pattern, name):
        return
    import trace as k42trace_cli  # tools/trace.py
    from k42trace import decode as tdecode, dump as tdump, table as ttable
    r = k42qemu.run(k42qemu.command(build, append="init=/tests/trace_test"), timeout=BOOT_TIMEOUT)
    problems, log = [], r.output
    raw = k42trace_cli.extract(r.output)
    if r.status != 0 or "UTEST PASS trace_test" not in r.output:
        problems.append("trace_test did not pass (status %s)" % r.status)
    if raw is None:
        problems.append("no trace dump on the console")
    else:
        tab = ttable.load(os.path.join(HERE, "..", "abi", "trace", "events.tbl"))
        tr = tdecode.decode(tdump.parse(raw), tab)
        if tr.errors:
            problems.append("decoder errors: %s" % "; ".join(str(d) for d in tr.errors[:3]))
        evs = [e for e in tr.user_events() if e.cls_name in ("app", "ppc", "request")]
        names = [e.name for e in evs]
        want = TRACE_ROUND * 3 + ["app.marker", "app.marker"]
        # Markers 3 and 4, 1.5 s apart with nothing logged between: the
        # kernel's tick closed 3's block once its header was 2^29 ticks
        # old (k42_trace_keep_time), so 4 opened the next block, and both
        # times decode exactly (4 after 3 by the time slept).
        quiet = [e for e in evs if e.name == "app.marker" and e.values().get("id") in (3, 4)]
        if len(quiet) != 2:
            problems.append("markers 3 and 4: %d found" % len(quiet))
        elif quiet[1].seq != quiet[0].seq + 1 or \
                not 1.4 <= (quiet[1].ts - quiet[0].ts) / tr.timebase_hz < 30:
            problems.append("marker 3 in block %d at %d, marker 4 in block %d at %d: the quiet "
                            "block was not closed" % (quiet[0].seq, quiet[0].ts, quiet[1].seq,
                                                      quiet[1].ts))
        if names != want:
            problems.append("order %s, expected %s" % (names, want))
        if any(b.ts < a.ts for a, b in zip(evs, evs[1:])):
            problems.append("timestamps go backwards")
        layers = {e.name: e.layer for e in evs}
        if layers.get("ppc.call") != 0 or layers.get("request.begin") != 2 or \
                layers.get("app.marker") != 3:
            problems.append("layers %s" % layers)
        log += "\ndecoded %d events: %s" % (len(tr.events), " ".join(names))
    tally.report(name, not problems, "; ".join(problems), log)


TRACE_SMP_CPUS = 4


def run_trace_smp_test(build, tally, pattern):
    """Every CPU traces (MTTCG, 4 CPUs): the dump holds a segment per CPU,
    each CPU's app markers (logged by a thread on a dispatcher there) in
    that CPU's ring and on its Perfetto track, and kernel events from every
    CPU."""
    name = "trace/smp_cpus"
    if pattern and not re.search(pattern, name):
        return
    import trace as k42trace_cli  # tools/trace.py
    from k42trace import analysis as tanalysis, chrome as tchrome, decode as tdecode, \
        dump as tdump, table as ttable
    n = TRACE_SMP_CPUS
    r = k42qemu.run(k42qemu.command(build, append="init=/tests/trace_smp_test", smp=n),
                    timeout=BOOT_TIMEOUT)
    problems, log = [], r.output
    raw = k42trace_cli.extract(r.output)
    if r.status != 0 or "UTEST PASS trace_smp_test" not in r.output:
        problems.append("trace_smp_test did not pass (status %s)" % r.status)
    if raw is None:
        problems.append("no trace dump on the console")
    else:
        tab = ttable.load(os.path.join(HERE, "..", "abi", "trace", "events.tbl"))
        tr = tdecode.decode(tdump.parse(raw), tab)
        if tr.errors:
            problems.append("decoder errors: %s" % "; ".join(str(d) for d in tr.errors[:3]))
        segs = sorted(tr.stats)
        if segs != list(range(n)):
            problems.append("segments for CPUs %s, expected 0..%d" % (segs, n - 1))
        marks = {}
        kernel = {}
        for e in tr.events:
            if e.name == "app.marker":
                v = e.values().get("id")
                if v is not None and 1000 <= v < 1000 + n:
                    marks.setdefault(v - 1000, []).append(e.cpu)
            elif e.layer == 0 and not e.is_control():
                kernel[e.cpu] = kernel.get(e.cpu, 0) + 1
        for c in range(n):
            where = marks.get(c, [])
            if len(where) != 20:
                problems.append("CPU %d's markers: %d, expected 20" % (c, len(where)))
            if any(w != c for w in where):
                problems.append("CPU %d's markers recorded as CPUs %s" % (c, sorted(set(where))))
            if not kernel.get(c):
                problems.append("no kernel events from CPU %d" % c)
        js = tchrome.convert(tr, tanalysis.Analysis(tr))
        tracks = {(m["pid"], m["tid"]): m["args"]["name"] for m in js["traceEvents"]
                  if m.get("ph") == "M" and m.get("name") == "thread_name"}
        shown = {}
        for item in js["traceEvents"]:
            if item.get("name") == "app.marker" and item.get("pid") == 0:
                shown.setdefault(tracks.get((0, item["tid"])), 0)
                shown[tracks.get((0, item["tid"]))] += 1
        for c in range(n):
            if shown.get("CPU %d" % c, 0) != 20:
                problems.append("Perfetto track 'CPU %d' shows %d markers" %
                                (c, shown.get("CPU %d" % c, 0)))
        log += "\ndecoded %d events; segments %s; kernel events per CPU %s; " \
               "markers per Perfetto track %s" % (len(tr.events), segs, kernel, shown)
    tally.report(name, not problems, "; ".join(problems), log)


def run_debug_test(build, tally, pattern):
    """./k42 debug's machinery in batch mode: gdb stops in kmain (real mode)
    and in a user program's main, with symbolized backtraces, and the k42
    helpers read the process table."""
    name = "debug/gdb"
    if pattern and not re.search(pattern, name):
        return
    import debug  # tools/debug.py
    status, out = debug.batch(build, ["break kmain", "continue", "bt", "continue", "bt",
                                      "k42-ps", "k42-calls", "print $k42_name()"],
                              append="init=/tests/startup_test", proc="args_child")
    want = [r"Breakpoint \d+, (0x[0-9a-f]+ in )?kmain \(fdt=0x[0-9a-f]+\) at \S*kern/main\.c:\d+",
            r"#0 .*kmain \(fdt=0x[0-9a-f]+\) at \S*kern/main\.c:\d+",
            r"#1 .* in boot_entry \(\) at \S*head\.S:\d+",
            r"Breakpoint \d+, main \(arg=4\) at \S*tests/user/args_child\.c:\d+",
            r"#0 +main \(arg=4\) at \S*args_child\.c:\d+",
            r"\n +\d+ +\d+ running +\w+ +general +args_child \*",
            r"\n +\d+ args_child +vp0 +DS_RUNNING +cpu0 +(enabled|disabled)",
            r'\$1 = "args_child"']
    problems = ["gdb exited %s" % status] if status != 0 else []
    problems += ["missing /%s/" % w for w in want if not re.search(w, out)]
    if "Python Exception" in out or "Error occurred" in out:
        problems.append("a k42 gdb helper raised an error")
    tally.report(name, not problems, "; ".join(problems), out)


def run_bench_smoke(build, tally, pattern):
    """./k42 bench --smoke: every figure produced, icount runs identical."""
    name = "bench/smoke"
    if pattern and not re.search(pattern, name):
        return
    out = os.path.join(build.dir, "bench", "smoke.json")
    try:
        res = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--build", build.dir,
                              "--smoke", "--json", out], capture_output=True, text=True,
                             timeout=600)
        log, ok = res.stdout + res.stderr, res.returncode == 0
    except subprocess.TimeoutExpired:
        log, ok = "timed out after 600 s", False
    tally.report(name, ok, "" if ok else "see log", log)


def main():
    ap = argparse.ArgumentParser(prog="./k42 test", description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help=argparse.SUPPRESS)
    ap.add_argument("--filter", default="", help="regex on test names")
    ap.add_argument("-v", "--verbose", action="store_true", help="show logs of passing tests too")
    ap.add_argument("--smp", type=int, default=1,
                    help="CPUs of every boot that does not name its own (MTTCG when > 1)")
    ap.add_argument("--race-kernel", action="store_true",
                    help="boot the kernel with its race windows widened (docs/smp.md)")
    args = ap.parse_args()
    global BOOT_TIMEOUT
    if args.smp > 1:
        k42qemu.DEFAULT_SMP = args.smp
        BOOT_TIMEOUT *= 2   # parallel vCPUs on a shared host run slower
    build = k42qemu.Build(args.build, race=args.race_kernel)
    tally = Tally(args.verbose)
    groups = [
        ("host", lambda: run_host_tests(build.dir, tally, args.filter)),
        ("kernel", lambda: run_kernel_tests(build, tally, args.filter)),
        ("scenarios", lambda: run_scenarios(build, tally, args.filter)),
        ("shell", lambda: run_shell_sessions(build, tally, args.filter)),
        ("linux", lambda: run_linux_tests(build, tally, args.filter)),
        ("linux_long", lambda: run_linux_long_commands(build, tally, args.filter)),
        ("storage", lambda: storagetest.run_storage_tests(build, tally, args.filter)),
        ("net", lambda: nettest.run_net_tests(build, tally, args.filter)),
        ("icmp", lambda: icmptest.icmp_session(build, tally, args.filter)),
        ("linux_net", lambda: lxnettest.run_linux_net_test(build, tally, args.filter)),
        ("trace", lambda: run_trace_test(build, tally, args.filter)),
        ("trace_smp", lambda: run_trace_smp_test(build, tally, args.filter)),
        ("trace_stream", lambda: tracestreamtest.run_trace_stream_test(build, tally, args.filter,
                                                                       HERE)),
        ("debug", lambda: run_debug_test(build, tally, args.filter)),
        ("bench", lambda: run_bench_smoke(build, tally, args.filter)),
    ]
    for group, run_group in groups:
        # A runner that raises (a helper's timeout, a host tool gone) is a
        # FAIL of its own: the tests after it still run, and the total
        # line still comes.
        try:
            run_group()
        except Exception as e:  # noqa: BLE001
            tally.report("testrun/" + group, False, "the runner raised %s: %s" %
                         (type(e).__name__, e), traceback.format_exc())
    if tally.skipped:
        print("%d skipped, each declared in EXPECTED_SKIPS" % tally.skipped)
    print("%d passed, %d failed" % (tally.passed, tally.failed))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
