#!/usr/bin/env python3
"""Print the applet names of a busybox binary, one a line, without running
it (the build host cannot run ppc64el code): busybox keeps them as one
sorted run of NUL-terminated names that starts with "[" and "[[".
usage: busybox_applets.py BUSYBOX"""
import sys


def applets(data):
    start = data.find(b"[\0[[\0")
    if start < 0:
        return []
    names, i = [], start
    while True:
        j = data.index(b"\0", i)
        name = data[i:j]
        if not name or not all(33 <= c < 127 and c != ord("/") for c in name):
            break
        names.append(name.decode())
        i = j + 1
    return names


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__ + "\n")
        return 2
    with open(argv[1], "rb") as f:
        names = applets(f.read())
    if len(names) < 10 or names != sorted(names):
        sys.stderr.write("busybox_applets.py: %s: no applet list found\n" % argv[1])
        return 1
    print("\n".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
