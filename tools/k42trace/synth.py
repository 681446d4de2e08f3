"""A reference writer in Python: builds rings exactly as <k42/trace.h> does
(one writer at a time), plus knobs to leave events pending or unwritten.
Used by the decoder tests to hand-make buffers and by `k42trace demo`."""
from . import dump as dumpmod
from . import fmt


class Ring:
    def __init__(self, cpu=0, block_shift=6, ring_shift=10, mode=fmt.MODE_FLIGHT):
        assert fmt.MIN_BLOCK_SHIFT <= block_shift < ring_shift
        self.cpu, self.block_shift, self.ring_shift, self.mode = cpu, block_shift, ring_shift, mode
        self.words = [0] * (1 << ring_shift)
        self.index = 0
        self.lost = 0
        self.consumed = 0

    @property
    def bw(self):
        return 1 << self.block_shift

    def _put(self, idx, value):
        self.words[idx & ((1 << self.ring_shift) - 1)] = value & 0xffffffffffffffff

    def _hdr(self, t, length, layer, major, minor, idx):
        return fmt.make_hdr(t, length, layer, major, minor, fmt.lap_tag(idx, self.ring_shift))

    def claim(self, t, length):
        """The writer's reservation (fast and slow path in one): the index of
        the event, or None if it was dropped."""
        bw = self.bw
        if length + fmt.BLOCK_HDR_WORDS + fmt.LOST_WORDS > bw or length == 0:
            self.lost += 1
            return None
        old = self.index
        pos = old & (bw - 1)
        if pos != 0 and pos + length <= bw:
            # The fast path: it fits (the time is keep_time's business).
            self.index = old + length
            return old
        start = old - pos + bw if pos else old
        seq = start >> self.block_shift
        if self.mode == fmt.MODE_STREAM and seq - self.consumed >= (1 << (self.ring_shift - self.block_shift)):
            self.lost += 1
            return None
        lost = self.lost
        at = start + fmt.BLOCK_HDR_WORDS + (fmt.LOST_WORDS if lost else 0)
        self.index = at + length
        if pos:
            self._put(old, self._hdr(t, 1, 0, fmt.CLASS_CONTROL, fmt.MINOR_FILLER, old))
        self._put(start + 1, t)
        self._put(start + 2, seq)
        self._put(start + 3, fmt.block_info(self.cpu, self.block_shift, self.ring_shift, self.mode))
        self._put(start, self._hdr(t, fmt.BLOCK_HDR_WORDS, 0, fmt.CLASS_CONTROL, fmt.MINOR_BLOCK, start))
        if lost:
            self.lost = 0
            self._put(start + 5, lost)
            self._put(start + 4, self._hdr(t, fmt.LOST_WORDS, 0, fmt.CLASS_CONTROL, fmt.MINOR_LOST,
                                           start + 4))
        return at

    def keep_time(self, t):
        """k42_trace_keep_time: close the open block if its header is
        TS_MAX_AGE old at t (the kernel does it on every decrementer
        interrupt). True if it closed one."""
        pos = self.index & (self.bw - 1)
        if pos == 0:
            return False
        btb = self.words[((self.index - pos) & ((1 << self.ring_shift) - 1)) + 1]
        if t - btb < fmt.TS_MAX_AGE:
            return False
        self._put(self.index, self._hdr(t, 1, 0, fmt.CLASS_CONTROL, fmt.MINOR_FILLER, self.index))
        self.index += self.bw - pos
        return True

    def log(self, t, layer, major, minor, payload=(), state="committed"):
        """Log one event. state: 'committed', 'pending' (header marked
        pending, payload written, never committed) or 'unwritten' (reserved,
        nothing written). Returns its index or None if dropped."""
        length = 1 + len(payload)
        self.keep_time(t)      # the clock's owner came by since the last event
        idx = self.claim(t, length)
        if idx is None or state == "unwritten":
            return idx
        hdr = self._hdr(t, length, layer, major, minor, idx)
        for i, w in enumerate(payload):
            self._put(idx + 1 + i, w)
        if state == "pending":
            self._put(idx, hdr | (fmt.LAYER_MASK << fmt.LAYER_SHIFT))
        else:
            self._put(idx, hdr)
        return idx

    def log_event(self, t, ev, *values, state="committed"):
        """Log a table event (k42trace.table.Event) with one value per field."""
        return self.log(t, ev.cls.layer, ev.cls.major, ev.minor, pack(ev, values), state)

    def segment(self, index_begin=None, index_end=None):
        ib = self.index if index_begin is None else index_begin
        ie = ib if index_end is None else index_end
        return (self.cpu, self.block_shift, self.ring_shift, self.mode, ib, ie, self.lost, 0,
                list(self.words))

    def take_block(self, seq):
        """Stream mode: a one-block segment of block seq, and consume it."""
        bw = self.bw
        slot = seq & ((1 << (self.ring_shift - self.block_shift)) - 1)
        words = self.words[slot * bw:(slot + 1) * bw]
        self.consumed = seq + 1
        idx = (seq + 1) << self.block_shift
        return (self.cpu, self.block_shift, self.ring_shift, self.mode, idx, idx, self.lost, slot,
                words)


def pack(ev, values):
    """Payload words for a table event's field values."""
    if len(values) != len(ev.fields):
        raise ValueError("%s takes %d values" % (ev.full_name, len(ev.fields)))
    out = []
    for f, v in zip(ev.fields, values):
        if f.is_str:
            raw = v.encode()[:f.nbytes] if isinstance(v, str) else bytes(v)[:f.nbytes]
            raw = raw.ljust(f.words * 8, b"\0")
            out += [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]
        else:
            out.append(v & 0xffffffffffffffff)
    return out


def demo(table, seed=1):
    """A small but lively two-CPU trace: processes, dispatcher switches, PPC
    calls served by servers, in-core and reflected faults, timers, threads."""
    import random
    rnd = random.Random(seed)
    E = table.events
    rings = [Ring(cpu=c, block_shift=7, ring_shift=14) for c in range(2)]
    procs = {1: "init", 2: "name", 3: "bootfs", 4: "console", 5: "hello"}
    t = [1_000_000, 1_000_300]
    fault_id = [100]
    pending_io = []

    def tick(c, n):
        t[c] += n
        return t[c]

    r0 = rings[0]
    for pid, name in procs.items():
        r0.log_event(tick(0, 2000), E["proc.create"], pid, 1 if pid > 1 else 0, name)
    cur = [(1, 0), (2, 1)]
    for step in range(1500):
        c = rnd.randrange(2)
        r = rings[c]
        what = rnd.random()
        pid, did = cur[c]
        if what < 0.12:
            new = rnd.choice([p for p in procs if p != pid])
            r.log_event(tick(c, rnd.randint(50, 400)), E["disp.switch"], pid, did, new, c)
            cur[c] = (new, c)
        elif what < 0.55:
            server = rnd.choice([2, 3, 4])
            # Interface ids and method ordinals of idl/name.idl, file.idl and
            # console.idl, so the demo's summary and plots show method names.
            iface, ordinal = {2: 0x1, 3: 0x2, 4: 0x3}[server], rnd.randint(1, 4)
            op = (iface << 40) | (1 << 32) | (ordinal << 16)
            r.log_event(tick(c, rnd.randint(20, 200)), E["ppc.call"], pid, server, op)
            r.log_event(tick(c, rnd.randint(30, 60)), E["request.begin"], iface, ordinal)
            if rnd.random() < 0.2:
                addr = 0x10000000 + rnd.randrange(1 << 20)
                r.log_event(tick(c, rnd.randint(10, 40)), E["fault.start"], addr, 1)
                r.log_event(tick(c, rnd.randint(200, 700)), E["fault.incore"], addr)
            r.log_event(tick(c, rnd.randint(100, 900 * ordinal)), E["request.end"], iface, ordinal, 0)
            r.log_event(tick(c, rnd.randint(30, 60)), E["ppc.return"], 0 if rnd.random() < 0.9 else -2)
        elif what < 0.65:
            addr = 0x20000000 + rnd.randrange(1 << 24)
            r.log_event(tick(c, rnd.randint(20, 300)), E["exc.entry"], 0x300, 0x10001234)
            r.log_event(tick(c, rnd.randint(10, 30)), E["fault.start"], addr, 2)
            if rnd.random() < 0.5:
                r.log_event(tick(c, rnd.randint(300, 900)), E["fault.incore"], addr)
            else:
                fault_id[0] += 1
                r.log_event(tick(c, rnd.randint(800, 2000)), E["fault.reflect"], addr, fault_id[0])
                pending_io.append((c, fault_id[0], t[c] + rnd.randint(20000, 90000)))
        elif what < 0.75:
            r.log_event(tick(c, rnd.randint(100, 500)), E["timer.tick"], step)
        elif what < 0.88:
            a, b = rnd.randrange(1, 9), rnd.randrange(1, 9)
            r.log_event(tick(c, rnd.randint(20, 200)), E["thread.switch"], 0x1000 * a, 0x1000 * b)
            if rnd.random() < 0.3:
                r.log_event(tick(c, rnd.randint(20, 200)), E["thread.block"], 0x1000 * b, 1)
                r.log_event(tick(c, rnd.randint(20, 200)), E["utimer.fire"], 0x1000 * b, t[c] + 5000)
                r.log_event(tick(c, rnd.randint(20, 200)), E["thread.wake"], 0x1000 * b, 0x1000 * a)
        else:
            r.log_event(tick(c, rnd.randint(50, 500)), E["app.marker"], step)
            r.log_event(tick(c, rnd.randint(5, 50)), E["app.event"], step, step * 2)
        for item in list(pending_io):
            pc, fid, when = item
            if t[pc] >= when:
                rings[pc].log_event(tick(pc, 10), E["fault.complete"], fid)
                pending_io.remove(item)
    rings[1].log_event(tick(1, 500), E["proc.exit"], 5, 0)
    return dumpmod.build([r.segment() for r in rings], mask=(1 << 64) - 2, table_hash=table.hash)
