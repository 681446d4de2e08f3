"""The storage tests of busybox on an ext2 disk (./k42 run --linux --disk,
docs/storage.md, docs/linux.md), run by tools/storagetest.py:

  storage/linux_disk     busybox writes, renames, deletes and sets times on
                         ext2; e2fsck -fn clean, debugfs reads it back; Unix
                         times both ways; an inode's owner and a named pipe
                         read back
  linux/df_ext2          busybox df and stat -f of an ext2 mount give
                         Linux's figures (metadata left out, root's
                         reserve, inodes), also after a write
"""
import os
import re
import shutil
import subprocess

import k42qemu
import run as k42run
from storage_host import E2, TIMEOUT, common_problems, debugfs, dump, fsck, linux_boot, mke2fs


LINUX_DISK = ("ls -1 /mnt; stat -c %Y /mnt/old; stat -c 'own %u %g %F' /mnt/old /mnt/fifo1; "
              "echo from-linux > /mnt/new; mkdir /mnt/d; "
              "mv /mnt/new /mnt/d/new2; sync; cat /mnt/d/new2; stat -c 'new %Y' /mnt/d/new2; "
              "touch -t 200902132331.30 /mnt/d/new2; stat -c 'touched %Y' /mnt/d/new2; "
              "rm /mnt/gone; ls /mnt")


def test_linux_disk(build, tmpdir):
    """./k42 run --linux --disk IMAGE: busybox on the ext2 disk. Its times
    are Unix times both ways: a host file's mtime reads back, a new file's
    is the machine's clock, and touch -t lands in the inode. A file's
    owner and a named pipe read back as the inode has them."""
    import time
    src = os.path.join(tmpdir, "ltree")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    for name in ("old", "gone"):
        with open(os.path.join(src, name), "w") as f:
            f.write(name + "\n")
    os.utime(os.path.join(src, "old"), (1000000000, 1000000000))
    os.mkfifo(os.path.join(src, "fifo1"))
    image = os.path.join(tmpdir, "linux.img")
    mke2fs(src, image, "8M")
    for req in ("sif /old uid 1000", "sif /old gid 1001", "sif /fifo1 uid 0", "sif /fifo1 gid 0"):
        subprocess.run([E2["debugfs"], "-w", "-R", req, image], capture_output=True, check=True)

    class Args:
        append, commands = "", LINUX_DISK
    cmd = k42qemu.command(build, append=k42run.linux_append(Args, ["disk"]),
                          extra=k42qemu.disk_args(image))
    start = time.time()
    r = k42qemu.run(cmd, timeout=TIMEOUT)
    problems = common_problems(r)
    text, status = k42run.linux_shell_output(r.output)
    if status != 0:
        problems.append("the shell ended with status %s" % status)
    lines = [l.rstrip("\r") for l in text.splitlines()]
    # The shell waits for the disk (its first command lists it), and
    # nothing the file system says (its mount, a sync's figures) lands
    # in the program's output.
    if lines[:4] != ["fifo1", "gone", "lost+found", "old"]:
        problems.append("the first command's ls -1 /mnt gave %r" % lines[:4])
    for want in ("own 1000 1001 regular file", "own 0 0 fifo"):
        if want not in lines:
            problems.append("no %r: stat -c '%%u %%g %%F' gave %r" % (
                want, [l for l in lines if l.startswith("own ")]))
    if [l for l in lines if l.startswith("ext2:")]:
        problems.append("the file system's lines are in the shell's output")
    if "1000000000" not in lines:
        problems.append("the host file's mtime did not read back as 1000000000")
    m = re.search(r"(?m)^new (\d+)\r?$", text)
    if not m or not start - 600 <= int(m.group(1)) <= time.time() + 600:
        problems.append("a new file's mtime is %s, not the host's time %d"
                        % (m and m.group(1), start))
    if not re.search(r"(?m)^touched 1234567890\r?$", text):
        problems.append("touch -t did not read back as 1234567890")
    if "from-linux" not in lines:
        problems.append("cat of the new file")
    st, out = fsck(image)
    if st != 0:
        problems.append("e2fsck -fn: status %d" % st)
    if dump(image, "/d/new2", tmpdir) != b"from-linux\n":
        problems.append("debugfs does not read /d/new2 as written")
    if debugfs(image, "stat /gone")[2].find("not found") < 0:
        problems.append("/gone is still there")
    m = re.search(rb"mtime: 0x([0-9a-f]+)", debugfs(image, "stat /d/new2")[1])
    if not m or int(m.group(1), 16) != 1234567890:
        problems.append("debugfs: /d/new2's mtime is %s" % (m and int(m.group(1), 16)))
    return problems, "", r.output + "\n" + out


def linux_statfs(image):
    """What Linux's statfs says of an ext2 image (Debian's kernel mounts
    ext2 with its ext4 driver; tools/linux_ref.py --disk agreed on an 8 MiB
    image): (bsize, blocks, bfree, bavail, files, ffree), the size without
    the blocks before the first group, each superblock copy with its group
    descriptors and reserved GDT blocks, and each group's bitmaps and
    inode table, from dumpe2fs -h."""
    out = subprocess.run([E2["dumpe2fs"], "-h", image], capture_output=True, text=True,
                         check=True).stdout
    f = dict((k.strip(), v.strip()) for k, v in
             (l.split(":", 1) for l in out.splitlines() if ":" in l))
    num = lambda k: int(f.get(k, "0").split()[0])
    bs, blocks, first = num("Block size"), num("Block count"), num("First block")
    groups = -(-(blocks - first) // num("Blocks per group"))
    gdt = -(-groups * 32 // bs)
    sparse = "sparse_super" in f.get("Filesystem features", "")

    def has_super(g):
        if not sparse or g <= 1:
            return True
        for b in (3, 5, 7):
            p = b
            while p < g:
                p *= b
            if p == g:
                return True
        return False
    over = first + sum(1 + gdt + num("Reserved GDT blocks") for g in range(groups) if has_super(g))
    over += groups * (2 + num("Inode blocks per group"))
    free = num("Free blocks")
    return (bs, blocks - over, free, max(0, free - num("Reserved block count")),
            num("Inode count"), num("Free inodes"))


def test_linux_df(build, tmpdir):
    """df and stat -f of an ext2 mount give Linux's figures: the size
    without the file system's own structures, root's reserve not
    available, the inodes; a write's blocks leave the free count, which
    the superblock holds after the power-off."""
    src = os.path.join(tmpdir, "dftree")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(os.path.join(src, "d"))
    with open(os.path.join(src, "d", "f"), "w") as f:
        f.write("x" * 5000)
    image = os.path.join(tmpdir, "df.img")
    mke2fs(src, image, "8M")
    bs, blocks, bfree, bavail, files, ffree = linux_statfs(image)
    r = linux_boot(build, image, "ls /mnt >/dev/null; df /mnt; "
                   "stat -f -c 'statfs %S %b %f %a %c %d' /mnt; "
                   "dd if=/dev/zero of=/mnt/new bs=1024 count=40 2>/dev/null; "
                   "stat -f -c 'after %f %a %d' /mnt")
    problems = common_problems(r)
    text, status = k42run.linux_shell_output(r.output)
    if status != 0:
        problems.append("the shell ended with status %s" % status)
    want = "statfs %d %d %d %d %d %d" % (bs, blocks, bfree, bavail, files, ffree)
    if not re.search(r"(?m)^%s\r?$" % want, text):
        problems.append("stat -f gave %r, Linux's figures are %r" % (
            re.findall(r"(?m)^statfs .*", text), want))
    kb = lambda n: n * bs // 1024
    used = blocks - bfree
    df = r"(?m)^/dev/vda\s+%d\s+%d\s+%d\s+%d%% /mnt" % (
        kb(blocks), kb(used), kb(bavail), (used * 100 + (used + bavail) // 2) // (used + bavail))
    if not re.search(df, text):
        problems.append("df's line is not /%s/" % df)
    after = linux_statfs(image)
    m = re.search(r"(?m)^after (\d+) (\d+) (\d+)", text)
    if not m or int(m.group(1)) > bfree - 40 or \
            (int(m.group(1)), int(m.group(2)), int(m.group(3))) != (after[2], after[3], after[5]):
        problems.append("after a 40 KiB write: %r; the image says free %d, available %d, "
                        "free inodes %d" % (m and m.group(0), after[2], after[3], after[5]))
    return problems, want, r.output
