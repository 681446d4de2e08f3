#!/usr/bin/env python3
"""Every ppc64le object of the build reads headers only from what the build
owns: the source tree, the build tree, the set-up sysroot (~/.cache/k42),
and the cross compiler's own freestanding headers. A header from the host's
/usr/include or from a cross libc installed by hand (/usr/powerpc64le-linux-
gnu/include) fails the test: the build would then pass only on a machine
that happens to have it.

usage: check_headers.py BUILD_DIR SOURCE_DIR SYSROOT [FETCHED_SOURCE...]
(FETCHED_SOURCE: a source tree set-up fetched into its cache, e.g. lwIP's.)
It reads compile_commands.json (which compiler built each object) and
`ninja -t deps` (the headers each object read, as gcc reported them)."""
import json
import os
import subprocess
import sys


def gcc_include(cc):
    r = subprocess.run([cc, "-print-file-name=include"], capture_output=True, text=True, check=True)
    return os.path.realpath(r.stdout.strip())


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    build, src, sysroot = (os.path.realpath(p) for p in sys.argv[1:4])
    fetched = [os.path.realpath(p) for p in sys.argv[4:]]
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        commands = json.load(f)
    cross = {}
    for c in commands:
        argv0 = c["command"].split()[0]
        if "powerpc64le" in os.path.basename(argv0):
            cross[os.path.normpath(c["output"])] = argv0
    if not cross:
        print("FAIL: compile_commands.json names no ppc64le compile")
        return 1
    allowed = [src, build, sysroot] + fetched + sorted({gcc_include(cc) for cc in cross.values()})
    deps = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True, text=True,
                          check=True).stdout
    checked, bad, target = 0, [], None
    for line in deps.splitlines():
        if line and not line.startswith(" "):
            target = os.path.normpath(line.split(":")[0])
            if target not in cross:
                target = None
            else:
                checked += 1
        elif line.strip() and target:
            path = os.path.realpath(os.path.join(build, line.strip()))
            if not any(path == a or path.startswith(a + os.sep) for a in allowed):
                bad.append("%s reads %s" % (target, path))
    print("%d ppc64le objects checked; headers allowed from: %s" % (checked, ", ".join(allowed)))
    for b in bad[:20]:
        print("FAIL: " + b)
    if checked < len(cross) // 2:
        print("FAIL: ninja recorded headers for only %d of %d ppc64le objects" % (checked, len(cross)))
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
