"""Command line: python3 -m k42trace (from tools/) or tools/k42trace.py."""
import argparse
import os
import sys

from . import analysis, chrome, decode, dump, idlnames, plots, synth, table, text
from .errors import TraceError

MAX_DIAGS = 20


def _common(p):
    p.add_argument("--table", help="event table (default: abi/trace/events.tbl next to these tools,"
                   " or $K42_TRACE_TABLE)")
    p.add_argument("-k", "--keep-going", action="store_true",
                   help="decode what is readable even if the dump has corrupt blocks")
    p.add_argument("--idl", help="directory of the *.idl files that name IPC methods (default:"
                   " idl/ next to these tools, or $K42_IDL_DIR)")
    p.add_argument("--debug", action="store_true", help="show a traceback on internal errors")


def _parser():
    ap = argparse.ArgumentParser(
        prog="k42trace", description="Decode k42 trace dumps (docs/tracing.md).")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.required = True

    def cmd(name, help_):
        p = sub.add_parser(name, help=help_, description=help_)
        _common(p)
        return p
    p = cmd("text", "list every event, in time order")
    p.add_argument("dump")
    p.add_argument("-o", "--output", help="write here instead of stdout")
    p.add_argument("--control", action="store_true", help="also list block headers and fillers")
    p.add_argument("--cpu", type=int, action="append", help="only this CPU (repeatable)")
    p.add_argument("--class", dest="classes", action="append", help="only this class (repeatable)")
    p = cmd("summary", "time per PPC method, per fault kind, per process, and buffer health")
    p.add_argument("dump")
    p.add_argument("-o", "--output", help="write here instead of stdout")
    p = cmd("json", "Chrome trace-event JSON for ui.perfetto.dev or chrome://tracing")
    p.add_argument("dump")
    p.add_argument("-o", "--output", required=True)
    p = cmd("png", "a PNG timeline (per CPU) or latency histogram (per span kind)")
    p.add_argument("dump")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--kind", choices=("timeline", "histogram"), default="timeline")
    p.add_argument("--span", default="ppc", help="span kind for --kind histogram (default ppc)")
    p.add_argument("--width", type=int, default=None, help="image width in pixels")
    p = cmd("all", "write trace.txt, summary.txt, trace.json, timeline.png and ppc-latency.png")
    p.add_argument("dump")
    p.add_argument("-d", "--dir", required=True, help="output directory (created if missing)")
    p = cmd("check", "decode and report problems only; exit 1 if the dump has errors")
    p.add_argument("dump")
    p = cmd("demo", "write a synthetic two-CPU dump, to try the tools without booting")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--seed", type=int, default=1)
    return ap


def _report(trace, path):
    shown = {}
    for d in trace.diags:
        n = shown.get(d.severity, 0)
        shown[d.severity] = n + 1
        if n < MAX_DIAGS:
            sys.stderr.write("k42trace: %s: %s\n" % (path, d))
    for sev, n in shown.items():
        if n > MAX_DIAGS:
            sys.stderr.write("k42trace: %s: ... and %d more %ss\n" % (path, n - MAX_DIAGS, sev))


def _open_out(path):
    return open(path, "w", encoding="utf-8") if path else sys.stdout


def run(args):
    tbl = table.load(args.table or table.default_path())
    if args.cmd == "demo":
        data = synth.demo(tbl, args.seed)
        with open(args.output, "wb") as f:
            f.write(data)
        return 0
    trace = decode.decode(dump.load(args.dump), tbl)
    _report(trace, args.dump)
    errors = trace.errors
    if errors and not args.keep_going:
        sys.stderr.write("k42trace: %s: %d error(s): the dump is corrupt; "
                         "use --keep-going to decode the readable part\n" % (args.dump, len(errors)))
        return 1
    if args.cmd == "check":
        st = trace.stats
        sys.stderr.write("k42trace: %s: %d events, %d CPU(s), %d error(s), %d warning(s)\n"
                         % (args.dump, len(trace.user_events()), len(st), len(errors),
                            sum(1 for d in trace.diags if d.severity == decode.WARNING)))
        return 1 if errors else 0
    an = analysis.Analysis(trace)
    names = idlnames.load(args.idl) if args.idl else idlnames.default()
    if args.cmd == "text":
        out = _open_out(args.output)
        try:
            text.listing(trace, out, show_control=args.control,
                         cpus=set(args.cpu) if args.cpu else None,
                         classes=set(args.classes) if args.classes else None)
        finally:
            if out is not sys.stdout:
                out.close()
    elif args.cmd == "summary":
        out = _open_out(args.output)
        try:
            text.summary(trace, out, an, names)
        finally:
            if out is not sys.stdout:
                out.close()
    elif args.cmd == "json":
        chrome.write(trace, args.output, an, names)
    elif args.cmd == "png":
        if args.kind == "timeline":
            plots.timeline(trace, args.output, width=args.width or 1400, an=an)
        else:
            plots.histogram(trace, args.output, span=args.span, width=args.width or 900, an=an,
                            names=names)
    elif args.cmd == "all":
        os.makedirs(args.dir, exist_ok=True)
        with open(os.path.join(args.dir, "trace.txt"), "w", encoding="utf-8") as f:
            text.listing(trace, f)
        with open(os.path.join(args.dir, "summary.txt"), "w", encoding="utf-8") as f:
            text.summary(trace, f, an, names)
        chrome.write(trace, os.path.join(args.dir, "trace.json"), an, names)
        plots.timeline(trace, os.path.join(args.dir, "timeline.png"), an=an)
        plots.histogram(trace, os.path.join(args.dir, "ppc-latency.png"), an=an, names=names)
        sys.stderr.write("k42trace: wrote trace.txt summary.txt trace.json timeline.png "
                         "ppc-latency.png in %s\n" % args.dir)
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except TraceError as e:
        sys.stderr.write("k42trace: error: %s\n" % e)
        return 1
    except BrokenPipeError:
        # The reader went away (| head): not an error; keep exit-time flushes quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:
        sys.stderr.write("k42trace: error: %s%s\n" % (e.filename + ": " if e.filename else "",
                                                     e.strerror or e))
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug here must still not greet the user with a traceback
        if args.debug:
            raise
        sys.stderr.write("k42trace: internal error: %s: %s (run with --debug for a traceback)\n"
                         % (type(e).__name__, e))
        return 3
