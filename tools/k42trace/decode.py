"""Turn a dump's per-CPU rings into events with full timestamps.

The walk follows the writer's protocol (<k42/trace.h>): every block opens
with a block header (full timebase, sequence number, CPU); events carry the
lap tag of their position, so words left from an older lap are recognised;
a header with layer 15 is an event still being written (skipped by its
length); a filler ends a block. Problems are collected as diagnostics:
errors for data no writer can produce (bad lengths), warnings for the marks
of preempted or killed writers, and notes. Nothing here trusts the dump.
"""
from . import fmt
from .errors import TraceError

ERROR, WARNING, NOTE = "error", "warning", "note"
RESYNC_EVENTS = 3             # plausible events in a row that end a resync scan
RESYNC_SLACK = 1 << 16        # how far back in time an event may seem to go (ticks)
CLOSE = 1 << 20               # "right after the previous event" (ticks)
RESYNC_WINDOW = 1024          # words searched for the next event after a hole
END = "end"


class Diag:
    def __init__(self, severity, msg, cpu=None, seq=None, word=None):
        self.severity, self.msg, self.cpu, self.seq, self.word = severity, msg, cpu, seq, word

    def __str__(self):
        where = []
        if self.cpu is not None:
            where.append("cpu %d" % self.cpu)
        if self.seq is not None:
            where.append("block %d" % self.seq)
        if self.word is not None:
            where.append("word %d" % self.word)
        return "%s: %s%s" % (self.severity, ", ".join(where) + ": " if where else "", self.msg)


class Event:
    __slots__ = ("cpu", "ts", "seq", "word", "layer", "major", "minor", "length", "payload",
                 "ev", "estimated")

    def __init__(self, cpu, ts, seq, word, layer, major, minor, length, payload, ev, estimated):
        self.cpu, self.ts, self.seq, self.word = cpu, ts, seq, word
        self.layer, self.major, self.minor, self.length = layer, major, minor, length
        self.payload, self.ev, self.estimated = payload, ev, estimated

    @property
    def name(self):
        if self.ev is not None:
            return self.ev.full_name
        return "unknown.%d.%d.%d" % (self.layer, self.major, self.minor)

    @property
    def cls_name(self):
        return self.ev.cls.name if self.ev is not None else "unknown"

    def values(self):
        """{field: value}; raw events give {'w1': ..., ...}."""
        if self.ev is None:
            return {"w%d" % (i + 1): w for i, w in enumerate(self.payload)}
        return dict(zip((f.name for f in self.ev.fields), self.ev.values(self.payload)))

    def text(self):
        if self.ev is None:
            return " ".join("%#x" % w for w in self.payload) or "-"
        return self.ev.render(self.payload)

    def is_control(self):
        return self.layer == 0 and self.major == fmt.CLASS_CONTROL


class CpuStats:
    def __init__(self, cpu):
        self.cpu = cpu
        self.blocks = 0               # blocks decoded
        self.first_seq = None         # oldest block retained
        self.last_seq = None
        self.overwritten = 0          # blocks lost to ring wrap-around before the dump
        self.missing = 0              # gaps in the sequence (not in any segment)
        self.dropped_in_copy = 0      # re-entered by writers while the dump was taken
        self.events = 0
        self.unknown = 0
        self.pending = 0              # events still being written when copied
        self.holes = 0                # reserved ranges never written
        self.hole_words = 0
        self.lost_reported = 0        # sum of LOST events
        self.lost_unreported = 0      # ctl->lost at dump time
        self.salvaged = 0             # blocks without a header, times estimated


class Trace:
    def __init__(self, dump, table):
        self.dump, self.table = dump, table
        self.timebase_hz = dump.timebase_hz
        self.events = []
        self.diags = []
        self.stats = {}

    @property
    def errors(self):
        return [d for d in self.diags if d.severity == ERROR]

    @property
    def t0(self):
        return self.events[0].ts if self.events else 0

    @property
    def t1(self):
        return self.events[-1].ts if self.events else 0

    def seconds(self, ts):
        return (ts - self.t0) / self.timebase_hz

    def us(self, ticks):
        return ticks * 1e6 / self.timebase_hz

    def user_events(self):
        return [e for e in self.events if not e.is_control()]


class _Walker:
    """Decodes the blocks of one CPU in sequence order."""

    def __init__(self, trace, cpu):
        self.trace, self.cpu = trace, cpu
        self.table = trace.table
        self.stats = CpuStats(cpu)
        self.out = []
        self.last_ts = None

    def diag(self, severity, msg, seq=None, word=None):
        self.trace.diags.append(Diag(severity, msg, self.cpu, seq, word))

    # -- finding the next event after a range no writer finished --
    def _candidate(self, words, q, limit, tag, base, lo_ts):
        """(length, full ts) if an event could start at q: fresh lap tag,
        a length that fits, a timestamp not before lo_ts (less some slack)
        and not implausibly far after it, and an id the table knows with
        that length, a pending mark, a filler, or an unknown id in a
        known layer. None otherwise."""
        ts32, ln, layer, major, htag, minor = fmt.hdr_fields(words[q])
        if htag != tag or ln == 0 or q + ln > limit:
            return None
        ts = base + fmt.ts_delta(ts32 - base)
        if not lo_ts - RESYNC_SLACK <= ts < lo_ts + fmt.TS_REACH:
            return None
        if layer == fmt.LAYER_PENDING:
            return (ln, ts) if ln >= 2 else None
        if layer == 0 and major == fmt.CLASS_CONTROL:
            if minor == fmt.MINOR_FILLER:
                return limit - q, ts
            if minor != fmt.MINOR_LOST or ln != fmt.LOST_WORDS:
                return None
        if layer not in fmt.LAYER_NAMES:
            return None
        ev = self.table.lookup(layer, major, minor)
        if ev is not None and ev.words != ln:
            return None
        return ln, ts

    def _chain(self, words, q, limit, tag, base, lo_ts):
        """Do RESYNC_EVENTS plausible events in time order (or fewer that
        end exactly at the block's end) start at q? Zero words after an
        event are a reservation no writer filled, not evidence against the
        chain: it goes on past them. (Stopping there lost the committed
        events between two unwritten reservations fewer than RESYNC_EVENTS
        apart: the trace/concurrency flake.)"""
        r, good, t = q, 0, lo_ts
        while r < limit and good < RESYNC_EVENTS:
            c = self._candidate(words, r, limit, tag, base, t)
            if c is None:
                z = r
                while good and z < limit and z - r < RESYNC_WINDOW and words[z] == 0:
                    z += 1
                if z == r:
                    break
                r = z
                continue
            r += c[0]
            t = max(t, c[1])
            good += 1
        return good > 0 and (r >= limit or good >= RESYNC_EVENTS)

    def _resync(self, words, p, limit, tag, base, lo_ts):
        """First q > p where a plausible chain of events starts. An unwritten
        event is at most 255 words; a longer unwritten range is an unwritten
        filler, after which the block holds nothing, so the search stops
        RESYNC_WINDOW words on (which also bounds the work on garbage)."""
        for q in range(p + 1, min(limit, p + 1 + RESYNC_WINDOW)):
            if self._chain(words, q, limit, tag, base, lo_ts):
                return q
        return None

    def block(self, seq, words, limit, bshift, rshift, seg_cpu):
        bw = 1 << bshift
        tag = fmt.lap_tag(seq << bshift, rshift)
        h = words[0]
        ts32, ln, layer, major, htag, minor = fmt.hdr_fields(h)
        is_hdr = (layer == 0 and major == fmt.CLASS_CONTROL and minor == fmt.MINOR_BLOCK)
        estimated = False
        if is_hdr and htag == tag and ln == fmt.BLOCK_HDR_WORDS and words[2] == seq:
            block_tb = words[1]
            cpu, bs, rs, _mode = fmt.split_block_info(words[3])
            if cpu != seg_cpu:
                self.diag(ERROR, "block header says cpu %d in cpu %d's buffer" % (cpu, seg_cpu), seq, 0)
            if (bs, rs) != (bshift, rshift):
                self.diag(WARNING, "block header geometry 2^%d/2^%d differs from the segment's 2^%d/2^%d"
                          % (bs, rs, bshift, rshift), seq, 0)
            if ts32 != block_tb & 0xffffffff:
                self.diag(WARNING, "block header time %#x disagrees with its header word" % block_tb, seq, 0)
        elif is_hdr and htag == tag and ln == fmt.BLOCK_HDR_WORDS and \
                (words[2] - seq) % (1 << (rshift - bshift)) != 0:
            self.diag(ERROR, "block header says sequence %d in the slot of block %d" % (words[2], seq),
                      seq, 0)
            return
        elif is_hdr and htag == tag:
            self.diag(ERROR, "block header of bad length %d" % ln, seq, 0)
            return
        else:
            # The writer that started this block had not written its header.
            if self.last_ts is None:
                self.diag(WARNING, "block header not written (writer stalled?); block skipped", seq, 0)
                return
            self.diag(WARNING, "block header not written (writer stalled?); times in it estimated",
                      seq, 0)
            self.stats.salvaged += 1
            block_tb, estimated = self.last_ts, True
        self.stats.blocks += 1
        self._walk(seq, words, limit, bw, tag, block_tb, estimated)

    def _hole(self, seq, words, p, limit, tag, base, prev):
        """Skip words reserved but never written (or not plausibly an event)
        starting at p. Returns where to go on, or None for the block's end."""
        q = self._resync(words, p, limit, tag, base, prev)
        end = limit if q is None else q
        self.stats.holes += 1
        self.stats.hole_words += end - p
        self.diag(WARNING, "%d words reserved but not written when copied (writer stalled or "
                  "killed); %s" % (end - p, "rest of block skipped" if q is None else "skipped"),
                  seq, p)
        return q

    def _next_ts(self, words, r, limit, tag, base, prev):
        """Time of the next plausible event at or after r: END if r is the
        block's end or a filler, None if nothing plausible follows."""
        if r >= limit:
            return END
        q = r if self._chain(words, r, limit, tag, base, prev) else \
            self._resync(words, r, limit, tag, base, prev)
        if q is None:
            return None
        ts32, ln, layer, major, _tag, minor = fmt.hdr_fields(words[q])
        if layer == 0 and major == fmt.CLASS_CONTROL and minor == fmt.MINOR_FILLER:
            return END
        return base + fmt.ts_delta(ts32 - base)

    def _walk(self, seq, words, limit, bw, tag, block_tb, estimated):
        base = prev = block_tb
        p = fmt.BLOCK_HDR_WORDS
        while p < limit:
            h = words[p]
            ts32, ln, layer, major, htag, minor = fmt.hdr_fields(h)
            if h == 0 or htag != tag:
                p = self._hole(seq, words, p, limit, tag, base, prev)
                if p is None:
                    return
                continue
            if ln == 0:
                self.diag(ERROR, "bad event length 0 (header %#018x); rest of block skipped" % h, seq, p)
                return
            if p + ln > limit:
                room = bw - p if limit == bw else limit - p
                self.diag(ERROR, "bad event length %d: only %d words left in the %s; rest of block skipped"
                          % (ln, room, "block" if limit == bw else "reserved part of the block"),
                          seq, p)
                return
            ts = base + fmt.ts_delta(ts32 - base)
            control = layer == 0 and major == fmt.CLASS_CONTROL
            if control and minor == fmt.MINOR_FILLER:
                return
            if control and minor == fmt.MINOR_BLOCK:
                self.diag(ERROR, "block header in the middle of a block; rest of block skipped", seq, p)
                return
            ev = self.table.lookup(layer, major, minor)
            # Anything the table cannot vouch for must also sit in time
            # between its neighbours: a stale word in an unwritten range
            # that happens to carry the right lap tag will not.
            weak = ev is None or ev.words != ln or layer == fmt.LAYER_PENDING
            if not prev - RESYNC_SLACK <= ts < prev + fmt.TS_REACH or \
                    (weak and not self._bracketed(words, p, ln, ts, limit, tag, base, prev)):
                p = self._hole(seq, words, p, limit, tag, base, prev)
                if p is None:
                    return
                continue
            if layer == fmt.LAYER_PENDING:
                if ln < 2:
                    self.diag(ERROR, "pending event of length %d" % ln, seq, p)
                    return
                self.stats.pending += 1
                p += ln
                continue
            if estimated:
                base = ts
            prev = max(prev, ts)
            payload = tuple(words[p + 1:p + ln])
            if ev is not None and ev.words != ln:
                self.diag(WARNING, "%s has %d words, the table says %d (table out of date?); shown raw"
                          % (ev.full_name, ln, ev.words), seq, p)
                ev = None
            if ev is None:
                self.stats.unknown += 1
            elif control and minor == fmt.MINOR_LOST:
                self.stats.lost_reported += payload[0]
            self.out.append(Event(self.cpu, ts, seq, p, layer, major, minor, ln, payload, ev,
                                  estimated))
            self.stats.events += 1
            self.last_ts = max(self.last_ts or 0, ts)
            p += ln

    def _bracketed(self, words, p, ln, ts, limit, tag, base, prev):
        nxt = self._next_ts(words, p + ln, limit, tag, base, prev)
        if nxt is END:
            return True
        if nxt is None:
            return ts <= prev + CLOSE
        return ts <= nxt + RESYNC_SLACK


def decode(dump, table):
    """Decode every segment of a Dump with a Table; returns a Trace."""
    trace = Trace(dump, table)
    if dump.table_hash and dump.table_hash != table.hash:
        trace.diags.append(Diag(WARNING, "dump was written by a build with event table %#018x, "
                                "decoding with %#018x (%s): names may be wrong"
                                % (dump.table_hash, table.hash, table.path)))
    by_cpu = {}
    for seg in dump.segments:
        by_cpu.setdefault(seg.cpu, []).append(seg)
    for cpu in sorted(by_cpu):
        w = _Walker(trace, cpu)
        blocks = {}          # seq -> (limit, words, bshift, rshift)
        oldest_ever = None
        unreported = (0, 0)
        for seg in by_cpu[cpu]:
            unreported = max(unreported, (seg.index_end, seg.lost))
            if seg.index_begin == 0:
                continue
            bshift, rshift, n = seg.block_shift, seg.ring_shift, seg.nblocks
            bw = 1 << bshift
            c_begin = (seg.index_begin - 1) >> bshift
            c_end = (seg.index_end - 1) >> bshift
            lo = max(0, c_end - n + 1)
            oldest = max(0, c_begin - n + 1)
            if lo > oldest:
                dropped = min(lo, c_begin + 1) - oldest
                w.stats.dropped_in_copy += dropped
                w.diag(WARNING, "%d blocks rewritten by writers while the dump was taken; dropped"
                       % dropped)
            oldest_ever = oldest if oldest_ever is None else min(oldest_ever, oldest)
            for slot in range(seg.first_slot, seg.first_slot + seg.data_blocks):
                # The newest block that lands in this slot, if still valid.
                seq = c_begin - ((c_begin - slot) % n)
                if seq < lo:
                    continue
                words = seg.slot(slot)
                limit = bw if seq < c_begin else seg.index_begin - (c_begin << bshift)
                if seq not in blocks or blocks[seq][0] < limit:
                    blocks[seq] = (limit, words, bshift, rshift)
        w.stats.lost_unreported = unreported[1]
        if blocks:
            seqs = sorted(blocks)
            w.stats.first_seq, w.stats.last_seq = seqs[0], seqs[-1]
            w.stats.overwritten = seqs[0]
            gaps = []
            for a, b in zip(seqs, seqs[1:]):
                if b != a + 1:
                    gaps.append((a + 1, b - 1))
                    w.stats.missing += b - a - 1
            for a, b in gaps[:5]:
                w.diag(WARNING, "blocks %d..%d missing from the dump" % (a, b))
            for seq in seqs:
                limit, words, bshift, rshift = blocks[seq]
                w.block(seq, words, limit, bshift, rshift, cpu)
        trace.stats[cpu] = w.stats
        trace.events.extend(w.out)
    trace.events.sort(key=lambda e: (e.ts, e.cpu, e.seq, e.word))
    return trace


def decode_file(path, table):
    from . import dump as dumpmod
    return decode(dumpmod.load(path), table)


__all__ = ["decode", "decode_file", "Trace", "Event", "Diag", "TraceError",
           "ERROR", "WARNING", "NOTE"]
