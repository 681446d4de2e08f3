#!/usr/bin/env python3
"""./k42 trace: boot k42 with tracing on, run a program, and get the trace.

    ./k42 trace -o FILE [--init PROGRAM] [--classes all|ppc,fault,...] [--append ARGS]

The kernel writes its trace buffer to the console at power-off (base64
between K42TRACE markers); this tool cuts it out, writes the dump to FILE
and decodes it with tools/k42trace into FILE.d/: trace.txt (listing),
summary.txt, trace.json (open in ui.perfetto.dev), timeline.png and
ppc-latency.png. Until k42 has a shell, the workload is a program from the
boot archive run as init (default: tests/ppc_test)."""
import argparse
import base64
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import k42qemu  # noqa: E402

DUMP_RE = re.compile(r"K42TRACE BEGIN[^\n]*\n(.*?)\nK42TRACE END", re.S)


def extract(console):
    """The dump bytes from console text, or None."""
    m = DUMP_RE.search(console.replace("\r", ""))
    if not m:
        return None
    return base64.b64decode("".join(m.group(1).split()))


def main():
    ap = argparse.ArgumentParser(description="trace a k42 boot")
    ap.add_argument("--build", required=True)
    ap.add_argument("-o", "--output", required=True, help="dump file to write")
    ap.add_argument("--init", default="/tests/ppc_test", help="program to run as init")
    ap.add_argument("--classes", default="all", help="trace classes to enable")
    ap.add_argument("--append", default="", help="more kernel boot arguments")
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()
    build = k42qemu.Build(args.build)
    append = "init=%s trace=%s %s" % (args.init, args.classes, args.append)
    res = k42qemu.run(k42qemu.command(build, append=append.strip()), timeout=args.timeout)
    console = res.output
    print(DUMP_RE.sub("[trace dump]", console.replace("\r", "")).rstrip())
    dump = extract(console)
    if dump is None:
        print("k42 trace: the boot produced no trace dump%s" %
              (" (timed out)" if res.timed_out else ""), file=sys.stderr)
        return 1
    with open(args.output, "wb") as f:
        f.write(dump)
    outdir = args.output + ".d"
    rc = subprocess.call([sys.executable, os.path.join(HERE, "k42trace.py"), "all", args.output,
                          "-d", outdir])
    print("k42 trace: %d bytes in %s; decoded into %s/" % (len(dump), args.output, outdir))
    return rc


if __name__ == "__main__":
    sys.exit(main())
