"""A horizontal bar chart as PNG with Pillow (no plotting library needed)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def bar_chart(rows: list[tuple[str, float, str]], path: Path, title: str) -> None:
    """rows: (label, value, unit). Bars are scaled per unit group; a NaN value is drawn as
    "n/a" without a bar."""
    import math

    font = ImageFont.load_default()
    w, row_h, left = 900, 26, 380
    h = 50 + row_h * len(rows)
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.text((10, 10), title, fill="black", font=font)
    maxima: dict[str, float] = {}
    for _, v, unit in rows:
        if math.isfinite(v):
            maxima[unit] = max(maxima.get(unit, 0.0), abs(v))
    for i, (label, v, unit) in enumerate(rows):
        y = 40 + i * row_h
        d.text((10, y + 5), label, fill="black", font=font)
        if not math.isfinite(v):
            d.text((left + 6, y + 5), "n/a", fill="black", font=font)
            continue
        frac = abs(v) / maxima[unit] if maxima.get(unit) else 0
        d.rectangle([left, y + 3, left + int(frac * (w - left - 150)), y + row_h - 5], fill=(70, 120, 200))
        d.text((left + int(frac * (w - left - 150)) + 6, y + 5), f"{v:.4g} {unit}", fill="black", font=font)
    img.save(path)


PALETTE = [(70, 120, 200), (220, 90, 60), (60, 160, 90), (150, 90, 180), (200, 160, 40)]


def line_chart(series: dict[str, list[tuple[float, float]]], path: Path, title: str, xlabel: str, ylabel: str,
               *, hlines: dict[str, float] | None = None, vlines: dict[str, float] | None = None) -> None:
    """Lines (x, y) per named series, with optional labelled horizontal/vertical guides."""
    font = ImageFont.load_default()
    w, h, left, right, top, bottom = 900, 520, 70, 200, 40, 50
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.text((10, 10), title, fill="black", font=font)
    pts = [p for s in series.values() for p in s]
    if not pts:
        img.save(path)
        return
    xs = [p[0] for p in pts] + list((vlines or {}).values())
    ys = [p[1] for p in pts] + list((hlines or {}).values())
    x0, x1 = min(0.0, min(xs)), max(xs) * 1.02 or 1.0
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.05 or 1.0
    y0, y1 = y0 - pad, y1 + pad

    def px(x: float, y: float) -> tuple[float, float]:
        return (left + (x - x0) / (x1 - x0) * (w - left - right),
                h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom))

    d.rectangle([left, top, w - right, h - bottom], outline="black")
    for i in range(6):
        yv = y0 + (y1 - y0) * i / 5
        xv = x0 + (x1 - x0) * i / 5
        d.text((8, px(0, yv)[1] - 6), f"{yv:.3g}", fill="black", font=font)
        d.text((px(xv, 0)[0] - 10, h - bottom + 6), f"{xv:.3g}", fill="black", font=font)
    d.text((left + (w - left - right) // 2 - 30, h - 18), xlabel, fill="black", font=font)
    d.text((8, top - 16), ylabel, fill="black", font=font)
    for name, yv in (hlines or {}).items():
        a, b = px(x0, yv), px(x1, yv)
        d.line([a, b], fill=(150, 150, 150), width=1)
        d.text((b[0] + 4, b[1] - 6), name, fill=(100, 100, 100), font=font)
    for name, xv in (vlines or {}).items():
        a, b = px(xv, y0), px(xv, y1)
        d.line([a, b], fill=(180, 180, 180), width=1)
        d.text((a[0] + 3, top + 2), name, fill=(100, 100, 100), font=font)
    for i, (name, s) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        if len(s) > 1:
            d.line([px(x, y) for x, y in s], fill=color, width=2)
        for x, y in s[-1:]:
            d.ellipse([px(x, y)[0] - 3, px(x, y)[1] - 3, px(x, y)[0] + 3, px(x, y)[1] + 3], fill=color)
        d.text((w - right + 10, top + 16 * i), name, fill=color, font=font)
    img.save(path)
