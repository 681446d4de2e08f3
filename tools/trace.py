#!/usr/bin/env python3
"""./k42 trace: boot k42 with tracing on, run a workload, and get the trace.

    ./k42 trace -o FILE [--classes all|ppc,fault,...] [--append ARGS] [--smp N] -- 'CMDS'
    ./k42 trace -o FILE --init PROGRAM [...]
    ./k42 trace --stream -o FILE [...] -- 'CMDS'

With CMDS, the normal system boots and the commands are typed at the shell
prompt (as ./k42 run -c does), then the machine powers off. With --init, a
program from the boot archive runs as init instead.

The kernel writes its trace buffers (a segment per CPU; --smp N boots N
CPUs under MTTCG) to the console at power-off (base64 between K42TRACE
markers); this tool cuts it out, writes the dump to FILE
and decodes it with tools/k42trace into FILE.d/: trace.txt (listing),
summary.txt, trace.json (open in ui.perfetto.dev), timeline.png and
ppc-latency.png.

With --stream the rings are drained while k42 runs (docs/tracing.md,
"Streaming"): the kernel boots with tracemode=stream, the streaming server
ships every block through a virtio console to a socket this tool reads,
and FILE grows as blocks arrive (a valid dump after every batch), with
FILE.d/trace.json rewritten from it every second; at power-off the
kernel's dump adds only the blocks the stream had not carried."""
import argparse
import base64
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import k42qemu  # noqa: E402
import run as k42run  # noqa: E402

DUMP_RE = re.compile(r"K42TRACE BEGIN[^\n]*\n(.*?)\nK42TRACE END", re.S)


def extract(console):
    """The dump bytes from console text, or None."""
    m = DUMP_RE.search(console.replace("\r", ""))
    if not m:
        return None
    return base64.b64decode("".join(m.group(1).split()))


def main():
    ap = argparse.ArgumentParser(prog="./k42 trace", description="trace a k42 boot")
    ap.add_argument("--build", required=True, help=argparse.SUPPRESS)
    ap.add_argument("-o", "--output", required=True, help="dump file to write")
    ap.add_argument("--init", help="program to run as init instead of the shell")
    ap.add_argument("--classes", default="all", help="trace classes to enable")
    ap.add_argument("--append", default="", help="more kernel boot arguments")
    ap.add_argument("--smp", type=int, default=1, help="CPUs (MTTCG when more than 1)")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--stream", action="store_true",
                    help="stream the rings to the host while k42 runs (virtio console)")
    ap.add_argument("commands", nargs="*", help="shell commands (after --)")
    args = ap.parse_args()
    build = k42qemu.Build(args.build)
    if bool(args.init) == bool(args.commands):
        ap.error("give either shell commands after -- or --init PROGRAM")
    append = "trace=%s %s" % (args.classes, args.append)
    script = ()
    if args.init:
        if args.stream:
            ap.error("--stream needs the normal server set: give shell commands, not --init")
        append = "init=%s %s" % (args.init, append)
    else:
        script = k42run.shell_script(k42run.split_commands("; ".join(args.commands)))
    if args.stream:
        return stream_main(args, build, append.strip(), script)
    res = k42qemu.run(k42qemu.command(build, append=append.strip(), smp=args.smp), timeout=args.timeout,
                      script=script)
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
    status = k42qemu.exit_status(res)
    if status:
        print("k42 trace: exit status %d (the traced boot failed)" % status, file=sys.stderr)
    return status or rc


def stream_main(args, build, append, script):
    from k42trace import live as tlive, table as ttable
    outdir = args.output + ".d"
    os.makedirs(outdir, exist_ok=True)
    tab = ttable.load(os.path.join(HERE, "..", "abi", "trace", "events.tbl"))
    lv = tlive.Live(args.output, tab, json_path=os.path.join(outdir, "trace.json"))
    lv.start()
    cmd = k42qemu.command(build, append=tlive.Live.append(append), smp=args.smp,
                          extra=lv.qemu_args())
    res = k42qemu.run(cmd, timeout=args.timeout, script=script)
    console = res.output
    print(DUMP_RE.sub("[trace dump]", console.replace("\r", "")).rstrip())
    streamed = lv.parser.blocks
    tail = extract(console)
    added = lv.finish(tail)
    p = lv.parser
    print("k42 trace: streamed %d blocks (%d bytes) while k42 ran, %d JSON rewrites; "
          "%d more from the power-off dump" % (streamed, lv.bytes, lv.json_writes, added))
    if lv.json_error:
        print("k42 trace: the live JSON could not be written: %s" % lv.json_error, file=sys.stderr)
    if p.gaps or p.backwards or lv.error:
        print("k42 trace: stream problems: gaps %s, out of order %s%s"
              % (p.gaps[:5], p.backwards[:5], ("; " + lv.error) if lv.error else ""),
              file=sys.stderr)
    if not os.path.exists(args.output):
        print("k42 trace: nothing was streamed and there was no power-off dump", file=sys.stderr)
        return 1
    rc = subprocess.call([sys.executable, os.path.join(HERE, "k42trace.py"), "all", args.output,
                          "-d", outdir])
    print("k42 trace: %s; decoded into %s/" % (args.output, outdir))
    status = k42qemu.exit_status(res)
    if status:
        print("k42 trace: exit status %d (the traced boot failed)" % status, file=sys.stderr)
    return status or rc or (1 if (p.gaps or p.backwards or lv.error) else 0)


if __name__ == "__main__":
    sys.exit(main())
