#!/usr/bin/env python3
"""./k42 mkdisk DIR IMAGE [SIZE]: an ext2 image holding the host tree DIR,
made with the host's own mke2fs (e2fsprogs), for ./k42 run --disk IMAGE
(docs/storage.md). SIZE is mke2fs's (64M by default)."""
import os
import shutil
import subprocess
import sys


def mkdisk(src, image, size="64M", label="k42"):
    mke2fs = shutil.which("mke2fs") or "/usr/sbin/mke2fs"
    if not os.path.isdir(src):
        sys.exit("k42: mkdisk: %s is not a directory" % src)
    tmp = image + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    subprocess.run([mke2fs, "-q", "-F", "-t", "ext2", "-L", label, "-d", src, tmp, size],
                   check=True, stdout=subprocess.DEVNULL)
    os.replace(tmp, image)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip())
    mkdisk(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else "64M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
