"""The storage tests of ./k42 test (docs/storage.md): ext2 images made by
the host's mke2fs, read and written by k42's ext2 server over the
virtio-blk driver, then checked by the host's e2fsck and debugfs.

  storage/ext2_tree      a tree from `mke2fs -d` (nested directories,
                         symlinks, sizes 0 B..20 MB: direct, indirect and
                         double-indirect blocks) read back by checksum
  storage/ext2_persist   the shell writes, renames, deletes; power off;
                         e2fsck -fn clean, debugfs reads what k42 wrote;
                         a second boot reads it back
  storage/ext2_crash     QEMU killed at 20 random points of a write load;
                         e2fsck -fy repairs; every fsynced file is intact
  storage/blk_restart    the virtio-blk driver stopped in a write load:
                         ext2 gets errors, init restarts the driver,
                         the disk serves again; e2fsck -fn clean and
                         every fsynced file intact
  storage/ext2_hostile   images with a bad superblock, a file system
                         larger than its disk, a block pointer past the
                         end, a broken directory record and a directory
                         loop: clear errors, the server and kernel live on
  storage/ext2_perm      a uid 1000 process (the kernel's ids) is refused and
                         allowed by owner, group and mode; what it makes is
                         its own on the disk (debugfs)
  storage/root_disk      ./k42 run --root-disk: the image is /, the boot
                         archive /boot; a program runs from the disk, the
                         shell writes at /; e2fsck -fn clean, debugfs reads it
  storage/ext2_concurrent four jobs read at once; ext2 reads the disk with
                         its lock free, at least 2 at once; CRCs match
  storage/root_disk_with ./k42 run --root-disk with --linux (busybox at an
                         ext2 root) and with --net; debugfs reads both writes

The host's tools and the boot these share are tools/storage_host.py's;
the tests of busybox on an ext2 disk (storage/linux_disk, linux/df_ext2)
are tools/storagetest_linux.py's.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import zlib

import k42qemu
import run as k42run
from storage_host import (E2, MOUNT_DONE, TIMEOUT, boot, common_problems,
                          debugfs, dump, fsck, linux_boot, mke2fs, pattern)
from storagetest_linux import test_linux_df, test_linux_disk


def test_tree(build, tmpdir):
    src = os.path.join(tmpdir, "tree")
    shutil.rmtree(src, ignore_errors=True)
    rnd = random.Random(17)
    sizes = [0, 1, 511, 512, 1023, 1024, 1025, 4096, 12 * 1024, 12 * 1024 + 1,
             268 * 1024, 268 * 1024 + 1, 1 << 20, 3 * (1 << 20) + 7, 20 * (1 << 20)]
    dirs = ["", "a", "a/b", "a/b/c", "a/b/c/d", "many", "x y"]
    want = {}
    for d in dirs:
        os.makedirs(os.path.join(src, d), exist_ok=True)
    n = 0
    # 500 files in all (the tree): the 15 sizes above, then small
    # and middling ones spread over the directories.
    for s in sizes + [rnd.randrange(0, 70000 if i % 4 == 0 else 6000) for i in range(485)]:
        d = dirs[n % len(dirs)] if s < (1 << 20) else "a/b/c/d"
        name = os.path.join(d, "file%03d" % n)
        data = rnd.randbytes(s) if s < (1 << 20) else pattern(s, n)
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)
        want["F /mnt/" + name] = "%d %08x" % (s, zlib.crc32(data))
        n += 1
    links = {"a/short": "b/c", "a/b/long": "../" * 30 + "file000", "many/dangling": "nowhere"}
    for name, target in links.items():
        os.symlink(target, os.path.join(src, name))
        want["L /mnt/" + name] = target
    image = os.path.join(tmpdir, "tree.img")
    mke2fs(src, image, "64M")
    r = boot(build, image, "run /tests/disk_tool sum /mnt")
    problems = common_problems(r)
    got = {}
    for line in r.output.splitlines():
        line = line.rstrip("\r")
        m = re.fullmatch(r"F (/mnt/.+) (\d+) ([0-9a-f]{8})", line)
        if m:
            got["F " + m.group(1)] = m.group(2) + " " + m.group(3)
        m = re.fullmatch(r"L (/mnt/\S+) (.+)", line)
        if m:
            got["L " + m.group(1)] = m.group(2)
    for k, v in want.items():
        if k not in got:
            problems.append("%s missing" % k)
        elif got[k] != v:
            problems.append("%s: %s, host says %s" % (k, got[k], v))
    if len(problems) > 8:
        problems = problems[:8] + ["..."]
    detail = "%d files and links checked" % len(want)
    return problems, detail, r.output


PERSIST_1 = ("mkdir /mnt/newdir; mkdir /mnt/newdir/sub; echo hello disk > /mnt/newdir/hello; "
             "cp /mnt/keep /mnt/newdir/sub/keep2; mv /mnt/newdir/hello /mnt/hello2; "
             "rm /mnt/gone; rmdir /mnt/emptydir; echo more >> /mnt/hello2; "
             "run /tests/disk_tool write /mnt/big 700001 5; ls /mnt")
PERSIST_2 = "cat /mnt/hello2; run /tests/disk_tool sum /mnt/big; run /tests/disk_tool sum /mnt/newdir"


def test_persist(build, tmpdir):
    src = os.path.join(tmpdir, "ptree")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(os.path.join(src, "emptydir"))
    keep = random.Random(3).randbytes(30000)
    with open(os.path.join(src, "keep"), "wb") as f:
        f.write(keep)
    with open(os.path.join(src, "gone"), "wb") as f:
        f.write(b"to be removed\n")
    image = os.path.join(tmpdir, "persist.img")
    mke2fs(src, image, "16M")
    r = boot(build, image, PERSIST_1)
    problems = common_problems(r)
    log = r.output
    if "init exited with status 0" not in r.output:
        problems.append("the first boot did not end cleanly")
    st, out = fsck(image)
    if st != 0:
        problems.append("e2fsck -fn after the first boot: status %d" % st)
        log += "\n" + out
    checks = {"/hello2": b"hello disk\nmore\n", "/newdir/sub/keep2": keep, "/keep": keep,
              "/big": pattern(700001, 5)}
    for path, data in checks.items():
        got = dump(image, path, tmpdir)
        if got != data:
            problems.append("debugfs reads %s as %s" % (path, "nothing" if got is None else
                                                      "%d other bytes" % len(got)))
    for gone in ("/gone", "/emptydir", "/newdir/hello"):
        if debugfs(image, "stat " + gone)[2].find("not found") < 0:
            problems.append("%s is still there" % gone)
    r2 = boot(build, image, PERSIST_2)
    problems += common_problems(r2)
    log += r2.output
    crc = "%08x" % zlib.crc32(pattern(700001, 5))
    for rx in (r"(?m)^hello disk\r?\nmore\r?$", r"F /mnt/big 700001 " + crc,
               r"F /mnt/newdir/sub/keep2 30000 %08x" % zlib.crc32(keep)):
        if not re.search(rx, r2.output):
            problems.append("second boot: missing /%s/" % rx)
    st, out = fsck(image)
    if st != 0:
        problems.append("e2fsck -fn after the second boot: status %d" % st)
    return problems, "", log


def test_crash(build, tmpdir, rounds=20):
    seed = random.randrange(1 << 30)
    rnd = random.Random(seed)
    empty = os.path.join(tmpdir, "empty")
    os.makedirs(empty, exist_ok=True)
    image = os.path.join(tmpdir, "crash.img")
    problems, log, kills, repairs = [], "crash seed %d\n" % seed, [], []
    for k in range(rounds):
        mke2fs(empty, image, "32M")
        n = rnd.randrange(2, 40)
        kills.append(n)
        # Typed once both the prompt and ext2's mount line came (either
        # order), as blk_restart does.
        cmd = k42qemu.command(build, append=k42qemu.disk_append(""),
                              extra=k42qemu.disk_args(image))
        mounted = r"ext2: /mnt: \d+ blocks"
        script = [(r"(?s)(?:%s.*k42> |k42> .*%s)" % (mounted, mounted), "mkdir /mnt/load\r"),
                  (r"(?s)mkdir /mnt/load\r?\n.*?k42> ", "run /tests/disk_tool load /mnt/load 100000\r")]
        r = k42qemu.run(cmd, timeout=TIMEOUT, script=script,
                        stop_at=r"synced /mnt/load/f%d \d+ \d+\r?\n" % (n - 1))
        log += r.output
        problems += common_problems(r)
        synced = {m.group(1): (int(m.group(2)), int(m.group(3)))
                  for m in re.finditer(r"synced (\S+) (\d+) (\d+)\r?\n", r.output)}
        for m in re.finditer(r"deleting (\S+)", r.output):
            synced.pop(m.group(1), None)
        if len(synced) < 1:
            problems.append("round %d: nothing was fsynced before the kill" % k)
        st, out = fsck(image, repair=True)
        log += out
        repairs.append(st)
        if "load done" in r.output:
            problems.append("round %d: the load ended before the kill" % k)
        if st not in (0, 1):
            problems.append("round %d (kill after %d fsyncs): e2fsck -fy status %d" % (k, n, st))
        st, out = fsck(image)
        if st != 0:
            problems.append("round %d: not clean after repair (status %d)" % (k, st))
        # One debugfs run per round reads the whole directory back.
        back = os.path.join(tmpdir, "crash-back")
        shutil.rmtree(back, ignore_errors=True)
        os.makedirs(back)
        debugfs(image, "rdump /load %s" % back)
        for path, (size, s) in synced.items():
            try:
                with open(os.path.join(back, "load", os.path.basename(path)), "rb") as f:
                    got = f.read()
            except OSError:
                got = None
            if got != pattern(size, s):
                problems.append("round %d: fsynced %s lost (%s)" % (
                    k, path, "missing" if got is None else "%d bytes differ" % len(got)))
    return problems, "killed after %s fsyncs (seed %d), e2fsck -fy status %s" % (
        kills, seed, repairs), log


def test_blk_restart(build, tmpdir):
    """The driver is stopped (init ends it for the shell, idl/initctl.idl)
    while a load writes and fsyncs: the ext2 server's calls to it fail,
    init restarts it, ext2 finds the new one; a file written afterwards
    and every file fsynced before survive a clean power-off."""
    empty = os.path.join(tmpdir, "empty")
    os.makedirs(empty, exist_ok=True)
    image = os.path.join(tmpdir, "restart.img")
    mke2fs(empty, image, "32M")
    cmd = k42qemu.command(build, append=k42qemu.disk_append(""), extra=k42qemu.disk_args(image))
    # The first command waits for both the prompt and ext2's mount line,
    # which come in either order.
    mounted = r"ext2: /mnt: \d+ blocks"
    script = [(r"(?s)(?:%s.*k42> |k42> .*%s)" % (mounted, mounted), "mkdir /mnt/load\r"),
              (r"(?s)mkdir /mnt/load\r?\n.*?k42> ", "run -b /tests/disk_tool load /mnt/load 60\r"),
              (r"synced /mnt/load/f8 ", "stop blk\r"),
              (r"init: restarted blk \(pid \d+\)", ""),
              (r"load done|disk_tool: [a-z]+ /mnt/load", "\r"),
              (r"(?:load done|disk_tool: [a-z]+ /mnt/load)(?s:.*?)k42> ",
               "run /tests/disk_tool write /mnt/after 300000 9\r"),
              (r"synced /mnt/after 300000 9(?s:.*?)k42> ", "poweroff\r")]
    r = k42qemu.run(cmd, timeout=TIMEOUT, script=script)
    problems = [p for p in common_problems(r) if p != "a storage server was killed"]
    if re.search(r"killed process \d+ \(ext2\)", r.output):
        problems.append("the ext2 server was killed")
    for rx, what in ((r"stopped blk \(pid \d+\)", "stop blk did not stop the driver"),
                     (r"ext2: the block server \(pid \d+\) went away", "ext2 saw no error"),
                     (r"init: restarted blk", "init did not restart the driver"),
                     (r"ext2: the block server is now pid \d+", "ext2 did not find the new driver"),
                     (r"synced /mnt/after 300000 9", "no write after the restart"),
                     (r"init exited with status \d+; powering off", "no clean power-off")):
        if not re.search(rx, r.output):
            problems.append(what)
    st, out = fsck(image)
    if st != 0:
        problems.append("e2fsck -fn after the restart: status %d" % st)
    synced = {m.group(1): (int(m.group(2)), int(m.group(3)))
              for m in re.finditer(r"synced (\S+) (\d+) (\d+)\r?\n", r.output)}
    for m in re.finditer(r"deleting (\S+)", r.output):
        synced.pop(m.group(1), None)
    for path, (size, seed) in synced.items():
        got = dump(image, path[len("/mnt"):], tmpdir)
        if got != pattern(size, seed):
            problems.append("fsynced %s lost (%s)" % (
                path, "missing" if got is None else "%d bytes differ" % len(got)))
    load = "the load ended: " + ("done" if "load done" in r.output else
                                 (re.findall(r"disk_tool: [a-z]+ /mnt/load\S* .*", r.output)
                                  or ["?"])[0].strip())
    return problems, "%s; %d fsynced files intact" % (load, len(synced)), \
        r.output + "\n" + out


def corrupt(image, offset, data):
    with open(image, "r+b") as f:
        f.seek(offset)
        f.write(data)


def test_hostile(build, tmpdir):
    src = os.path.join(tmpdir, "htree")
    shutil.rmtree(src, ignore_errors=True)
    for d in ("baddir", "loopdir"):
        os.makedirs(os.path.join(src, d))
    for name, size in (("good", 100), ("badfile", 50000), ("baddir/inside", 10)):
        with open(os.path.join(src, name), "wb") as f:
            f.write(pattern(size, 1))
    base = os.path.join(tmpdir, "hostile-base.img")
    mke2fs(src, base, "8M")
    problems, log = [], ""
    cases = []
    img = os.path.join(tmpdir, "h-magic.img")
    shutil.copy(base, img)
    corrupt(img, 1024 + 56, b"\0\0")
    cases.append((img, [r"ext2: /mnt: cannot mount: no ext2 file system"]))
    img = os.path.join(tmpdir, "h-size.img")
    shutil.copy(base, img)
    corrupt(img, 1024 + 4, (1 << 30).to_bytes(4, "little"))
    cases.append((img, [r"ext2: /mnt: cannot mount: the file system .* is larger than the disk"]))
    img = os.path.join(tmpdir, "h-content.img")
    shutil.copy(base, img)
    subprocess.run([E2["debugfs"], "-w", "-R", "sif /badfile block[2] 99999999", img],
                   capture_output=True)
    subprocess.run([E2["debugfs"], "-w", "-R", "ln / /loopdir/up", img], capture_output=True)
    blocks = debugfs(img, "blocks /baddir")[1].split()
    if blocks:
        # The second entry's ("..") record length runs past the block.
        corrupt(img, int(blocks[0]) * 1024 + 12 + 4, (4000).to_bytes(2, "little"))
    cases.append((img, [r"k42: cat: /mnt/badfile: ", r"ext2: .*past the end",
                        r"k42: ls: /mnt/baddir: ", r"ext2: directory block \d+, offset 12",
                        r"(?m)^-0644 +100 good"]))
    cmds = ("cat /mnt/badfile > /tmp/x; ls /mnt/baddir; ls /mnt/loopdir/up/loopdir/up/loopdir; "
            "cat /mnt/good > /tmp/y; ls /mnt/loopdir/up; echo alive")
    for image, expect in cases:
        r = boot(build, image, cmds)
        log += r.output
        problems += common_problems(r)
        for rx in expect + [r"(?m)^alive\r?$", r"init exited with status"]:
            if not re.search(rx, r.output):
                problems.append("%s: missing /%s/" % (os.path.basename(image), rx))
    return problems, "%d images" % len(cases), log


def journal_block(image):
    """The journal's first block (its superblock), as debugfs reads it."""
    st, out, _ = debugfs(image, "bmap <8> 0")
    with open(image, "rb") as f:
        f.seek(int(out.split()[0]) * 1024)
        return f.read(1024)


def test_ext3(build, tmpdir):
    """ext3 images: one cleanly unmounted (an empty journal) is written as
    ext2 and stays clean for e2fsck, journal untouched; one whose journal
    needs recovery is refused, one with orphan inodes mounted read-only,
    each with a line saying why."""
    src = os.path.join(tmpdir, "e3tree")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    with open(os.path.join(src, "old"), "w") as f:
        f.write("old\n")
    base = os.path.join(tmpdir, "ext3.img")
    subprocess.run([E2["mke2fs"], "-q", "-F", "-t", "ext3", "-b", "1024", "-d", src, base, "16M"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    problems, log = [], ""
    journal = journal_block(base)
    r = linux_boot(build, base, "cat /mnt/old; echo new > /mnt/new; mkdir /mnt/d; "
                   "seq 5000 > /mnt/d/f; rm /mnt/old; ls /mnt; sync")
    log += r.output
    problems += common_problems(r)
    text, status = k42run.linux_shell_output(r.output)
    if not re.search(r"ext2: /mnt: ext3 with an empty journal: mounted read-write", r.output):
        problems.append("clean ext3: no line saying it is mounted read-write")
    if status != 0 or not re.search(r"(?m)^old\r?$", text) or "new" not in text:
        problems.append("clean ext3: the commands gave %r (status %s)" % (text[-200:], status))
    st, out = fsck(base)
    if st != 0:
        problems.append("clean ext3: e2fsck -fn status %d" % st)
        log += out
    if dump(base, "/d/f", tmpdir) != "".join("%d\n" % i for i in range(1, 5001)).encode():
        problems.append("clean ext3: debugfs does not read /d/f as written")
    if journal_block(base) != journal:
        problems.append("clean ext3: the journal's superblock changed")
    cases = []
    img = os.path.join(tmpdir, "ext3-recover.img")
    shutil.copy(base, img)
    debugfs_w = [E2["debugfs"], "-w", "-R"]
    subprocess.run(debugfs_w + ["feature needs_recovery", img], capture_output=True)
    # Not mounted: /mnt is the boot archive's empty, read-only directory.
    cases.append((img, r"ext2: /mnt: cannot mount: ext3 journal needs recovery",
                  r"can't create /mnt/x: (nonexistent directory|No such file|Read-only file system)"))
    img = os.path.join(tmpdir, "ext3-orphan.img")
    shutil.copy(base, img)
    subprocess.run(debugfs_w + ["ssv last_orphan 12", img], capture_output=True)
    cases.append((img, r"ext2: /mnt: ext3 with orphan inodes to clean up: mounted read-only",
                  r"can't create /mnt/x: Read-only file system"))
    for image, line, err in cases:
        r = linux_boot(build, image, "ls /mnt >/dev/null 2>&1; echo x > /mnt/x")
        log += r.output
        problems += common_problems(r)
        for rx in (line, err):
            if not re.search(rx, r.output):
                problems.append("%s: missing /%s/" % (os.path.basename(image), rx))
    return problems, "", log


def test_perm(build, tmpdir):
    """tests/user/perm_test as uid 0 from the shell: its uid 1000 child
    is refused and allowed by mode, owner and group; after power-off the
    file the child made is owned by 1000:100 on the disk, and e2fsck -fn
    is clean."""
    src = os.path.join(tmpdir, "permtree")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    image = os.path.join(tmpdir, "perm.img")
    mke2fs(src, image, "16M")
    r = boot(build, image, "run /tests/perm_test /mnt/p; "
             "runas 1000:100 /tests/disk_tool write /mnt/p/nope 10 1; "
             "runas 1000:100 /tests/disk_tool write /mnt/p/open/viashell 1000 3")
    problems = common_problems(r)
    # The shell's runas: refused in uid 0's 0755 directory, allowed in the
    # 0777 one, and the file is 1000:100's (below).
    if not re.search(r"disk_tool: \S+ /mnt/p/nope: access right missing", r.output):
        problems.append("runas 1000:100 could write in a 0755 directory of uid 0")
    if not re.search(r"(?m)^perm_test: ok\r?$", r.output):
        problems.append("perm_test: %s" % "; ".join(re.findall(r"perm_test: (.*?)\r?$", r.output,
                                                                re.M)[-6:] or ["no answer"]))
    st, out = fsck(image)
    if st != 0:
        problems.append("e2fsck -fn: status %d" % st)
    stat = debugfs(image, "stat /p/open/mine")[1].decode("utf-8", "replace")
    m = re.search(r"Mode:\s+(\d+).*?User:\s+(\d+)\s+Group:\s+(\d+)", stat, re.S)
    if not m or (m.group(1), m.group(2), m.group(3)) != ("0640", "1000", "100"):
        problems.append("debugfs: /p/open/mine is %s, not mode 0640 of 1000:100"
                        % (m.groups() if m else "missing"))
    if dump(image, "/p/open/mine", tmpdir) != b"mine\n":
        problems.append("debugfs does not read /p/open/mine")
    if dump(image, "/p/open/viashell", tmpdir) != pattern(1000, 3):
        problems.append("debugfs does not read /p/open/viashell as runas wrote it")
    for path, owner in (("/p/secret", ("0", "0")), ("/p/group", ("0", "100")),
                        ("/p/open/viashell", ("1000", "100"))):
        m = re.search(r"User:\s+(\d+)\s+Group:\s+(\d+)",
                      debugfs(image, "stat " + path)[1].decode("utf-8", "replace"))
        if not m or m.groups() != owner:
            problems.append("%s is owned by %s, not %s" % (path, m and m.groups(), owner))
    return problems, "", r.output + "\n" + stat + out


ROOT_DISK = ("cat /etc/motd; cat /boot/etc/motd; ls /boot/servers; "
             "run /opt/bin/disk_tool sum /etc; echo written at the root > /rootfile; mkdir /d; mv /rootfile /d/moved; "
             "cat /d/moved; rm /etc/gone; ls /")


def test_root_disk(build, tmpdir):
    """./k42 run --root-disk IMAGE: the ext2 image is mounted as /, the
    boot archive at /boot (/etc/boot-rootdisk.conf); a program that is
    only on the disk runs from it, and what the shell writes at / is on
    the disk after power-off."""
    src = os.path.join(tmpdir, "rtree")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(os.path.join(src, "etc"))
    os.makedirs(os.path.join(src, "opt", "bin"))
    token = "root disk %08x" % random.randrange(1 << 32)
    motd = ("%s: this /etc/motd is on the disk\n" % token).encode()
    for name, data in (("etc/motd", motd), ("etc/gone", b"to be removed\n")):
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)
    shutil.copy(os.path.join(build.dir, "tests", "user", "disk_tool.elf"),
                os.path.join(src, "opt", "bin", "disk_tool"))
    image = os.path.join(tmpdir, "root.img")
    mke2fs(src, image, "16M")
    cmd = k42qemu.command(build, append=k42qemu.ROOT_DISK_APPEND, extra=k42qemu.disk_args(image))
    script = k42run.shell_script(k42run.split_commands(ROOT_DISK))
    mounted = r"ext2: /: (?:\d+ blocks|cannot mount)"
    script[0] = (r"(?s)(?:%s.*k42> |k42> .*%s)" % (mounted, mounted), script[0][1])
    r = k42qemu.run(cmd, timeout=TIMEOUT, script=script)
    problems = common_problems(r)
    for rx, what in ((r"ext2: /: \d+ blocks", "ext2 did not mount the disk at /"),
                     (r"(?m)^" + token + r": this /etc/motd is on the disk\r?$",
                      "/etc/motd is not the disk's"),
                     (r"cat /boot/etc/motd\r?\nWelcome to k42",
                      "/boot/etc/motd is not the boot archive's"),
                     (r"(?m)^-0755 +\d+ ext2\r?$", "ls /boot/servers does not list the archive's ext2"),
                     (r"(?m)^F /etc/motd %d %08x\r?$" % (len(motd), zlib.crc32(motd)),
                      "disk_tool did not run from the disk"),
                     (r"(?m)^written at the root\r?$", "cat /d/moved"),
                     (r"init exited with status 0", "the boot did not end cleanly")):
        if not re.search(rx, r.output):
            problems.append(what)
    st, out = fsck(image)
    if st != 0:
        problems.append("e2fsck -fn: status %d" % st)
    if dump(image, "/d/moved", tmpdir) != b"written at the root\n":
        problems.append("debugfs does not read /d/moved as written")
    for gone in ("/rootfile", "/etc/gone"):
        if debugfs(image, "stat " + gone)[2].find("not found") < 0:
            problems.append("%s is still there" % gone)
    return problems, "", r.output + "\n" + out


def test_root_disk_with(build, tmpdir):
    """./k42 run --root-disk IMAGE --linux and --root-disk IMAGE --net,
    through tools/run.py as a user types them: busybox sh on the Linux
    personality reads the disk's /etc/motd and writes at /; the native
    shell with the network servers lists them beside the root's mount and
    writes at /. After both, e2fsck -fn is clean and debugfs reads the
    two files."""
    src = os.path.join(tmpdir, "rwtree")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(os.path.join(src, "etc"))
    token = "root disk with %08x" % random.randrange(1 << 32)
    with open(os.path.join(src, "etc", "motd"), "w") as f:
        f.write(token + "\n")
    image = os.path.join(tmpdir, "rootwith.img")
    mke2fs(src, image, "16M")
    run_py = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.py")
    problems, log = [], ""
    for flag, cmds, want in (
            ("--linux", "cat /etc/motd; echo from busybox > /lx; cat /boot/etc/motd; "
                        "ls /boot/bin/busybox",
             [r"(?m)^" + token + r"\r?$", r"Welcome to k42", r"(?m)^/boot/bin/busybox\r?$"]),
            ("--net", "cat /etc/motd; servers; echo from the native shell > /nat",
             [r"(?m)^" + token + r"\r?$", r"(?m)^  sock/inet +pid \d+", r"(?m)^  mnt +pid \d+",
              r"(?m)^  mnt/boot +pid \d+", r"init exited with status 0"])):
        try:
            res = subprocess.run([sys.executable, run_py, "--build", build.dir, "--root-disk", image,
                                  flag, "-c", cmds, "--timeout", str(TIMEOUT)],
                                 capture_output=True, text=True, timeout=TIMEOUT + 60)
            out, status = res.stdout + res.stderr, res.returncode
        except subprocess.TimeoutExpired:
            out, status = "", None
        log += "== --root-disk %s\n%s\n" % (flag, out)
        if status != 0:
            problems.append("--root-disk %s: exit status %s" % (flag, status))
        problems += ["--root-disk %s: missing /%s/" % (flag, rx) for rx in want
                     if not re.search(rx, out)]
    st, out = fsck(image)
    if st != 0:
        problems.append("e2fsck -fn: status %d" % st)
    for path, data in (("/lx", b"from busybox\n"), ("/nat", b"from the native shell\n")):
        if dump(image, path, tmpdir) != data:
            problems.append("debugfs does not read %s as written" % path)
    return problems, "", log + out


def test_concurrent(build, tmpdir):
    """ext2 serves several reads at once: four processes sum four
    directories of large files at the same time from a read-throttled disk; every file's size and
    CRC-32 must be the host's, and at power-off ext2 must report reads
    from the disk done with its lock free, at least 2 at once (the
    others' calls ran while one waited for the disk)."""
    src = os.path.join(tmpdir, "ctree")
    shutil.rmtree(src, ignore_errors=True)
    want = {}
    for d in "abcd":
        os.makedirs(os.path.join(src, d))
        for i in range(3):
            data = random.Random(ord(d) * 10 + i).randbytes(700000 + 4099 * i)
            with open(os.path.join(src, d, "f%d" % i), "wb") as f:
                f.write(data)
            want["/mnt/%s/f%d" % (d, i)] = (len(data), zlib.crc32(data))
    image = os.path.join(tmpdir, "conc.img")
    mke2fs(src, image, "16M")
    # A disk QEMU holds to 4 MiB/s of reads: a 256 KiB read-ahead run then
    # takes ~60 ms of host time, long enough that the other readers, served
    # from the cache meanwhile, reach their own misses while it is out.
    args = k42qemu.disk_args(image)
    args[args.index("-drive") + 1] += ",throttling.bps-read=4194304"
    cmd = k42qemu.command(build, append=k42qemu.disk_append(""), extra=args)
    script = k42run.shell_script(k42run.split_commands(
        "run /tests/disk_tool par /mnt/a /mnt/b /mnt/c /mnt/d"))
    script[0] = (r"(?s)(?:%s.*k42> |k42> .*%s)" % (MOUNT_DONE, MOUNT_DONE), script[0][1])
    r = k42qemu.run(cmd, timeout=TIMEOUT, script=script)
    problems = common_problems(r)
    got = {m.group(1): (int(m.group(2)), int(m.group(3), 16))
           for m in re.finditer(r"(?m)^F (\S+) (\d+) ([0-9a-f]{8})\r?$", r.output)}
    for path, (size, crc) in want.items():
        if got.get(path) != (size, crc):
            problems.append("%s: %s, host has %d bytes crc %08x" % (path, got.get(path), size, crc))
    m = re.search(r"ext2: (\d+) reads from the disk with the lock free, at most (\d+) at once, "
                  r"(\d+) dropped", r.output)
    detail = ""
    if not m:
        problems.append("ext2 reported no reads with its lock free")
    else:
        detail = "%s reads with the lock free, at most %s at once, %s dropped" % m.groups()
        if int(m.group(2)) < 2:
            problems.append("never two reads at once: %s" % detail)
    if not re.search(r"(?m)^par done\r?$", r.output):
        problems.append("disk_tool par did not end well")
    if "init exited with status 0" not in r.output:
        problems.append("the boot did not end cleanly")
    st, out = fsck(image)
    if st != 0:
        problems.append("e2fsck -fn: status %d" % st)
    return problems, detail, r.output + "\n" + out


TESTS = [("storage/ext2_tree", test_tree), ("storage/ext2_persist", test_persist),
         ("storage/ext2_crash", test_crash), ("storage/blk_restart", test_blk_restart),
         ("storage/ext2_hostile", test_hostile), ("storage/linux_disk", test_linux_disk),
         ("storage/root_disk", test_root_disk), ("storage/root_disk_with", test_root_disk_with),
         ("storage/ext2_concurrent", test_concurrent),
         ("storage/ext2_perm", test_perm), ("storage/ext3_journal", test_ext3),
         ("linux/df_ext2", test_linux_df)]


def run_storage_tests(build, tally, pattern_re):
    tmpdir = os.path.join(build.dir, "test-tmp", "storage")
    os.makedirs(tmpdir, exist_ok=True)
    for name, fn in TESTS:
        if pattern_re and not re.search(pattern_re, name):
            continue
        try:
            problems, detail, log = fn(build, tmpdir)
        except (OSError, subprocess.SubprocessError) as e:
            problems, detail, log = ["host tool failed: %s" % e], "", ""
        tally.report(name, not problems, "; ".join(problems) or detail,
                     k42qemu.symbolize(log, build.kernel_elf))
