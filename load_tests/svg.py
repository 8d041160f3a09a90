"""Tiny hand-written SVG charts for the self-contained HTML report (no JavaScript, no CDN)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["line_chart", "bar_chart", "nice_ticks", "PALETTE"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")
W, H = 760, 280
ML, MR, MT, MB = 64, 150, 16, 40  # margins: left axis labels, right legend, top, bottom axis labels


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round ticks k*step that span [lo, hi] (the axis ends at the last tick, so ticks that stop
    short of hi would draw the data past the plot frame)."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first, last = math.floor(lo / step), math.ceil(hi / step)
    last = max(last, first + 1)
    # Integer multiples of the step, printed at 12 significant digits to drop float noise.
    return [float(f"{k * step:.12g}") for k in range(first, min(last, first + 4 * n) + 1)]


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.0f}"
    if abs(v) >= 1:
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def _frame(
    title: str, x_label: str, y_label: str, xt: list[float], yt: list[float], sx, sy, x_fmt=_fmt
) -> list[str]:  # type: ignore[no-untyped-def]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        "<style>text{font:11px sans-serif;fill:#333}.g{stroke:#e3e3e3}.a{stroke:#888}</style>",
    ]
    for t in yt:
        y = sy(t)
        out.append(f'<line class="g" x1="{ML}" x2="{W - MR}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    for t in xt:
        x = sx(t)
        out.append(f'<line class="g" x1="{x:.1f}" x2="{x:.1f}" y1="{MT}" y2="{H - MB}"/>')
        out.append(f'<text x="{x:.1f}" y="{H - MB + 16}" text-anchor="middle">{escape(x_fmt(t))}</text>')
    out.append(f'<line class="a" x1="{ML}" x2="{W - MR}" y1="{H - MB}" y2="{H - MB}"/>')
    out.append(f'<line class="a" x1="{ML}" x2="{ML}" y1="{MT}" y2="{H - MB}"/>')
    out.append(f'<text x="{(ML + W - MR) / 2:.0f}" y="{H - 6}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(
        f'<text transform="translate(14,{(MT + H - MB) / 2:.0f}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>'
    )
    return out


def _legend(names: Sequence[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        y = MT + 8 + i * 18
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{W - MR + 12}" y="{y - 8}" width="12" height="10" fill="{colour}"/>')
        out.append(f'<text x="{W - MR + 30}" y="{y + 1}">{escape(name)}</text>')
    return out


def line_chart(
    title: str, series: dict[str, Sequence[tuple[float, float]]], x_label: str, y_label: str
) -> str:
    """One polyline per series; gaps (NaN) break the line."""
    points = [(x, y) for s in series.values() for x, y in s if math.isfinite(y)]
    if not points:
        return f"<p><em>{escape(title)}: no data</em></p>"
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    xt = nice_ticks(min(xs), max(xs))
    yt = nice_ticks(0.0, max(ys) * 1.05 or 1.0)
    x0, x1, y1 = xt[0], xt[-1] if xt[-1] > xt[0] else xt[0] + 1, yt[-1] or 1.0

    def sx(x: float) -> float:
        return ML + (x - x0) / (x1 - x0) * (W - ML - MR)

    def sy(y: float) -> float:
        return H - MB - y / y1 * (H - MT - MB)

    out = _frame(title, x_label, y_label, xt, yt, sx, sy)
    for i, (name, pts) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for x, y in pts:
            if math.isfinite(y):
                runs[-1].append(f"{sx(x):.1f},{sy(y):.1f}")
            elif runs[-1]:
                runs.append([])
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                out.append(
                    f'<circle cx="{cx}" cy="{cy}" r="2" fill="{colour}"><title>{escape(name)}</title></circle>'
                )
            elif run:
                out.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{" ".join(run)}"><title>{escape(name)}</title></polyline>'
                )
    out += _legend(list(series))
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(
    title: str, bars: Sequence[tuple[float, float, float]], x_label: str, y_label: str, log_x: bool = True
) -> str:
    """Bars as (x_from, x_to, height); with ``log_x`` the x axis is logarithmic (latency)."""
    bars = [b for b in bars if b[2] > 0]
    if not bars:
        return f"<p><em>{escape(title)}: no data</em></p>"
    tx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    lo, hi = tx(min(b[0] for b in bars)), tx(max(b[1] for b in bars))
    if hi <= lo:
        hi = lo + 1
    yt = nice_ticks(0.0, max(b[2] for b in bars) * 1.05)
    y1 = yt[-1] or 1.0

    def sx(x: float) -> float:
        return ML + (tx(x) - lo) / (hi - lo) * (W - ML - MR)

    def sy(y: float) -> float:
        return H - MB - y / y1 * (H - MT - MB)

    if log_x:
        decades = [10.0**d for d in range(math.floor(lo), math.ceil(hi) + 1)]
        xt = [d for d in decades if lo - 1e-9 <= math.log10(d) <= hi + 1e-9] or [10**lo]
    else:
        xt = nice_ticks(lo, hi)
    out = _frame(title, x_label, y_label, xt, yt, sx, sy)
    for a, b, h in bars:
        x, x2 = sx(a), sx(b)
        out.append(
            f'<rect x="{x:.1f}" y="{sy(h):.1f}" width="{max(x2 - x, 0.8):.1f}" height="{sy(0) - sy(h):.1f}" fill="{PALETTE[0]}">'
            f"<title>{_fmt(a)}–{_fmt(b)} ms: {h:g}</title></rect>"
        )
    out.append("</svg>")
    return "\n".join(out)
