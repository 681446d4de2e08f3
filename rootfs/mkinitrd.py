#!/usr/bin/env python3
"""Write a boot archive: a cpio "newc" archive, deterministic (sorted entries,
fixed owner and time) so the same inputs always give the same bytes.

usage: mkinitrd.py OUT.cpio ARCHIVE_PATH=HOST_FILE ...
Directories along each archive path are created automatically. A HOST_FILE
whose name ends in .elf or that is executable is stored with mode 0755.
ARCHIVE_PATH=symlink:TARGET stores a symbolic link to TARGET.
ARCHIVE_PATH=dir: stores an empty directory (mode 0555; dir:MODE, octal, another).
An ELF file's data starts at a page boundary of the archive (align_data).
"""
import os
import sys

MAGIC = b"070701"


def header(ino, mode, size, namesize, nlink=1):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, namesize, 0]
    return MAGIC + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return (4 - n % 4) % 4


def entry_len(name, size):
    """Bytes an entry takes: header, name, data, each padded to 4."""
    n = 110 + len(name.encode()) + 1
    return n + pad4(n) + size + pad4(size)


def entry(out, ino, name, mode, data=b""):
    raw = name.encode() + b"\0"
    h = header(ino, mode, len(data), len(raw), 2 if mode & 0o040000 else 1)
    out.write(h + raw + b"\0" * pad4(len(h) + len(raw)))
    out.write(data + b"\0" * pad4(len(data)))


PAGE = 4096


def align_data(out, name):
    """Put the data of the next entry, `name`, at a page boundary of the
    archive with a "." entry of zeros in front (readers skip ".", as they
    skip the one `cpio -o` writes for the top directory): the loader then
    maps a program's text copy-on-write out of the archive instead of
    copying it (libk42/src/spawn.c)."""
    data_at = out.tell() + entry_len(name, 0)  # after its header and name
    if data_at % PAGE == 0:
        return
    fill = 0
    while (data_at + entry_len(".", fill)) % PAGE:
        fill += 4
    entry(out, 0, ".", 0o100644, b"\0" * fill)


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    files = {}
    for spec in argv[2:]:
        if "=" not in spec:
            sys.stderr.write("mkinitrd.py: '%s' is not ARCHIVE_PATH=HOST_FILE\n" % spec)
            return 2
        dest, src = spec.split("=", 1)
        dest = dest.strip("/")
        if not dest or ".." in dest.split("/"):
            sys.stderr.write("mkinitrd.py: bad archive path '%s'\n" % dest)
            return 2
        if src.startswith("symlink:"):
            files[dest] = (src[len("symlink:"):].encode(), 0o120777)
            continue
        if src.startswith("dir:"):
            files[dest] = (b"", 0o040000 | (int(src[4:], 8) if src[4:] else 0o555))
            continue
        try:
            with open(src, "rb") as f:
                data = f.read()
        except OSError as e:
            sys.stderr.write("mkinitrd.py: %s: %s\n" % (src, e.strerror))
            return 1
        exe = src.endswith(".elf") or os.access(src, os.X_OK)
        files[dest] = (data, 0o100755 if exe else 0o100644)
    dirs = set()
    for dest in files:
        parts = dest.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    ino = 1
    with open(argv[1], "wb") as out:
        for name in sorted(dirs | set(files)):
            if name in files:
                if files[name][0][:4] == b"\x7fELF":
                    align_data(out, name)
                entry(out, ino, name, files[name][1], files[name][0])
            else:
                entry(out, ino, name, 0o040755)
            ino += 1
        entry(out, 0, "TRAILER!!!", 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
