"""What a fill did, in words: the technical split of what the content-aware fill trusted (the
panel's tooltip, the job's info) and a plain sentence for the panel (a helper driving the editor in
stop 41 read "structure 100 % coherence transport; seams: poisson" as jargon)."""

from __future__ import annotations

import numpy as np

# the content-aware fill's log: each entry's weights in this order
NAMES = ("learned", "frequency-selective", "generator prior", "Telea", "coherence transport", "biharmonic",
         "the other eye", "the face's other side")


FACE_MARKS = ("face", "bridged", "eye", "half", "mouth")   # an entry's third item: a face's features held the hole
# why the face's other side was not copied, in words (faces.TURNED, COVERED, UNLIKE), for an eye / a side
WHY = {"turned": ("the face is turned too far to mirror", "the face is turned too far to mirror"),
       "covered": ("the other eye is masked too, or outside the photo",
                   "the hole reaches too far across the face's middle; a mask that stops at the middle lets it"),
       "unlike": ("the other eye does not match this one's surroundings: lit or shaped differently",
                  "the other side does not match this one's surroundings: the face turned more than it looks, "
                  "or lit differently")}


def _mark(entry: tuple) -> tuple[str, str]:
    """An entry's face marker and the reason after its colon ("half:turned" → ("half", "turned"))."""
    mark = entry[2] if len(entry) > 2 and isinstance(entry[2], str) else ""
    kind, _, why = mark.partition(":")
    return kind, why


def face_held(log: list[tuple]) -> bool:
    """Whether a face's features held any of the holes the content-aware fill filled (its log)."""
    return any(_mark(entry)[0] in FACE_MARKS for entry in log)


def not_mirrored(log: list[tuple]) -> bool:
    """Whether a hole on an eye or one side of a face's features could not be mirrored (its log)."""
    return any(_mark(entry)[0] in ("eye", "half") for entry in log)


def quilted(log: list[tuple]) -> int:
    """How many of the areas in the log got their texture quilted from around the hole (quilt.py's texture mode)."""
    return sum(1 for entry in log if len(entry) > 2 and entry[2] == "quilted")


def redrawn(log: list[tuple]) -> bool:
    """Whether any hole in the log got the photo's own texture drawn in (quilted, or redrawn from its patches)."""
    return any(len(entry) > 2 and (entry[2] is True or entry[2] == "quilted") for entry in log)


def _shares(log: list[tuple]) -> np.ndarray:
    """Each structure's share over every area filled, weighed by the areas' hole pixels."""
    total = np.zeros(len(NAMES))
    for weights, pixels, *_ in log:
        w = weights if len(weights) > 1 else [0.0, 1.0]        # [1.0]: the frequency-selective fill alone
        total[:len(w)] += np.asarray(w, float) * pixels
    return total / max(total.sum(), 1e-9)


def structure_split(log: list[tuple], learned: str | None) -> str:
    """What the content-aware fill trusted, over every area it filled (weighed by the areas' hole
    pixels): "structure 70 % <learned>, 30 % frequency-selective", then whether the hole was
    synthesised from the photo's own patches (an entry's optional third item True) or a face's
    features kept it from that ("face"); "" without a log."""
    if not log:
        return ""
    names = [learned or NAMES[0], *NAMES[1:]]
    total = _shares(log)
    parts = ", ".join(f"{round(100 * w)} % {n}" for w, n in zip(total, names, strict=True) if round(100 * w) > 0)
    text = f"structure over {len(log)} areas: {parts}" if len(log) > 1 else f"structure {parts}"
    synth = sum(1 for entry in log if len(entry) > 2 and entry[2] is True)
    if synth:
        where = "" if synth == len(log) else f" in {synth} of {len(log)} areas"
        text += f"; texture synthesised from the photo's own patches{where}"
    if quilted(log):
        where = "" if quilted(log) == len(log) else f" in {quilted(log)} of {len(log)} areas"
        text += f"; texture quilted from around the hole{where}"
    if face_held(log):
        text += "; inside the face nothing copied from the photo's other patches"
    if any(_mark(entry)[0] == "bridged" for entry in log):
        text += "; the strip along the face's middle bridged (Navier–Stokes)"
    return text


# what each structure did, in a person's words: alone (it holds most of the hole) / in a blend
SAID = {"learned": ("the completion network (trained on faces and photos) filled it", "the completion network"),
        "frequency-selective": ("the edges and patterns around the hole continued into it (frequency-selective)",
                                "a frequency-selective reconstruction"),
        "generator prior": ("the face generator drew what the hole hides", "the face generator"),
        "Telea": ("a smooth classical fill (Telea) from the hole's border inwards", "Telea's smooth fill"),
        "coherence transport": ("the lines and colours around the hole carried into it",
                                "the surrounding lines carried in"),
        "biharmonic": ("the shading around the hole continued smoothly across it (biharmonic)",
                       "a smooth biharmonic surface"),
        "the other eye": ("the person's other eye, mirrored and matched to the light around the hole, filled it",
                          "the other eye, mirrored"),
        "the face's other side": ("the other side of the person's face, mirrored and matched to the light around "
                                  "the hole, filled it", "the face's other side, mirrored")}


def plain_summary(log: list[tuple], *, grain: bool = True) -> str:
    """The content-aware fill's log in a person's words, e.g. "the lines and colours around the hole
    carried into it, the photo's own fine grain copied in"; "" without a log. `grain`: whether the
    fill copied the photo's grain in (the default fill's texture pass)."""
    if not log:
        return ""
    share = dict(zip(NAMES, _shares(log), strict=True))
    top = max(share, key=share.get)
    used = [n for n in NAMES if share[n] >= 0.1]
    if share[top] >= 0.6 or len(used) < 2:
        parts = [SAID[top][0]]
    else:
        parts = ["a blend of " + ", ".join(SAID[n][1] for n in used[:-1]) + f" and {SAID[used[-1]][1]}, "
                 "each where it best predicts the surroundings"]
    prior_areas = sum(1 for e in log if list(e[0]) == [0.0, 0.0, 1.0])
    if prior_areas and top != "generator prior":
        parts.append(f"the face generator drew {prior_areas} of the {len(log)} areas")
    synth = sum(1 for e in log if len(e) > 2 and e[2] is True)
    if synth:
        parts.append("then redrawn from the photo's own patches" + ("" if synth == len(log) else
                                                                    f" in {synth} of the {len(log)} areas"))
    if quilted(log):
        parts.append("then the texture around it laid over it in blocks copied from the photo around the hole"
                     + ("" if quilted(log) == len(log) else f" in {quilted(log)} of the {len(log)} areas"))
    marks = [_mark(e) for e in log]
    if any(kind in FACE_MARKS for kind, _ in marks):
        parts.append("no patches from elsewhere in the photo copied into the face")
    if any(kind == "bridged" for kind, _ in marks):
        parts.append("but the mask crosses the face's middle, and the strip along the middle is only bridged "
                     "smoothly (stop the mask at the middle for a sharp result)")
    said = {kind: "; ".join(WHY[w][kind == "half"] for w in sorted({why for k, why in marks if k == kind} & set(WHY)))
            or "it could not be mirrored" for kind in ("eye", "half") if any(k == kind for k, _ in marks)}
    if len(said) == 2 and said["eye"] == said["half"]:        # (one reason for both: said once)
        parts.append(f"but neither the other eye nor the face's other side could be copied ({said['eye']}): the "
                     "holes are filled from around them, not drawn")
    else:
        if "eye" in said:
            both = any(k == "eye" and why == "covered" for k, why in marks)
            parts.append(f"but no other eye could be copied ({said['eye']}): "
                         + ("the eyes are" if both else "the eye is") + " filled with skin, not drawn")
        if "half" in said:
            parts.append(f"but the face's other side could not be copied ({said['half']}): the hole is filled from "
                         "around it, not drawn")
    if any(kind == "mouth" for kind, _ in marks):
        parts.append("but the mouth is all masked, so there is nothing of it to copy: it is filled with skin, not "
                     "drawn (the generator prior draws a mouth, slower and softer; or mask only half of it, which "
                     "is copied from the other half)")
    if grain and quilted(log) < len(log):
        parts.append("its fine grain laid on top" if synth else "the photo's own fine grain copied in")
    return ", ".join(parts)
