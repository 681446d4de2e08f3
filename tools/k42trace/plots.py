"""Plots of a decoded trace, drawn with matplotlib (Agg: no display needed):
a per-CPU timeline and a latency histogram of one span kind, split by IPC
method named from the IDL. Each PNG also carries its title and legend as
PNG text (Title, Description), so tests and scripts can read what it shows."""
import math
import os

from . import analysis, idlnames
from .errors import TraceError

DPI = 100
SPAN_COLORS = {"ppc": "tab:blue", "request": "tab:green", "fault": "tab:orange"}
# Per process; tab10 without the span colours, so a process never looks like a span.
PROC_COLORS = ["#4e79a7", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
               "#9c755f", "#bab0ac", "#59a14f", "#f28e2b"]

plt = Patch = matplotlib = None


def _need():
    """Import matplotlib on first use (a second or two): the commands that
    draw nothing stay fast."""
    global plt, Patch, matplotlib
    if plt is not None:
        return
    try:
        import matplotlib as mpl
        mpl.use("Agg")
        import matplotlib.pyplot as pyplot
        import matplotlib.ticker  # noqa: F401  (mpl.ticker.FuncFormatter)
        from matplotlib.patches import Patch as patch
    except ImportError as e:
        raise TraceError("plots need matplotlib (%s): install python3-matplotlib "
                         "(tools/setup.sh does)" % e) from None
    plt, Patch, matplotlib = pyplot, patch, mpl


def proc_color(pid):
    return PROC_COLORS[pid % len(PROC_COLORS)]


def time_unit(seconds):
    """(scale, unit) that shows seconds with a readable mantissa."""
    for scale, unit in ((1, "s"), (1e3, "ms"), (1e6, "us")):
        if seconds * scale >= 1:
            return scale, unit
    return 1e9, "ns"


def _save(fig, path, title, legend):
    fig.savefig(path, dpi=DPI, metadata={"Title": title, "Description": "; ".join(legend),
                                         "Software": "k42trace (matplotlib)"})
    plt.close(fig)


def timeline(trace, path, width=1400, an=None):
    """One band per CPU: which process ran (coloured by process), and under
    it the PPC, request and fault spans; exceptions and reflected faults as
    ticks, lost-event reports as red lines."""
    _need()
    an = an or analysis.Analysis(trace)
    cpus = sorted(trace.stats) or [0]
    hz = trace.timebase_hz
    t0, t1 = trace.t0, max(trace.t1, trace.t0 + 1)
    scale, unit = time_unit((t1 - t0) / hz)

    def x(ts):
        return (ts - t0) / hz * scale

    procs = sorted({r.pid for r in an.running})
    height = 150 + 110 * len(cpus) + 18 * ((len(procs) + 5) // 6)
    fig, ax = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
    rows = {"run": 3.0, "ppc": 2.0, "request": 1.3, "fault": 0.6}
    base = {cpu: -5.0 * i for i, cpu in enumerate(cpus)}
    for cpu, b in base.items():
        per_pid = {}
        for r in an.running:
            if r.cpu == cpu:
                per_pid.setdefault(r.pid, []).append((x(r.start), max(x(r.end) - x(r.start), 0)))
        for pid, bars in per_pid.items():
            ax.broken_barh(bars, (b + rows["run"], 1.2), facecolors=proc_color(pid))
        for kind in ("ppc", "request", "fault"):
            bars = [(x(s.start), x(s.end if s.end is not None else t1) - x(s.start))
                    for s in an.spans if s.cpu == cpu and s.name == kind]
            if bars:
                ax.broken_barh(bars, (b + rows[kind], 0.5), facecolors=SPAN_COLORS[kind])
    marks = {"exc.entry": ([], "grey"), "fault.reflect": ([], "red"),
             "fault.complete": ([], "red"), "control.lost": ([], "red")}
    for e in trace.events:
        if e.ev is not None and e.ev.full_name in marks and e.cpu in base:
            marks[e.ev.full_name][0].append((x(e.ts), base[e.cpu]))
    for name, (pts, color) in marks.items():
        if not pts:
            continue
        lo, hi = (-0.1, 4.4) if name == "control.lost" else (0.0, 0.4)
        ax.vlines([p[0] for p in pts], [p[1] + lo for p in pts], [p[1] + hi for p in pts],
                  colors=color, linewidth=1)
    ticks, labels = [], []
    for cpu, b in base.items():
        for kind, label in (("run", "CPU %d" % cpu), ("ppc", "ppc"), ("request", "request"),
                            ("fault", "fault")):
            ticks.append(b + rows[kind] + (0.6 if kind == "run" else 0.25))
            labels.append(label)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(min(base.values()) - 0.3, 4.5)
    ax.set_xlim(0, x(t1))
    ax.set_xlabel("time since the first event (%s)" % unit)
    ax.grid(axis="x", color="0.9")
    title = "k42 trace timeline: %s, %.3g %s on %d CPU(s), %d events" % (
        os.path.basename(trace.dump.path), x(t1), unit, len(cpus), len(trace.user_events()))
    ax.set_title(title)
    legend = ["process %s" % an.proc_label(pid) for pid in procs]
    handles = [Patch(color=proc_color(pid), label=l) for pid, l in zip(procs, legend)]
    handles += [Patch(color=c, label="%s span" % k) for k, c in SPAN_COLORS.items()]
    if not procs:
        ax.text(0.5, 0.5, "no dispatcher switches in this trace", transform=ax.transAxes,
                ha="center", color="grey")
    fig.legend(handles=handles, loc="lower center", ncol=6, frameon=False, fontsize="small")
    fig.subplots_adjust(left=0.07, right=0.99, top=1 - 40 / height,
                        bottom=(60 + 18 * ((len(handles) + 5) // 6)) / height)
    _save(fig, path, title, legend + ["%s span" % k for k in SPAN_COLORS])


def _series_name(span, names):
    b = span.begin.values()
    if span.name == "ppc":
        return names.op(b.get("op", 0))
    if span.name == "request":
        return names.method(b.get("iface", 0), b.get("ordinal", 0))
    return span.name


def histogram(trace, path, span="ppc", width=900, height=480, an=None, names=None, top=8):
    """Durations of the closed spans of one kind, in power-of-two bins of
    timebase ticks, stacked by IPC method (the `top` most frequent, the rest
    as "other")."""
    _need()
    an = an or analysis.Analysis(trace)
    names = names or idlnames.default()
    hz = trace.timebase_hz
    spans = an.closed(span)
    fig, ax = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
    if not spans:
        title = "k42 %s latency: no %s spans in this trace" % (span, span)
        ax.set_title(title)
        ax.set_axis_off()
        _save(fig, path, title, [])
        return
    durs = sorted(s.dur for s in spans)
    p50, p99 = analysis.percentile(durs, 0.5), analysis.percentile(durs, 0.99)
    by = {}
    for s in spans:
        by.setdefault(_series_name(s, names), []).append(max(s.dur, 1))
    order = sorted(by, key=lambda k: (-len(by[k]), k))
    if len(order) > top:
        rest = [d for k in order[top - 1:] for d in by[k]]
        order = order[:top - 1] + ["other"]
        by["other"] = rest
    lo = int(math.floor(math.log2(max(durs[0], 1))))
    hi = max(lo + 1, int(math.floor(math.log2(max(durs[-1], 1)))) + 1)
    edges = [(1 << k) / hz * 1e6 for k in range(lo, hi + 1)]
    data = [[d / hz * 1e6 for d in by[k]] for k in order]
    legend = ["%s (%d)" % (k, len(by[k])) for k in order]
    ax.hist(data, bins=edges, stacked=True, label=legend,
            color=[PROC_COLORS[i % len(PROC_COLORS)] for i in range(len(order))])
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "%g" % v))
    ax.set_xlabel("duration (us; bins are powers of two of the %d Hz timebase)" % hz)
    ax.set_ylabel("%s spans" % span)
    for q, v, style in (("p50", p50, "--"), ("p99", p99, ":")):
        ax.axvline(v / hz * 1e6, color="black", linestyle=style, linewidth=1, label=q)
    title = "k42 %s latency: %d spans, p50 %.3g us, p99 %.3g us, max %.3g us" % (
        span, len(durs), p50 / hz * 1e6, p99 / hz * 1e6, durs[-1] / hz * 1e6)
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(axis="y", color="0.9")
    fig.tight_layout()
    _save(fig, path, title, legend + ["p50", "p99"])


def bar_chart(path, title, groups, series, width=900, height=460):
    """Grouped bars on a log scale, for ./k42 bench: groups is
    [(label, value of series 0, value of series 1, ...)], None = missing."""
    _need()
    fig, ax = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
    n = max(1, len(series))
    bw = 0.8 / n
    for j, name in enumerate(series):
        xs = [i + (j - (n - 1) / 2) * bw for i, g in enumerate(groups) if g[1 + j]]
        vs = [g[1 + j] for g in groups if g[1 + j]]
        bars = ax.bar(xs, vs, bw * 0.95, label=name, color=PROC_COLORS[j % len(PROC_COLORS)])
        ax.bar_label(bars, labels=["%d" % round(v) for v in vs], fontsize="small")
    ax.set_yscale("log")
    ax.set_xticks(range(len(groups)), [g[0] for g in groups])
    ax.set_ylabel("guest instructions")
    ax.set_title(title)
    ax.legend()
    ax.grid(axis="y", color="0.9")
    fig.tight_layout()
    _save(fig, path, title, list(series))
