"""What the decoded events mean together: spans (from the begin/end marks
in events.tbl), which dispatcher ran when (disp.switch), and the summary
tables (time per PPC method, per fault kind, per process)."""
from .decode import Event  # noqa: F401  (documentation: spans hold Events)


class Span:
    __slots__ = ("name", "cpu", "start", "end", "begin", "finish", "ctx", "key")

    def __init__(self, name, cpu, start, begin, ctx, key=None):
        self.name, self.cpu, self.start, self.begin, self.ctx, self.key = (
            name, cpu, start, begin, ctx, key)
        self.end = None
        self.finish = None

    @property
    def dur(self):
        return None if self.end is None else self.end - self.start


class Running:
    """A dispatcher (pid, disp) running on a CPU from start to end."""
    __slots__ = ("cpu", "pid", "disp", "start", "end")

    def __init__(self, cpu, pid, disp, start, end):
        self.cpu, self.pid, self.disp, self.start, self.end = cpu, pid, disp, start, end


class Analysis:
    def __init__(self, trace):
        self.trace = trace
        self.spans = []             # closed and open spans, in begin order
        self.unmatched_ends = {}    # span name -> count
        self.running = []           # Running intervals
        self.ctx = {}               # id(event) -> (pid, disp) running when it was logged
        self.proc_names = {}        # pid -> name from proc.create
        self._run()

    def _run(self):
        tr = self.trace
        stacks = {}                 # (cpu, span) -> [Span]
        keyed = {}                  # (span, key value) -> Span
        current = {}                # cpu -> (pid, disp, since)
        end_ts = {}
        for e in tr.events:
            end_ts[e.cpu] = e.ts
        for e in tr.events:
            if e.ev is None:
                continue
            name = e.ev.full_name
            cur = current.get(e.cpu)
            ctx = (cur[0], cur[1]) if cur else None
            self.ctx[id(e)] = ctx
            if name == "disp.switch":
                v = e.values()
                if cur is not None:
                    self.running.append(Running(e.cpu, cur[0], cur[1], cur[2], e.ts))
                elif tr.events and e.ts > tr.t0:
                    # What ran before the first switch is named by its "from".
                    first = min(x.ts for x in tr.events if x.cpu == e.cpu)
                    self.running.append(Running(e.cpu, v["from_pid"], v["from_disp"], first, e.ts))
                current[e.cpu] = (v["to_pid"], v["to_disp"], e.ts)
            elif name == "proc.create":
                v = e.values()
                self.proc_names[v["pid"]] = v["name"]
            for sp in e.ev.spans:
                key = e.values()[sp.key] if sp.key else None
                if sp.kind == "end":
                    if sp.key:
                        s = keyed.pop((sp.name, key), None)
                    else:
                        st = stacks.get((e.cpu, sp.name))
                        s = st.pop() if st else None
                    if s is None:
                        self.unmatched_ends[sp.name] = self.unmatched_ends.get(sp.name, 0) + 1
                    else:
                        s.end, s.finish = e.ts, e
            for sp in e.ev.spans:
                if sp.kind == "begin":
                    key = e.values()[sp.key] if sp.key else None
                    s = Span(sp.name, e.cpu, e.ts, e, ctx, key)
                    self.spans.append(s)
                    if sp.key:
                        keyed[(sp.name, key)] = s
                    else:
                        stacks.setdefault((e.cpu, sp.name), []).append(s)
        for cpu, (pid, disp, since) in current.items():
            self.running.append(Running(cpu, pid, disp, since, max(end_ts.get(cpu, since), since)))
        self.running.sort(key=lambda r: (r.start, r.cpu))

    def closed(self, name=None):
        return [s for s in self.spans if s.end is not None and (name is None or s.name == name)]

    def proc_label(self, pid):
        name = self.proc_names.get(pid)
        return "%d %s" % (pid, name) if name else "%d" % pid


def percentile(sorted_vals, q):
    if not sorted_vals:
        return 0
    i = min(len(sorted_vals) - 1, max(0, int(round(q * (len(sorted_vals) - 1)))))
    return sorted_vals[i]


def stats_row(durs):
    d = sorted(durs)
    n = len(d)
    return {"count": n, "total": sum(d), "mean": (sum(d) / n) if n else 0,
            "min": d[0] if d else 0, "p50": percentile(d, 0.5), "p99": percentile(d, 0.99),
            "max": d[-1] if d else 0}


def ppc_methods(an):
    """{(iface, ordinal): [durations]} of matched PPC call/return pairs; the
    op word's layout is <k42/ipc.h>'s."""
    out = {}
    for s in an.closed("ppc"):
        op = s.begin.values().get("op", 0)
        key = ((op >> 40) & 0xffffff, (op >> 16) & 0xffff)
        out.setdefault(key, []).append(s.dur)
    return out


def fault_kinds(an):
    """{kind: [durations]}: in-core (start..incore), reflected (start..reflect,
    kernel part) and I/O wait (reflect..complete)."""
    out = {"in-core": [], "reflected (kernel part)": [], "reflected (until complete)": []}
    for s in an.closed("fault"):
        kind = "in-core" if s.finish.ev.name == "incore" else "reflected (kernel part)"
        out[kind].append(s.dur)
    for s in an.closed("fault_io"):
        out["reflected (until complete)"].append(s.dur)
    return out


def requests(an):
    out = {}
    for s in an.closed("request"):
        v = s.begin.values()
        out.setdefault((v.get("iface", 0), v.get("ordinal", 0)), []).append(s.dur)
    return out


def processes(an):
    """{pid: {'running': ticks, 'dispatches': n, 'events': n, 'ppc': n, 'faults': n}}"""
    out = {}

    def row(pid):
        return out.setdefault(pid, {"running": 0, "dispatches": 0, "events": 0, "ppc": 0, "faults": 0})
    for r in an.running:
        p = row(r.pid)
        p["running"] += r.end - r.start
        p["dispatches"] += 1
    for e in an.trace.events:
        ctx = an.ctx.get(id(e))
        if ctx is None:
            continue
        p = row(ctx[0])
        p["events"] += 1
        if e.ev is not None and e.ev.full_name == "ppc.call":
            p["ppc"] += 1
        elif e.ev is not None and e.ev.full_name == "fault.start":
            p["faults"] += 1
    return out
