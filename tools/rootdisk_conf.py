#!/usr/bin/env python3
"""Build-time: an init configuration with the ext2 disk as the root
(./k42 run --root-disk, docs/storage.md), made from another one.

    rootdisk_conf.py IN DISK_ENTRIES_FROM OUT

From IN: the boot-archive server (`files`) mounts at /boot, the disk's
entries (`blk`, `disk`) start on every boot with ext2 mounted at /, and
the shell waits for the root. An IN without the disk's entries (net.conf)
gets them from DISK_ENTRIES_FROM (boot.conf), just before its shell."""
import sys

NL = "\n"


def main(src, entries_from, out):
    lines = open(src).read().splitlines(True)
    have = {ln.split()[0] for ln in lines if ln.split() and not ln.startswith("#")}
    if not {"blk", "disk"} <= have:
        extra = [ln for ln in open(entries_from).read().splitlines(True)
                 if ln.split()[:1] in (["blk"], ["disk"])]
        if len(extra) != 2:
            sys.exit("%s: no blk and disk entries" % entries_from)
        at = next((i for i, ln in enumerate(lines) if ln.split()[:1] == ["shell"]), len(lines))
        lines[at:at] = extra
    res = ["# Made by the build from %s: the ext2 disk is the root, the boot archive /boot.%s"
           % (src.rsplit("/", 1)[-1], NL)]
    seen = set()
    for line in lines:
        w = line.split()
        if w[:2] == ["files", "/servers/files"]:
            line = line.rstrip() + " -- /boot" + NL
        elif w[:2] == ["disk", "/servers/ext2"]:
            line = line.split(" -- ")[0] + " -- /" + NL
        elif w[:1] == ["shell"] and "needs=name," in line:
            needs = next(x for x in w if x.startswith("needs="))[6:].split(",")
            if "disk" not in needs:
                line = line.replace("needs=name,", "needs=name,disk,")
            seen.add("needs")
        if w and w[0] in ("files", "disk", "blk", "shell"):
            seen.add(w[0])
        res.append(line.replace(" when=disk", ""))
    if seen != {"files", "disk", "blk", "shell", "needs"}:
        sys.exit("%s: entries missing: %s" % (src, sorted({"files", "disk", "blk", "shell",
                                                            "needs"} - seen)))
    with open(out, "w") as f:
        f.write("".join(res))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
