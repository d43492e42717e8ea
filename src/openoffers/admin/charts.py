"""Issuance and redemption per day as an SVG bar chart, drawn on the server.

Pure: the same series always gives the same markup, with no I/O and no clock. Every piece of text
is escaped, and colours are presentation attributes, so the SVG needs no stylesheet (the admin
pages' Content-Security-Policy forbids inline styles) and reads the same saved on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

Point = tuple[date, int, int]  # (day, issued, redeemed)

ISSUED_COLOR = "#2563eb"
REDEEMED_COLOR = "#15803d"
GRID_COLOR = "#d4d4d8"
TEXT_COLOR = "#3f3f46"
MUTED_COLOR = "#71717a"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 16, 40, 32
_MAX_X_LABELS = 6


def nice_ceiling(value: int) -> int:
    """The top of the y axis: the smallest 1, 2 or 5 x 10^k that is at least `value` (at least 1)."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def daily(series: Sequence[Point]) -> list[Point]:
    """Sorted by day, repeated days summed, and the days between the first and last filled with zeros."""
    totals: dict[date, tuple[int, int]] = {}
    for day, issued, redeemed in series:
        before = totals.get(day, (0, 0))
        totals[day] = (before[0] + issued, before[1] + redeemed)
    if not totals:
        return []
    first, last = min(totals), max(totals)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [(d, *totals.get(d, (0, 0))) for d in days]


def day_label(day: date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.day}"


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _open(width: int, height: int, chart_id: str, title: str, desc: str) -> list[str]:
    cid = escape(chart_id, quote=True)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]


def activity_chart(
    series: Sequence[Point],
    *,
    width: int = 480,
    height: int = 240,
    chart_id: str = "activity",
    title: str = "Issued and redeemed per day",
    empty_text: str = "No activity yet",
) -> str:
    """An SVG bar chart of (day, issued, redeemed); when every count is zero, `empty_text` instead of
    a flat line of bars that would look like data."""
    days = daily(series)
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    base_y = _TOP + plot_h
    total_issued = sum(p[1] for p in days)
    total_redeemed = sum(p[2] for p in days)
    if total_issued == 0 and total_redeemed == 0:
        parts = _open(width, height, chart_id, title, f"{empty_text}: nothing issued or redeemed.")
        parts += [
            f'<line x1="{_LEFT}" y1="{base_y}" x2="{_LEFT + plot_w}" y2="{base_y}" stroke="{GRID_COLOR}"/>',
            f'<text x="{_n(_LEFT + plot_w / 2)}" y="{_n(_TOP + plot_h / 2)}" text-anchor="middle" '
            f'font-size="16" fill="{TEXT_COLOR}">{escape(empty_text)}</text>',
            f'<text x="{_n(_LEFT + plot_w / 2)}" y="{_n(_TOP + plot_h / 2 + 22)}" text-anchor="middle" '
            f'fill="{MUTED_COLOR}">Issued and redeemed offers will appear here, day by day.</text>',
            "</svg>",
        ]
        return "".join(parts)

    first, last = days[0][0], days[-1][0]
    desc = (
        f"From {day_label(first)}, {first.year} to {day_label(last)}, {last.year}: "
        f"{total_issued} issued, {total_redeemed} redeemed."
    )
    parts = _open(width, height, chart_id, title, desc)
    top = nice_ceiling(max(max(p[1], p[2]) for p in days))
    step = top // 5 if top % 5 == 0 else 1
    for tick in range(0, top + 1, step):
        y = base_y - tick / top * plot_h
        parts.append(
            f'<line x1="{_LEFT}" y1="{_n(y)}" x2="{_LEFT + plot_w}" y2="{_n(y)}" stroke="{GRID_COLOR}"/>'
            f'<text x="{_LEFT - 6}" y="{_n(y + 4)}" text-anchor="end" fill="{MUTED_COLOR}">{tick}</text>'
        )
    count = len(days)
    slot = plot_w / count
    bar = slot * 0.4
    for index, (day, issued, redeemed) in enumerate(days):
        x = _LEFT + index * slot
        label = f"{day.isoformat()}: {issued} issued, {redeemed} redeemed"
        parts.append(
            f"<g><title>{escape(label)}</title>"
            f'<rect x="{_n(x)}" y="{_TOP}" width="{_n(slot)}" height="{plot_h}" fill="transparent"/>'
        )
        for offset, value, color in ((0.1, issued, ISSUED_COLOR), (0.5, redeemed, REDEEMED_COLOR)):
            if value:
                bar_h = value / top * plot_h
                parts.append(
                    f'<rect x="{_n(x + slot * offset)}" y="{_n(base_y - bar_h)}" width="{_n(bar)}" '
                    f'height="{_n(bar_h)}" fill="{color}"/>'
                )
        parts.append("</g>")
    if count <= _MAX_X_LABELS:
        labelled = list(range(count))
    else:
        labelled = sorted({round(k * (count - 1) / (_MAX_X_LABELS - 1)) for k in range(_MAX_X_LABELS)})
    for index in labelled:
        x = _LEFT + (index + 0.5) * slot
        parts.append(
            f'<text x="{_n(x)}" y="{base_y + 18}" text-anchor="middle" fill="{MUTED_COLOR}">'
            f"{escape(day_label(days[index][0]))}</text>"
        )
    parts.append(
        f'<rect x="{_LEFT}" y="12" width="12" height="12" fill="{ISSUED_COLOR}"/>'
        f'<text x="{_LEFT + 18}" y="22" fill="{TEXT_COLOR}">Issued ({total_issued})</text>'
        f'<rect x="{_LEFT + 130}" y="12" width="12" height="12" fill="{REDEEMED_COLOR}"/>'
        f'<text x="{_LEFT + 148}" y="22" fill="{TEXT_COLOR}">Redeemed ({total_redeemed})</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
