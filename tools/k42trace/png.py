"""PNG plots written by hand (zlib + struct): a per-CPU timeline and a
latency histogram of one span kind."""
import math
import os
import struct
import zlib

from . import analysis, font

WHITE, BLACK, GREY, LIGHT = (255, 255, 255), (0, 0, 0), (128, 128, 128), (225, 225, 225)
RED, BLUE, GREEN, ORANGE = (200, 30, 30), (30, 60, 170), (30, 140, 60), (230, 140, 20)
PALETTE = [(78, 121, 167), (242, 142, 43), (225, 87, 89), (118, 183, 178), (89, 161, 79),
           (237, 201, 72), (176, 122, 161), (255, 157, 167), (156, 117, 95), (186, 176, 172)]


class Canvas:
    def __init__(self, width, height, bg=WHITE):
        self.w, self.h = width, height
        self.px = bytearray(bytes(bg) * (width * height))

    def rect(self, x0, y0, x1, y1, color):
        """Fill [x0, x1) x [y0, y1), clipped."""
        x0, x1 = max(0, int(x0)), min(self.w, int(x1))
        y0, y1 = max(0, int(y0)), min(self.h, int(y1))
        if x0 >= x1 or y0 >= y1:
            return
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            i = (y * self.w + x0) * 3
            self.px[i:i + len(row)] = row

    def text(self, x, y, s, color=BLACK, scale=1):
        for n, ch in enumerate(s):
            g = font.glyph(ch)
            gx = x + n * font.ADVANCE * scale
            for r, bits in enumerate(g):
                for c, on in enumerate(bits):
                    if on:
                        self.rect(gx + c * scale, y + r * scale, gx + (c + 1) * scale,
                                  y + (r + 1) * scale, color)

    def png(self):
        raw = b"".join(b"\0" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3])
                       for y in range(self.h))

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data +
                    struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
        return (b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.png())


def _nice_step(span, n):
    """A 1/2/5 x 10^k step giving about n ticks over span."""
    if span <= 0:
        return 1
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _fmt_time(seconds):
    """Seconds as a short label: 3 significant digits and a unit."""
    if seconds == 0:
        return "0"
    for scale, unit in ((1, "S"), (1e3, "MS"), (1e6, "US")):
        if abs(seconds) * scale >= 1:
            return "%.3g%s" % (seconds * scale, unit)
    return "%.3gNS" % (seconds * 1e9)


def _color(pid):
    return PALETTE[pid % len(PALETTE)]


def timeline(trace, path, width=1400, an=None):
    an = an or analysis.Analysis(trace)
    cpus = sorted(trace.stats) or [0]
    left, right, top, row_h = 80, 20, 40, 64
    procs = sorted({r.pid for r in an.running})
    legend_rows = (len(procs) + 5) // 6
    height = top + row_h * len(cpus) + 50 + 16 * max(1, legend_rows) + 10
    cv = Canvas(width, height)
    t0, t1 = trace.t0, max(trace.t1, trace.t0 + 1)
    plot_w = width - left - right
    hz = trace.timebase_hz

    def x(ts):
        return left + (ts - t0) * plot_w / (t1 - t0)

    cv.text(left, 12, "K42 TRACE TIMELINE  %s  %s ON %d CPU(S)  %d EVENTS"
            % (os.path.basename(trace.dump.path), _fmt_time((t1 - t0) / hz), len(cpus),
               len(trace.user_events())), scale=1)
    ypos = {cpu: top + i * row_h for i, cpu in enumerate(cpus)}
    for cpu, y in ypos.items():
        cv.text(8, y + 8, "CPU %d" % cpu)
        cv.rect(left, y, left + plot_w, y + 22, LIGHT)
        cv.text(8, y + 27, "PPC/REQ", GREY)
        cv.text(8, y + 45, "FAULT/EXC", GREY)
    for r in an.running:
        y = ypos.get(r.cpu)
        if y is not None:
            cv.rect(x(r.start), y, max(x(r.end), x(r.start) + 1), y + 22, _color(r.pid))
    for s in an.spans:
        y = ypos.get(s.cpu)
        if y is None or s.name not in ("ppc", "request", "fault"):
            continue
        end = s.end if s.end is not None else t1
        yy = {"ppc": y + 26, "request": y + 33, "fault": y + 44}[s.name]
        color = {"ppc": BLUE, "request": GREEN, "fault": ORANGE}[s.name]
        cv.rect(x(s.start), yy, max(x(end), x(s.start) + 1), yy + 6, color)
    for e in trace.events:
        y = ypos.get(e.cpu)
        if y is None or e.ev is None:
            continue
        if e.ev.full_name == "exc.entry":
            cv.rect(x(e.ts), y + 52, x(e.ts) + 1, y + 58, GREY)
        elif e.ev.full_name in ("fault.reflect", "fault.complete"):
            cv.rect(x(e.ts), y + 51, x(e.ts) + 1, y + 59, RED)
        elif e.ev.full_name == "control.lost":
            cv.rect(x(e.ts), y, x(e.ts) + 2, y + 60, RED)
    # Time axis.
    ya = top + row_h * len(cpus) + 4
    cv.rect(left, ya, left + plot_w, ya + 1, BLACK)
    span_s = (t1 - t0) / hz
    step = _nice_step(span_s, 8)
    k = 0
    while k * step <= span_s * 1.0000001:
        xx = left + k * step / span_s * plot_w
        cv.rect(xx, ya, xx + 1, ya + 5, BLACK)
        label = _fmt_time(k * step)
        cv.text(int(xx - font.text_width(label) / 2), ya + 9, label)
        k += 1
    # Legend: process colours.
    yl = ya + 28
    for i, pid in enumerate(procs):
        lx = left + (i % 6) * 200
        ly = yl + (i // 6) * 16
        cv.rect(lx, ly, lx + 12, ly + 9, _color(pid))
        cv.text(lx + 16, ly + 1, "PID %s" % an.proc_label(pid)[:24])
    if not procs:
        cv.text(left, yl, "NO DISPATCHER SWITCHES IN THIS TRACE", GREY)
    cv.save(path)


def histogram(trace, path, span="ppc", width=900, height=420, an=None):
    an = an or analysis.Analysis(trace)
    durs = sorted(s.dur for s in an.closed(span))
    cv = Canvas(width, height)
    hz = trace.timebase_hz
    left, right, top, bottom = 70, 20, 40, 60
    pw, ph = width - left - right, height - top - bottom
    if not durs:
        cv.text(left, 12, "K42 %s LATENCY" % span.upper())
        cv.text(left, top + ph // 2, "NO %s SPANS IN THIS TRACE" % span.upper(), GREY)
        cv.save(path)
        return
    p50, p99 = analysis.percentile(durs, 0.5), analysis.percentile(durs, 0.99)
    cv.text(left, 12, "K42 %s LATENCY: %d SPANS  P50 %s  P99 %s  MAX %s (LOG2 BINS)"
            % (span.upper(), len(durs), _fmt_time(p50 / hz), _fmt_time(p99 / hz),
               _fmt_time(durs[-1] / hz)))
    lo = max(0, int(math.floor(math.log2(max(durs[0], 1)))))
    hi = max(lo + 1, int(math.floor(math.log2(max(durs[-1], 1)))) + 1)
    bins = [0] * (hi - lo)
    for d in durs:
        b = min(hi - 1, max(lo, int(math.floor(math.log2(max(d, 1)))))) - lo
        bins[b] += 1
    peak = max(bins)
    bw = pw / len(bins)
    cv.rect(left, top + ph, left + pw, top + ph + 1, BLACK)
    cv.rect(left, top, left + 1, top + ph, BLACK)
    for i, n in enumerate(bins):
        h = n * (ph - 10) / peak
        x0 = left + i * bw + 2
        cv.rect(x0, top + ph - h, left + (i + 1) * bw - 2, top + ph, BLUE)
        if n:
            label = str(n)
            cv.text(int(x0 + (bw - 4 - font.text_width(label)) / 2), int(top + ph - h - 10), label)
        edge = _fmt_time((1 << (lo + i)) / hz)
        if font.text_width(edge) < bw * 2 or i % 2 == 0:
            cv.text(int(left + i * bw), top + ph + 6 + (i % 2) * 10, edge)
    cv.text(left, height - 18, "DURATION (BIN LOWER EDGE; TIMEBASE %d HZ)" % hz, GREY)
    cv.text(4, top, "COUNT", GREY)
    cv.save(path)
