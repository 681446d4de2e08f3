"""Grouped bar charts as PNG, for ./k42 bench: one group per figure, one bar
per system, on a log scale (the values span orders of magnitude). Drawn
with the trace tool's canvas (tools/k42trace/png.py)."""
import math

from k42trace.png import BLACK, GREY, LIGHT, PALETTE, Canvas


def bar_chart(path, title, groups, series, width=900, height=460):
    """groups: [(label, value_for_series0, value_for_series1, ...)]; None = missing."""
    c = Canvas(width, height)
    left, right, top, bottom = 80, 20, 50, 60
    values = [v for g in groups for v in g[1:] if v]
    hi = 10 ** math.ceil(math.log10(max(values))) if values else 10
    lo = 10 ** math.floor(math.log10(min(values))) if values else 1
    span = math.log10(hi) - math.log10(lo) or 1

    def y_of(v):
        return top + (height - top - bottom) * (1 - (math.log10(v) - math.log10(lo)) / span)

    c.text(left, 15, title, BLACK, 2)
    decade = lo
    while decade <= hi:
        y = y_of(decade)
        c.rect(left, y, width - right, y + 1, LIGHT)
        c.text(5, y - 4, "%g" % decade, GREY)
        decade *= 10
    c.rect(left, top, left + 1, height - bottom, BLACK)
    c.rect(left, height - bottom, width - right, height - bottom + 1, BLACK)
    gw = (width - left - right) / max(1, len(groups))
    bw = gw * 0.7 / max(1, len(series))
    for i, g in enumerate(groups):
        x0 = left + i * gw + gw * 0.15
        for j, v in enumerate(g[1:]):
            if not v:
                continue
            color = PALETTE[j % len(PALETTE)]
            c.rect(x0 + j * bw, y_of(v), x0 + (j + 1) * bw - 2, height - bottom, color)
            c.text(int(x0 + j * bw), int(y_of(v)) - 10, "%d" % round(v), BLACK)
        c.text(int(x0), height - bottom + 10, g[0], BLACK)
    for j, name in enumerate(series):
        x = width - right - 160 + j * 80
        c.rect(x, top - 25, x + 12, top - 13, PALETTE[j % len(PALETTE)])
        c.text(x + 16, top - 25, name, BLACK)
    c.save(path)
