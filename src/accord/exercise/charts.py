"""Inline SVG bar charts for the after-action report: no scripts, no external assets.

Geometry is computed here so the templates only place finished shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    marker: float | None = None  # e.g. the target, drawn as a line across the bar's row
    value_text: str = ""


def horizontal_bars(bars: list[Bar], *, title: str, unit: str, width: int = 700) -> str:
    """A horizontal bar chart with optional target markers, as an accessible SVG string."""
    label_w, row_h, pad = 300, 26, 8
    plot_w = width - label_w - 90
    top = max([b.value for b in bars] + [b.marker or 0 for b in bars] + [1e-9])
    height = pad * 2 + row_h * len(bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="t-{abs(hash(title))}">',
        f'<title id="t-{abs(hash(title))}">{escape(title)}</title>',
    ]
    for i, b in enumerate(bars):
        y = pad + i * row_h
        w = max(1.0, plot_w * b.value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" class="lbl">'
            f"{escape(b.label)}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" class="bar"/>'
        )
        if b.marker is not None:
            mx = label_w + plot_w * b.marker / top
            parts.append(
                f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{y + 1}" y2="{y + row_h - 1}" '
                f'class="target"/>'
            )
        text = b.value_text or f"{b.value:g} {unit}"
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" class="val">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def column_strip(values: list[int], *, title: str, width: int = 640, height: int = 160) -> str:
    """Sorted thin columns, one per recipient: the spread of records across recipients."""
    ordered = sorted(values, reverse=True)
    top = max(ordered + [1])
    n = max(len(ordered), 1)
    col_w = width / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height + 20}" viewBox="0 0 {width} {height + 20}" '
        f'aria-labelledby="c-{abs(hash(title))}">',
        f'<title id="c-{abs(hash(title))}">{escape(title)}</title>',
    ]
    for i, v in enumerate(ordered):
        h = height * v / top
        parts.append(
            f'<rect x="{i * col_w:.2f}" y="{height - h:.1f}" width="{max(col_w - 0.5, 0.5):.2f}" '
            f'height="{h:.1f}" class="bar"/>'
        )
    parts.append(
        f'<text x="0" y="{height + 16}" class="val">largest {ordered[0] if ordered else 0}</text>'
        f'<text x="{width}" y="{height + 16}" text-anchor="end" class="val">'
        f"smallest {ordered[-1] if ordered else 0}</text></svg>"
    )
    return "".join(parts)
