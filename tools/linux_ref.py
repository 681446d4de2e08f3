#!/usr/bin/env python3
"""Run busybox scenarios (tests/linux/cases.txt's format) on Debian's Linux
and on k42's Linux personality, and show where the two differ.

    python3 tools/linux_ref.py --build BUILD CASES.txt [--disk IMAGE] [--only RE]
        [--linux-only | --k42-only] [--write-want OUT.txt]

Both sides run the same script (tests/linux/cases.py's) with the same
Debian busybox-static binary: the reference boots Debian's ppc64el Linux
(tools/setup-bench.sh's kernel, as ./k42 bench does) on the same QEMU
machine with an initramfs holding busybox, its applets as symlinks in
/bin, k42's /etc files, /proc, devtmpfs at /dev and tmpfs at /tmp (and,
with --disk, the image's ext2 at /mnt); k42 runs it as `./k42 run --linux`.
Each case's output and status are compared; cases whose want part is
empty are only compared between the two. --write-want writes the cases
with Linux's output as their expected output (review it before use).
Nothing runs on the host but QEMU."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "linux"))
import bench_linux  # noqa: E402
import cases as lcases  # noqa: E402

INIT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /dev /tmp /sys /mnt
/bin/busybox --install -s /bin
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/
mount -t proc proc /proc
mount -t devtmpfs dev /dev
mount -t sysfs sys /sys
mount -t tmpfs -o size=16m tmp /tmp
hostname -F /etc/hostname
if [ -n "$ldisk" ]; then
	for m in $(cat /lib/modules/load-order); do insmod /lib/modules/$m; done
	i=0; until [ -b /dev/vda ] || [ $i -gt 100 ]; do i=$((i+1)); sleep 0.1; done
	mount -t ext2 /dev/vda /mnt
fi
echo "@@ref start"
cd /
sh -c "$(cat /run.sh)" < /dev/null
poweroff -f
"""


def linux_run(build, script_text, disk=None, timeout=600):
    vmlinux, _, _ = bench_linux.prepare(build)
    _, linux, mods = bench_linux.setup()
    out = os.path.join(os.path.abspath(build), "linux-ref")
    os.makedirs(out, exist_ok=True)
    files = {"init": INIT, "run.sh": script_text}
    args = []
    for name, text in files.items():
        p = os.path.join(out, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o755)
        args.append("%s=%s" % ("init" if name == "init" else name, p))
    args.append("bin/busybox=" + os.path.join(linux, "busybox"))
    etc = os.path.join(ROOT, "rootfs", "files", "etc")
    for n in ("passwd", "group", "hostname", "hosts"):
        args.append("etc/%s=%s" % (n, os.path.join(etc, n)))
    with open(os.path.join(mods, "load-order")) as f:
        args += ["lib/modules/%s=%s" % (m, os.path.join(mods, m)) for m in f.read().split()]
    args.append("lib/modules/load-order=" + os.path.join(mods, "load-order"))
    cpio = os.path.join(out, "initramfs.cpio")
    subprocess.run([sys.executable, os.path.join(ROOT, "rootfs", "mkinitrd.py"), cpio] + args,
                   check=True)
    append = bench_linux.APPEND + (" ldisk=1" if disk else "")
    cmd = bench_linux.qemu_command(vmlinux, cpio, append, icount=False)
    if disk:
        cmd += bench_linux.disk_args(disk)
    b = bench_linux.boot(cmd, "@@ref start", boot_timeout=120, run_timeout=timeout,
                         what="Linux (reference)")
    return b.output


def k42_run(build, script_text, disk=None, timeout=600):
    cmd = [sys.executable, os.path.join(HERE, "run.py"), "--build", build, "--linux",
           "--timeout", str(timeout), "-c", script_text]
    if disk:
        cmd += ["--disk", disk]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return res.stdout.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("cases")
    ap.add_argument("--disk")
    ap.add_argument("--only")
    ap.add_argument("--linux-only", action="store_true")
    ap.add_argument("--k42-only", action="store_true")
    ap.add_argument("--write-want")
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    cs = lcases.parse(a.cases)
    if a.only:
        cs = [c for c in cs if re.search(a.only, c["name"])]
    text = lcases.script(cs)
    got = {}
    for side, fn, skip in (("linux", linux_run, a.k42_only), ("k42", k42_run, a.linux_only)):
        if skip:
            continue
        disk = None
        if a.disk:     # each side writes to a copy of its own
            disk = "/tmp/linux_ref_%s_%d.img" % (side, os.getpid())
            shutil.copyfile(a.disk, disk)
        raw = fn(a.build, text, disk, a.timeout)
        if disk:
            os.unlink(disk)
        with open("/tmp/linux_ref_%s_%d.log" % (side, os.getpid()), "w") as f:
            f.write(raw)
        got[side] = lcases.split_output(raw)
    same = differ = 0
    for c in cs:
        outs = {s: g.get(c["name"]) for s, g in got.items()}
        if len(outs) == 2 and outs["linux"] == outs["k42"] and outs["linux"] is not None:
            same += 1
            continue
        differ += 1
        print("=== %s" % c["name"])
        for s, o in outs.items():
            print("--- %s: %s" % (s, "did not end" if o is None else "status %d" % (o[1] or 0)))
            for line in (o[0] if o else []):
                print("    " + line)
    print("%d the same, %d differ" % (same, differ))
    if a.write_want and "linux" in got:
        with open(a.write_want, "w") as f:
            for c in cs:
                o = got["linux"].get(c["name"])
                st = o[1] if o else 0
                f.write("## %s%s\n" % (c["name"], " status=%d" % st if st else ""))
                f.write("\n".join(c["cmds"]) + "\n--\n")
                f.write("\n".join(o[0] if o else []) + "\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
