#!/usr/bin/env python3
"""./k42 run and ./k42 debug: boot k42 in QEMU.

Interactive by default (the shell on this terminal; Ctrl-A X quits QEMU).
With -c 'CMDS' the boot is non-interactive: once the shell's prompt
(`k42> `) appears, the commands (separated by ';' or newlines) are typed one
per prompt, then `poweroff`; the console output is printed, then the time
from starting QEMU to the first prompt. The exit status is non-zero on a
panic, a timeout, or a failing command (the shell then ends with status 1
after "k42: N command(s) failed", and init powers off with that status).
Without a terminal and without -c, the boot goes to the prompt and powers
off (or, with --append init=PROG, runs PROG). --gdb (./k42 debug) starts QEMU halted with
its gdb stub on a free port and attaches gdb-multiarch (tools/debug.py).""" 
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k42qemu  # noqa: E402


def main():
    ap = argparse.ArgumentParser(prog="./k42 run", description="boot k42 in QEMU")
    ap.add_argument("--build", required=True, help=argparse.SUPPRESS)
    ap.add_argument("-c", dest="commands", help="run these shell commands, then power off")
    ap.add_argument("--append", default="", help="kernel boot arguments")
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--gdb", action="store_true", help="halt at entry and attach gdb-multiarch")
    ap.add_argument("--proc", help="with --gdb: load this user program's symbols, stop at its main")
    ap.add_argument("--disk", metavar="IMAGE",
                    help="attach this raw ext2 image as the virtio disk, mounted at /mnt "
                         "(default: the build's scratch image; docs/storage.md)")
    ap.add_argument("--no-disk", action="store_true", help="boot without a disk")
    ap.add_argument("--root-disk", metavar="IMAGE",
                    help="attach this raw ext2 image as the virtio disk and mount it as the "
                         "root, /; the boot archive is then /boot (docs/storage.md); "
                         "goes with --net and --linux")
    ap.add_argument("--net", action="store_true",
                    help="a virtio-net NIC on QEMU's restricted user network, and the "
                         "network servers (/etc/net.conf)")
    ap.add_argument("--forward", action="append", default=[], metavar="HOSTPORT:GUESTPORT",
                    help="forward 127.0.0.1:HOSTPORT to the guest's GUESTPORT ([udp:] for "
                         "UDP; repeatable; implies --net)")
    ap.add_argument("--linux", action="store_true",
                    help="busybox sh (Linux personality) as the console shell; with -c, "
                         "run CMDS as sh -c would and exit with the shell's status")
    args = ap.parse_args()
    build = k42qemu.Build(args.build)
    extra = []
    root_extra = []
    if args.root_disk:
        if args.disk or args.no_disk:
            sys.exit("k42: run: --root-disk goes with neither --disk nor --no-disk")
        if not os.path.exists(args.root_disk):
            sys.exit("k42: run: no disk image %s" % args.root_disk)
        root_extra = k42qemu.disk_args(args.root_disk)
        args.no_disk = True     # the disk is attached already
    if args.net or args.forward:
        try:
            forwards = [k42qemu.parse_forward(f) for f in args.forward]
        except ValueError as e:
            sys.exit("k42: %s" % e)
        extra = k42qemu.net_args(forwards)
        if not args.linux:
            args.append = (args.append + " " if args.append else "") + \
                (k42qemu.NET_ROOT_DISK_APPEND if args.root_disk else k42qemu.NET_APPEND)
    elif args.root_disk and not args.linux:
        args.append = (args.append + " " if args.append else "") + k42qemu.ROOT_DISK_APPEND
    extra = root_extra + extra
    if args.linux:
        # /etc/boot-linux.conf starts its when=net and when=disk entries
        # when init's arguments hold these words.
        words = []
        if args.net or args.forward:
            words.append("net")
        if args.disk:
            if not os.path.exists(args.disk):
                sys.exit("k42: run: no disk image %s" % args.disk)
            extra += k42qemu.disk_args(args.disk)
            words.append("disk")
        return run_linux(build, args, extra, words)
    if not args.no_disk and "init=" not in args.append:
        image = args.disk or k42qemu.scratch_image(build)
        if not os.path.exists(image):
            sys.exit("k42: run: no disk image %s" % image)
        extra += k42qemu.disk_args(image)
        args.append = k42qemu.disk_append(args.append)

    if args.gdb:
        import debug  # tools/debug.py
        return debug.debug(build, append=args.append, mem=args.mem, smp=args.smp,
                           proc=args.proc)

    if args.commands is None and sys.stdin.isatty():
        cmd = k42qemu.command(build, append=args.append, mem=args.mem, smp=args.smp,
                              interactive=True, extra=extra)
        start = time.monotonic()
        rc = subprocess.call(cmd)
        print("k42: QEMU exited with status %d after %.2fs" % (rc, time.monotonic() - start))
        return rc

    cmd = k42qemu.command(build, append=args.append, mem=args.mem, smp=args.smp, extra=extra)
    if "init=" in args.append and args.commands is None:
        script = ()     # a program booted as init: nothing to type
    else:
        script = shell_script(split_commands(args.commands or ""))
    res = k42qemu.run(cmd, timeout=args.timeout, script=script, mark=PROMPT)
    sys.stdout.write(k42qemu.symbolize(res.output, build.kernel_elf))
    if not res.output.endswith("\n"):
        print()
    if res.mark_seconds is not None:
        print("k42: boot to prompt %.2fs (wall, QEMU start to the first '%s')"
              % (res.mark_seconds, PROMPT.strip()))
    if res.timed_out:
        print("k42: timed out after %.0fs" % args.timeout)
    elif re.search(r"PANIC|unexpected exception", res.output):
        print("k42: the kernel panicked")
    status = k42qemu.exit_status(res)
    print("k42: exit status %d (QEMU exited with %s after %.2fs)" % (status, res.status, res.seconds))
    return status


PROMPT = "k42> "


LINUX_CONF = "bootconf=/etc/boot-linux.conf"
# The same with the ext2 disk as the root (--linux --root-disk).
LINUX_ROOT_DISK_CONF = "bootconf=/etc/boot-linux-rootdisk.conf"


def linux_append(args, words=(), commands_file=None, fitting=False):
    """Boot the server set of /etc/boot-linux.conf, whose shell is /bin/lx:
    busybox sh, interactive or with the script %-encoded (any bytes
    survive the boot arguments), or, for commands_file, sh -c with the text
    of that file of the boot archive (commands_initrd); init hands its
    shellarg= words to it. words ("net", "disk") start the entries marked
    when=WORD. With fitting: whether they fit, instead."""
    if args.commands is None:
        tail = "shellarg=/bin/sh shellarg=sh"
    elif commands_file:
        tail = "shellarg=-f shellarg=" + commands_file
    else:
        tail = "shellarg=-u shellarg=" + encode_commands(args.commands)
    conf = LINUX_ROOT_DISK_CONF if getattr(args, "root_disk", None) else LINUX_CONF
    append = (args.append + " " if args.append else "") + "-- " + conf + " " + \
        "".join(w + " " for w in words) + tail
    if len(append) > BOOTARGS_MAX and not fitting:
        sys.exit("k42: --linux: the boot arguments are too long (%d bytes; at most %d)"
                 % (len(append), BOOTARGS_MAX))
    return append if not fitting else len(append) <= BOOTARGS_MAX


BOOTARGS_MAX = 1023     # what the kernel reads of the boot arguments
# Commands too long for the boot arguments travel in the boot archive, in
# this file of a copy of it made for the one boot (commands_initrd).
COMMANDS_FILE = "etc/k42-commands.sh"
COMMANDS_MAX = 128 * 1024 - 1   # one argument of sh -c: Linux's limit for a string


def commands_fit(args, words=()):
    """Whether --linux -c's commands fit in the boot arguments."""
    return linux_append(args, words, fitting=True)


def commands_initrd(initrd, text, out):
    """Write to out a copy of the boot archive initrd (cpio newc) with the
    file COMMANDS_FILE holding text, added before the trailer."""
    data = text.encode()
    if len(data) > COMMANDS_MAX:
        sys.exit("k42: --linux -c: the commands are %d bytes; at most %d" % (len(data), COMMANDS_MAX))
    with open(initrd, "rb") as f:
        archive = f.read()
    pos = 0
    while True:
        h = archive[pos:pos + 110]
        if len(h) < 110 or h[:6] != b"070701":
            sys.exit("k42: %s is not a cpio newc archive (at byte %d)" % (initrd, pos))
        size, namesize = int(h[54:62], 16), int(h[94:102], 16)
        if archive[pos + 110:pos + 110 + namesize - 1] == b"TRAILER!!!":
            break
        pos = (pos + 110 + namesize + 3) & ~3
        pos = (pos + size + 3) & ~3

    def entry(name, mode, body):
        raw = name.encode() + b"\0"
        fields = [0x7fffffff, mode, 0, 0, 1, 0, len(body), 0, 0, 0, 0, len(raw), 0]
        head = b"070701" + b"".join(b"%08X" % v for v in fields) + raw
        return head + b"\0" * (-len(head) % 4) + body + b"\0" * (-len(body) % 4)
    with open(out, "wb") as f:
        f.write(archive[:pos])
        f.write(entry(COMMANDS_FILE, 0o100644, data))
        f.write(entry("TRAILER!!!", 0, b""))


SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,:=+@")


def encode_commands(text):
    """/bin/lx -u's encoding: %XX for every byte outside SAFE (spaces,
    quotes, newlines ...), so the script survives the boot arguments."""
    return "".join(chr(b) if b in SAFE else "%%%02x" % b for b in text.encode())


def linux_shell_output(out):
    """The shell's part of a --linux boot's console text (after init's
    line saying the shell started, up to init's line saying it ended),
    and the shell's exit status (None if it did not end; 137 if killed)."""
    # init says what it started before it starts the shell, and that the
    # shell started after: with several CPUs the shell may print first.
    lines = re.sub(r"init: shell \(pid \d+\) started [^\r\n]*\r?\n", "", out).splitlines(True)
    start = next((i + 1 for i, l in enumerate(lines) if l.startswith("init: started ")), None)
    if start is None:
        start = next((i + 1 for i, l in enumerate(lines) if l.startswith("k42: boot archive:")), 0)
    for i in range(start, len(lines)):
        m = re.match(r"init: shell ended: (?:exit status (-?\d+)|killed)", lines[i])
        if m:
            return "".join(lines[start:i]), (int(m.group(1)) if m.group(1) is not None else 137)
    return "".join(lines[start:]), None


def run_linux(build, args, extra=(), words=()):
    if not commands_fit(args, words):
        fd, initrd = tempfile.mkstemp(prefix="run-commands-", suffix=".cpio", dir=build.dir)
        os.close(fd)
        try:
            commands_initrd(build.initrd, args.commands, initrd)
            root = "/boot/" if getattr(args, "root_disk", None) else "/"
            return run_linux_boot(build, args, extra,
                                  linux_append(args, words, root + COMMANDS_FILE), initrd)
        finally:
            os.unlink(initrd)
    return run_linux_boot(build, args, extra, linux_append(args, words), "default")


def run_linux_boot(build, args, extra, append, initrd):
    if args.commands is None and sys.stdin.isatty():
        cmd = k42qemu.command(build, append=append, mem=args.mem, smp=args.smp, interactive=True,
                              extra=list(extra))
        return subprocess.call(cmd)
    cmd = k42qemu.command(build, append=append, initrd=initrd, mem=args.mem, smp=args.smp,
                          extra=list(extra))
    res = k42qemu.run(cmd, timeout=args.timeout)
    out = k42qemu.symbolize(res.output, build.kernel_elf)
    text, status = linux_shell_output(out)
    sys.stdout.write(text)
    if res.timed_out:
        print("k42: timed out after %.0fs" % args.timeout)
        return 124
    if re.search(r"PANIC|unexpected exception", res.output):
        print("k42: the kernel panicked")
        return 1
    if status is None:
        print("k42: the shell did not end (QEMU status %s)" % res.status)
        return 1
    return status


def split_commands(text):
    """'a; b\nc' -> ['a', 'b', 'c']; a final poweroff/exit is added if missing."""
    cmds = [c.strip() for c in re.split(r"[;\n]", text) if c.strip()]
    if not cmds or cmds[-1].split()[0] not in ("poweroff", "exit"):
        cmds.append("poweroff")
    return cmds


def shell_script(cmds):
    """Type command i once the (i+1)-th prompt has appeared."""
    return [(r"(?s)(?:.*?%s){%d}" % (re.escape(PROMPT), i + 1), c + "\r")
            for i, c in enumerate(cmds)]

if __name__ == "__main__":
    sys.exit(main())
