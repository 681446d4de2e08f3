"""What the storage tests (tools/storagetest.py, tools/storagetest_linux.py)
share: the host's e2fsprogs (mke2fs, e2fsck, debugfs, dumpe2fs) run on an
image, the data pattern tests/user/disk_tool.c writes, a boot of k42's
shell or of busybox (--linux) with the image as its disk, and the
problems every run is checked for.
"""
import os
import re
import shutil
import subprocess

import k42qemu
import run as k42run

TIMEOUT = 300.0
E2 = {n: shutil.which(n) or "/usr/sbin/" + n for n in ("mke2fs", "e2fsck", "debugfs", "dumpe2fs")}


def pattern(size, seed):
    """tests/user/disk_tool.c's pattern: byte i = (i*131 + (i>>9)*7 + seed) & 0xff."""
    out = bytearray(size)
    for i in range(size):
        out[i] = (i * 131 + (i >> 9) * 7 + seed) & 0xff
    return bytes(out)


def mke2fs(src, image, size, block=1024):
    subprocess.run([E2["mke2fs"], "-q", "-F", "-t", "ext2", "-b", str(block), "-d", src, image,
                    size], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fsck(image, repair=False):
    r = subprocess.run([E2["e2fsck"], "-fy" if repair else "-fn", image], capture_output=True,
                       text=True)
    return r.returncode, r.stdout + r.stderr


def debugfs(image, request):
    r = subprocess.run([E2["debugfs"], "-R", request, image], capture_output=True)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def dump(image, path, tmpdir):
    out = os.path.join(tmpdir, "dumped")
    if os.path.exists(out):
        os.unlink(out)
    debugfs(image, "dump %s %s" % (path, out))
    if not os.path.exists(out):
        return None
    with open(out, "rb") as f:
        return f.read()


# ext2's last word on mounting /mnt: mounted (after it registered the
# mount) or refused.
MOUNT_DONE = r"ext2: /mnt: (?:\d+ blocks|cannot mount)"


def boot(build, image, commands, stop_at=None):
    cmd = k42qemu.command(build, append=k42qemu.disk_append(""), extra=k42qemu.disk_args(image))
    script = k42run.shell_script(k42run.split_commands(commands))
    # The first command waits for both the prompt and ext2's mount line,
    # which come in either order (a loaded host once let `cat /mnt/...`
    # run before /mnt was there: storage/ext2_hostile).
    script[0] = (r"(?s)(?:%s.*k42> |k42> .*%s)" % (MOUNT_DONE, MOUNT_DONE), script[0][1])
    return k42qemu.run(cmd, timeout=TIMEOUT, script=script, stop_at=stop_at)


def common_problems(r):
    p = []
    if r.timed_out:
        p.append("timed out")
    if re.search(r"PANIC|unexpected exception", r.output):
        p.append("the kernel panicked")
    if re.search(r"killed process \d+ \((ext2|virtio_blk)\)", r.output):
        p.append("a storage server was killed")
    return p


def linux_boot(build, image, commands):
    class Args:
        append = ""
    Args.commands = commands
    cmd = k42qemu.command(build, append=k42run.linux_append(Args, ["disk"]),
                          extra=k42qemu.disk_args(image))
    return k42qemu.run(cmd, timeout=TIMEOUT)
