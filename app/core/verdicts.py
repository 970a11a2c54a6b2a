"""What an edit's own checks mean for the person looking at it, in words. Pure Python: the worker
writes the figures, the status bar, the panels and the CLI print the same sentence.

A part edit is checked as a person would see it (app/ml/parts/resegment.py: the result re-projected
and re-segmented; app/ml/parts/colours.py: colour blotches). Where the check says the generator did
not draw what was painted, the person is told so plainly and pointed at Undo, instead of being left
with a figure to interpret: on the bench's held-out faces, closing the eyes reads 25 % on average
(the 64-px generator has no faces without eyes), the other scripted edits 75–79 %.
"""

from __future__ import annotations

import math

SHOWN_LOW = 0.5          # below this share of the changed pixels reading as the painted part …
BLOTCHES_HIGH = 0.10     # … or above this share of the redrawn area stained, …
DARKENED = -12.0         # … or where the labels stay, the redrawn area this much darker (grey levels, a smear),
#                          the edit is called out
STRETCHED = 1.25         # a photo's feature warped to its painted shape by more than this factor along an axis
#                          (or shrunk below its inverse): at 1.24× one-sided and 1.39× on Obama a helper saw
#                          smeared wrinkles and a bulging jaw, with no warning at the 1.45 of stop 46
HELD_BACK = 0.6          # … or where one side got under this share of its painted motion (the face's outline
#                          held it back: the cheek there is squeezed)


def reshape_verdict(factors: tuple[float, float], held: float = 1.0) -> str | None:
    """A warning sentence for a part edit on a photo carried out as a warp of the photo's own pixels
    onto the painted shape (app/ml/parts/shapewarp.py), or None: no colour is drawn there, so what can
    go wrong is the stretch itself — lips or an eye pulled far past their size look smeared and rubbery,
    or squeezed against the face's outline. `factors`: the smallest and the largest resize along an axis
    (Reshape.factors); `held`: the least share of its painted motion a piece's end got (Reshape.held: a
    helper's big request on Obama moved one corner 22 px, the other 5, and came with no warning)."""
    lo, hi = factors
    squeezed = not math.isnan(held) and held < HELD_BACK
    if not squeezed and (math.isnan(lo) or math.isnan(hi) or (hi <= STRETCHED and lo >= 1.0 / STRETCHED)):
        return None
    how = f"grows the photo's feature by up to {hi:.2f}×" if hi > STRETCHED else \
        f"shrinks the photo's feature to {lo:.2f}×" if lo < 1.0 / STRETCHED else "reshapes the photo's feature"
    return (f"Look closely: the paint {how}, and the skin around it is "
            + ("squeezed against the face's outline, " if squeezed else "stretched with it, ")
            + "which can look smeared or rubbery. If it looks wrong, undo it or paint a smaller change.")


def parts_verdict(seen: float, blotches: float, tone: float = math.nan) -> str | None:
    """A warning sentence for a part edit whose result does not show the paint, or None when the
    checks read fine (NaN figures — nothing changed, nothing to check — give None). `tone`: the mean
    grey-level change where the edit redrew but the labels stay (a dark smear over the cheeks: a
    helper saw one that the colour check, 0 % stains, did not)."""
    problems = []
    if not math.isnan(seen) and seen < SHOWN_LOW:
        problems.append(f"only {seen:.0%} of the changed pixels look like the painted part — the generator "
                        "could not draw this change on this face")
    if not math.isnan(blotches) and blotches > BLOTCHES_HIGH:
        problems.append(f"colour stains cover {blotches:.0%} of the redrawn area")
    if not math.isnan(tone) and tone < DARKENED:
        problems.append(f"where the parts stay the same, the face came out {-tone:.0f} grey levels darker (a smear)")
    if not problems:
        return None
    return "Look closely: " + "; ".join(problems) + ". If it looks wrong, undo it or paint a smaller change."


def status_line(message: str, limit: int = 160, more: str = "") -> str:
    """A result's message for the status bar: whole where it fits `limit` characters, else its first
    sentence (cut at a word and marked where even that is longer) and `more` (where the rest can be read).
    A helper saw a part edit's report cut off mid-word at the window's edge ("… The ph")."""
    if len(message) <= limit:
        return message
    end = next((i + 1 for i in range(len(message) - 1) if message[i] in ".!?" and message[i + 1] == " "),
               len(message))
    first = message[:end]
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return first + (f" {more}" if more else "")
