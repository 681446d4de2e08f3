#!/usr/bin/env python3
"""./k42 run and ./k42 debug: boot k42 in QEMU.

Interactive by default (console on this terminal; Ctrl-A X quits QEMU).
With -c 'CMDS' the boot is non-interactive: the commands are typed at the
shell prompt once it appears, the output is printed, and the exit status is
non-zero on a panic, a timeout or a failing boot. Until user space exists,
-c just boots and reports. --gdb starts QEMU halted with its gdb stub and
attaches gdb-multiarch to the kernel ELF."""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k42qemu  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="boot k42 in QEMU")
    ap.add_argument("--build", required=True)
    ap.add_argument("-c", dest="commands", help="run these shell commands, then power off")
    ap.add_argument("--append", default="", help="kernel boot arguments")
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--gdb", action="store_true", help="halt at entry and attach gdb-multiarch")
    args = ap.parse_args()
    build = k42qemu.Build(args.build)

    if args.gdb:
        cmd = k42qemu.command(build, append=args.append, mem=args.mem, smp=args.smp,
                              interactive=True, gdb=True)
        qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        time.sleep(0.3)
        gdb = ["gdb-multiarch", "-q", build.kernel_elf,
               "-ex", "set architecture powerpc:common64",
               "-ex", "set endian little",
               "-ex", "target remote localhost:1234"]
        try:
            return subprocess.call(gdb)
        finally:
            qemu.kill()

    if args.commands is None and sys.stdin.isatty():
        cmd = k42qemu.command(build, append=args.append, mem=args.mem, smp=args.smp,
                              interactive=True)
        start = time.monotonic()
        rc = subprocess.call(cmd)
        print("k42: QEMU exited with status %d after %.2fs" % (rc, time.monotonic() - start))
        return rc

    cmd = k42qemu.command(build, append=args.append, mem=args.mem, smp=args.smp)
    res = k42qemu.run(cmd, timeout=args.timeout)
    sys.stdout.write(k42qemu.symbolize(res.output, build.kernel_elf))
    if res.timed_out:
        print("k42: timed out after %.0fs" % args.timeout)
        return 124
    print("k42: QEMU exited with status %d after %.2fs" % (res.status, res.seconds))
    return res.status


if __name__ == "__main__":
    sys.exit(main())
