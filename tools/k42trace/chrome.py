"""Chrome trace-event JSON, as the Perfetto UI (ui.perfetto.dev) and
chrome://tracing open it.

Tracks: process "CPUs" (pid 0) has a thread per CPU for instant events and
one per CPU and span kind ("CPU 0 ppc") for the spans, so slices on a track
always nest. Each k42 process P is a Chrome process (pid P + 1) with a
thread per dispatcher ("disp D") showing when it ran, its libk42, server
and app events, and one per dispatcher and span kind for the spans it
began. Matched begin/end pairs are complete ("X") events; a begin with no
end yet is "B". Keyed spans (fault_io/id) are async ("b"/"e") events.
"""
import json

from . import analysis, idlnames

LANES = 16                    # tid = base * LANES + lane


class _Tracks:
    def __init__(self):
        self.meta = []
        self.named = set()
        self.lanes = {}           # (pid, base) -> {span name: lane}
        self.ids = {}             # (kind, 64-bit k42 number) -> small Chrome number

    def small(self, kind, n, limit):
        """n itself if small enough for a Chrome pid/tid, else a stable stand-in
        (a corrupt or huge pid must not make the file unreadable)."""
        if 0 <= n < limit:
            return n
        return self.ids.setdefault((kind, n), limit + len(self.ids))

    def process(self, pid, name, sort):
        if ("p", pid) not in self.named:
            self.named.add(("p", pid))
            self.meta.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                              "args": {"name": name}})
            self.meta.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0,
                              "args": {"sort_index": sort}})

    def thread(self, pid, tid, name):
        if ("t", pid, tid) not in self.named:
            self.named.add(("t", pid, tid))
            self.meta.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                              "args": {"name": name}})
            self.meta.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
                              "args": {"sort_index": tid}})

    def lane(self, pid, base, label, span):
        lanes = self.lanes.setdefault((pid, base), {})
        if span not in lanes:
            lanes[span] = min(len(lanes) + 1, LANES - 1)
        tid = base * LANES + lanes[span]
        self.thread(pid, tid, "%s %s" % (label, span))
        return tid


def _args(e):
    args = {}
    for k, v in e.values().items():
        args[k] = ("%#x" % v) if isinstance(v, int) and v > 0xffff else v
    args["text"] = e.text()
    return args


def convert(trace, an=None, names=None):
    """The trace as a dict ready for json.dump; PPC and request spans are
    named interface.method from the IDL (names: idlnames.Names)."""
    an = an or analysis.Analysis(trace)
    names = names or idlnames.default()
    tb = trace.timebase_hz
    t0 = trace.t0

    def us(ts):
        return round((ts - t0) * 1e6 / tb, 3)

    tr = _Tracks()
    ev = []
    tr.process(0, "CPUs", 0)
    for cpu in sorted(trace.stats):
        tr.thread(0, tr.small("cpu", cpu, 1 << 20) * LANES, "CPU %d" % cpu)

    def disp_track(ctx):
        pid, disp = ctx
        cpid = tr.small("pid", pid, 1 << 30) + 1
        cdisp = tr.small("disp", disp, 1 << 20)
        tr.process(cpid, "k42 process %s" % an.proc_label(pid), cpid)
        tr.thread(cpid, cdisp * LANES, "disp %d" % disp)
        return cpid, cdisp * LANES

    span_events = {id(s.begin) for s in an.spans} | {id(s.finish) for s in an.spans if s.finish}
    for e in trace.events:
        if e.is_control() and e.ev is not None and e.ev.name != "lost":
            continue
        if id(e) in span_events:
            continue
        item = {"name": e.name, "cat": e.cls_name, "ph": "i", "s": "t", "ts": us(e.ts),
                "pid": 0, "tid": tr.small("cpu", e.cpu, 1 << 20) * LANES, "args": _args(e)}
        ev.append(item)
        ctx = an.ctx.get(id(e))
        if ctx is not None and e.layer != 0:
            pid, tid = disp_track(ctx)
            ev.append(dict(item, pid=pid, tid=tid))
    for s in an.spans:
        label = s.begin.ev.full_name.split(".")[0]
        args = {"begin": s.begin.text()}
        if s.finish is not None:
            args["end"] = s.finish.text()
        if s.key is not None:
            common = {"name": s.name, "cat": label, "id": "%s-%d" % (s.name, s.key),
                      "pid": 0, "tid": tr.small("cpu", s.cpu, 1 << 20) * LANES}
            ev.append(dict(common, ph="b", ts=us(s.start), args=args))
            if s.end is not None:
                ev.append(dict(common, ph="e", ts=us(s.end)))
            continue
        name = s.name
        if s.name == "ppc":
            op = s.begin.values().get("op", 0)
            name = "ppc " + names.op(op)
        elif s.name == "request":
            v = s.begin.values()
            name = "request " + names.method(v.get("iface", 0), v.get("ordinal", 0))
        tracks = [(0, tr.lane(0, tr.small("cpu", s.cpu, 1 << 20), "CPU %d" % s.cpu, s.name))]
        if s.ctx is not None:
            pid, base = disp_track(s.ctx)
            tracks.append((pid, tr.lane(pid, base // LANES, "disp %d" % s.ctx[1], s.name)))
        for pid, tid in tracks:
            item = {"name": name, "cat": label, "ts": us(s.start), "pid": pid, "tid": tid,
                    "args": args}
            if s.end is None:
                item["ph"] = "B"
            else:
                item["ph"] = "X"
                item["dur"] = round((s.end - s.start) * 1e6 / tb, 3)
            ev.append(item)
    for r in an.running:
        pid, tid = disp_track((r.pid, r.disp))
        ev.append({"name": "running on CPU %d" % r.cpu, "cat": "dispatch", "ph": "X",
                   "ts": us(r.start), "dur": round((r.end - r.start) * 1e6 / tb, 3),
                   "pid": pid, "tid": tid, "args": {"cpu": r.cpu}})
    # Stable order: Perfetto does not need it, people diffing files do.
    ev.sort(key=lambda x: (x["ts"], x["pid"], x["tid"]))
    return {"traceEvents": tr.meta + ev, "displayTimeUnit": "ns",
            "otherData": {"source": trace.dump.path, "timebase_hz": tb,
                          "first_timebase": t0, "cpus": len(trace.stats)}}


def write(trace, path, an=None, names=None):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(convert(trace, an, names), f, separators=(",", ":"))
        f.write("\n")
