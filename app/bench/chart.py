"""A horizontal bar chart as PNG with Pillow (no plotting library needed)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def bar_chart(rows: list[tuple[str, float, str]], path: Path, title: str) -> None:
    """rows: (label, value, unit). Bars are scaled per unit group."""
    font = ImageFont.load_default()
    w, row_h, left = 900, 26, 380
    h = 50 + row_h * len(rows)
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.text((10, 10), title, fill="black", font=font)
    maxima: dict[str, float] = {}
    for _, v, unit in rows:
        maxima[unit] = max(maxima.get(unit, 0.0), abs(v))
    for i, (label, v, unit) in enumerate(rows):
        y = 40 + i * row_h
        d.text((10, y + 5), label, fill="black", font=font)
        frac = abs(v) / maxima[unit] if maxima[unit] else 0
        d.rectangle([left, y + 3, left + int(frac * (w - left - 150)), y + row_h - 5], fill=(70, 120, 200))
        d.text((left + int(frac * (w - left - 150)) + 6, y + 5), f"{v:.4g} {unit}", fill="black", font=font)
    img.save(path)
