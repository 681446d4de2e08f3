"""The readable outputs: the event listing and the summary."""
from . import analysis, fmt, idlnames


def listing(trace, out, show_control=False, cpus=None, classes=None):
    """One line per event, in time order:
    seconds  cpu  layer  class.event  formatted payload"""
    out.write("# k42 trace: %s, %d CPU(s), timebase %d Hz; time in seconds from the first event\n"
              % (trace.dump.path, len(trace.stats), trace.timebase_hz))
    out.write("#%13s %4s %-7s %-20s %s\n" % ("time", "cpu", "layer", "event", "details"))
    for e in trace.events:
        if e.is_control() and not show_control and e.minor != fmt.MINOR_LOST:
            continue
        if cpus is not None and e.cpu not in cpus:
            continue
        if classes is not None and e.cls_name not in classes:
            continue
        layer = fmt.LAYER_NAMES.get(e.layer, "L%d" % e.layer)
        mark = "~" if e.estimated else " "
        out.write("%14.9f%s%4d %-7s %-20s %s\n" % (trace.seconds(e.ts), mark, e.cpu, layer,
                                                   e.name, e.text()))


def _us(trace, ticks):
    return trace.us(ticks)


def _table(out, title, header, rows):
    out.write("\n%s\n" % title)
    if not rows:
        out.write("  (none)\n")
        return
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    line = "  " + "  ".join("%*s" % (w, h) if i else "%-*s" % (w, h)
                            for i, (w, h) in enumerate(zip(widths, header)))
    out.write(line.rstrip() + "\n")
    for r in rows:
        out.write(("  " + "  ".join("%*s" % (w, c) if i else "%-*s" % (w, c)
                                    for i, (w, c) in enumerate(zip(widths, r)))).rstrip() + "\n")


def _dur_cols(trace, st):
    f = lambda t: "%.3f" % _us(trace, t)  # noqa: E731
    return [st["count"], f(st["total"]), f(st["mean"]), f(st["min"]), f(st["p50"]),
            f(st["p99"]), f(st["max"])]


DUR_HDR = ["count", "total us", "mean us", "min us", "p50 us", "p99 us", "max us"]


def summary(trace, out, an=None, names=None):
    """names: idlnames.Names for the method columns (default: idl/*.idl)."""
    an = an or analysis.Analysis(trace)
    names = names or idlnames.default()
    span = trace.t1 - trace.t0
    out.write("k42 trace summary: %s\n" % trace.dump.path)
    out.write("  %d events on %d CPU(s) over %.6f s (%d ticks at %d Hz)\n"
              % (len(trace.user_events()), len(trace.stats), span / trace.timebase_hz, span,
                 trace.timebase_hz))
    rows = []
    for cpu, st in sorted(trace.stats.items()):
        rows.append([cpu, st.events, st.blocks,
                     "-" if st.first_seq is None else "%d..%d" % (st.first_seq, st.last_seq),
                     st.overwritten, st.missing + st.dropped_in_copy, st.pending,
                     "%d/%d" % (st.holes, st.hole_words), st.lost_reported + st.lost_unreported,
                     st.unknown])
    _table(out, "Buffers", ["cpu", "events", "blocks", "seq", "wrapped", "missing",
                            "pending", "holes/words", "lost", "unknown"], rows)
    counts = {}
    for e in trace.user_events():
        counts[e.name] = counts.get(e.name, 0) + 1
    _table(out, "Events", ["event", "count"], sorted(([k, v] for k, v in counts.items()),
                                                     key=lambda r: (-r[1], r[0])))
    rows = []
    for (iface, ordinal), durs in sorted(analysis.ppc_methods(an).items()):
        rows.append([names.method(iface, ordinal)] + _dur_cols(trace, analysis.stats_row(durs)))
    _table(out, "PPC calls by method (interface.method from the IDL; call to return)",
           ["method"] + DUR_HDR, rows)
    rows = [[k] + _dur_cols(trace, analysis.stats_row(v))
            for k, v in analysis.fault_kinds(an).items() if v]
    _table(out, "Page faults", ["kind"] + DUR_HDR, rows)
    rows = []
    for (iface, ordinal), durs in sorted(analysis.requests(an).items()):
        rows.append([names.method(iface, ordinal)] + _dur_cols(trace, analysis.stats_row(durs)))
    _table(out, "Server requests (interface.method from the IDL; begin to end)",
           ["request"] + DUR_HDR, rows)
    rows = []
    procs = analysis.processes(an)
    for pid in sorted(procs):
        p = procs[pid]
        share = 100.0 * p["running"] / (span * len(trace.stats)) if span else 0.0
        rows.append([an.proc_label(pid), "%.3f" % _us(trace, p["running"]), "%.1f" % share,
                     p["dispatches"], p["events"], p["ppc"], p["faults"]])
    _table(out, "Processes (from dispatcher switches)",
           ["pid", "running us", "% of CPU time", "dispatches", "events", "ppc calls", "faults"], rows)
    opened = [s for s in an.spans if s.end is None]
    if opened or an.unmatched_ends:
        out.write("\nUnmatched: %d begins without an end, %s\n" % (
            len(opened), ", ".join("%d %s ends without a begin" % (n, k)
                                   for k, n in sorted(an.unmatched_ends.items())) or "no ends without a begin"))
    if trace.diags:
        out.write("\nDiagnostics: %d (see stderr)\n" % len(trace.diags))
