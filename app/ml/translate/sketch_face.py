"""Sketch → face in the editor: the strokes on the scribble layer are the drawing; the face is made
for the square around them (`sketch_boxes`; without strokes, a scanned sketch: the selection or the
whole image) and pasted within the selection, blended at its edges, as one undo step. Over a photo
it is shown only where the lines are (their convex hull, grown a little, `drawn_area`): the photo
stays around them — before stop 44 the face was made for the whole selection, so a small drawing in
a large selection was read as a few features of a much larger face (a blob, a helper found), and the
generator's own backdrop filled the rest of the box (a face drawn over the astronaut's shuttle hid
the shuttle behind a blurred square).

The sketch translator (pix2pix) gives a first guess from the drawing (averaged with its guess for the
mirrored drawing: a face drawn mirrored is the same face mirrored; +0.4 dB on held-out drawings); when
its generator is there, the guess is refined through the generator so the result is one of its faces
with contours on the drawn lines (ml/latent/drawing.py: iGAN's sketch constraint); a mouth drawn bent up
is read as a smile (translate/mouth.py) and asked for along the generator's smile direction, the translator's
features left out around the mouth (`smile_asked`; the translator drew a closed, straight mouth for a drawn
smile). The result keeps
the generator face's detail (eyes, edges: crisp, no speckle) over the translator's low frequencies
(where the light falls, how bright, what colour — which the translator reads from the drawing more
faithfully than one generator face can match): measured on 64 held-out drawings, see README.

Drawn into a photo, the face takes on the photo's light (`in_photo`): one brightness gain, so the
photo's pixels in the box's edge band and the face's agree on average, short of washing the face out
(its highlights stay under `HIGHLIGHT`; the face keeps its own colours;
a per-channel gain tinted faces by flags and walls behind them, a Poisson blend washed them out in
the surroundings' colours), what mismatch is left along the edge spread a little way inward (the
inpainting's feather seam), then the edge ramp. The generator's faces are darker than most photos:
on the held-out real portraits drawn into their own photos the face was 0.71 × as bright as the
truth with the edge ramp alone, 0.96 × matched (README). On a blank canvas there is no light to match,
and a drawing read from the photo itself (a scanned sketch, no strokes) is no scene's light: there the
face keeps its own.
"""

from __future__ import annotations

from collections.abc import Generator

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from latentbrush.core.bbox import BBox
from latentbrush.core.jobs import Job, Progress, Result, relay
from latentbrush.ml.inpaint.blend import feather
from latentbrush.ml.latent.drawing import Lines, SmileAsk, blur, fit_drawing
from latentbrush.ml.latent.faces import square_region, squarify
from latentbrush.ml.latent.runners import latent_models
from latentbrush.ml.latent.sliders import directions_for
from latentbrush.ml.registry import ModelManager
from latentbrush.ml.tensors import to_images, to_tensor
from latentbrush.ml.translate.cartoons import canonical_landmarks
from latentbrush.ml.translate.drawings import even_lines
from latentbrush.ml.translate.mouth import drawn_smile
from latentbrush.ml.translate.sketch_pairs import DRAW_SIZE, drawing_at

FEATHER = 0.08         # blend ramp at the box edges, as a fraction of its shorter side
STARTS = 8             # latents refined together: the guess's encoding + random ones
STEPS = 100
SMILE_DIRECTION = "smile"   # the direction a drawn mouth's bend is asked along (None: not read) …
MOUTH_GROW = 0.3            # … and around the drawn mouth and where the generator's faces have theirs (grown by
#                             this fraction of its width) the translator's features do not hold the face (its mouth
#                             is the one it guessed, often closed and straight)
SPLIT_SIGMA = 2.0      # px at 64²: the result's bands below this come from the translator, above from the generator
TONE_BAND = 0.04       # in_photo: the box's edge band (fraction of its shorter side) whose light the face takes on …
GAIN_RANGE = (0.5, 3.0)    # … by one brightness gain within this range …
FLAT_SPREAD = 1.0      # … unless the band is blank (its grey levels' spread below this: a new canvas): nothing to match
HIGHLIGHT = 215.0      # … and never so much that the face's 95th-percentile lightness passes this (the gain is read
#                        off the face's dark backdrop: over a light wall it washed the face out to 230–250)
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
AREA_GROW = 0.06       # lines drawn over a photo: the face goes where they are, their convex hull grown by this
#                        fraction of the box's shorter side (ramping in over as much again); the photo stays around it


LINES_MARGIN = 0.12     # the square a face is pasted from: its lines' extent plus this fraction of its longer side on
#                        every side (the drawn area's ramp, 2 × AREA_GROW, fits inside the box's own edge ramp; at
#                        0.06 the box's ramp faded the drawn chin and hair)
READ_MARGIN = 0.02      # … on a blank canvas, the square the face is made for: the translator learned drawings whose
#                        lines span 0.95–1.0 of its frame (traced ones 0.99, cartoons 0.95); read with LINES_MARGIN
#                        they were 0.81 of it, and a helper's cartoon got a face 1.5× too large (the mouth on the chin)


def in_selection(strokes: np.ndarray, bbox: tuple[int, int, int, int] | None) -> np.ndarray:
    """The strokes inside the selection (all of them without one): lines beyond it are not the drawing."""
    if bbox is None:
        return strokes
    sel = BBox(*bbox).clip(strokes.shape[1], strokes.shape[0])
    kept = np.zeros_like(strokes)
    kept[sel.slices] = strokes[sel.slices]
    return kept


def lines_square(ink: np.ndarray, margin: float) -> BBox | None:
    """The square around the lines (ink (h, w) > 0 on them) plus `margin` of their longer extent on every
    side, shifted into the image (where no square fits: their box plus the margin, clipped); None without
    lines."""
    if not ink.any():
        return None
    h, w = ink.shape
    ys, xs = np.nonzero(ink)
    lines = BBox(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    m = int(round(margin * max(lines.width, lines.height)))
    side = max(lines.width, lines.height) + 2 * m
    if max(lines.width, lines.height) <= min(w, h):     # a square centred on the lines, shifted into the image
        return square_region((lines.x0 + lines.x1) / 2, (lines.y0 + lines.y1) / 2, side, w, h)
    # lines wider than the image is high (or the reverse): no square holds them
    return BBox(lines.x0 - m, lines.y0 - m, lines.x1 + m, lines.y1 + m).clip(w, h)


def sketch_boxes(strokes: np.ndarray | None, bbox: tuple[int, int, int, int] | None, w: int, h: int
                 ) -> tuple[BBox, BBox]:
    """(the square the face is made for, the region it is pasted into). With lines (inside the selection,
    where there is one): the square around them (`LINES_MARGIN`), pasted within the selection — the
    drawing is read at the lines' scale, whatever the selection's size (a small face drawn in a large
    selection was read as a few features of a face the selection's size: a skin-coloured blob, a helper
    found). Without lines (a scanned sketch read from the image): the selection as it is; else the
    whole image made square."""
    sel = BBox(*bbox).clip(w, h) if bbox is not None else None
    if strokes is not None:
        square = lines_square(in_selection(strokes, bbox)[..., 3], LINES_MARGIN)
        if square is not None:
            return square, square if sel is None else square.intersect(sel)
    if sel is not None:
        return sel, sel
    whole = squarify(BBox(0, 0, w, h), w, h)
    return whole, whole


SCANNED_FILL = 0.85     # a scanned sketch is read in its lines' square when that square is under this share of the box


def scanned_square(image: np.ndarray, box: BBox) -> BBox | None:
    """For a drawing read from the image itself: the square around its dark lines within `box` (`READ_MARGIN`),
    when it is clearly smaller than the box; else None (the box as it is)."""
    grey = cv2.cvtColor(np.ascontiguousarray(image[box.slices]), cv2.COLOR_RGB2GRAY)
    sq = lines_square((grey < 128).astype(np.uint8), READ_MARGIN)
    if sq is None or max(sq.width, sq.height) >= SCANNED_FILL * min(box.width, box.height):
        return None
    return BBox(sq.x0 + box.x0, sq.y0 + box.y0, sq.x1 + box.x0, sq.y1 + box.y0)


def drawing_in(image: np.ndarray, strokes: np.ndarray | None, box: BBox) -> np.ndarray:
    """The drawing inside box as (DRAW_SIZE, DRAW_SIZE) uint8, 255 paper, 0 line: the strokes (any colour)
    or, without strokes, the photo itself read as a scanned sketch."""
    if strokes is not None and strokes[box.slices][..., 3].any():
        ink = strokes[box.slices][..., 3]
        # lines drawn wide (the default brush) are read at the width the translator learned
        small = cv2.resize(ink, (DRAW_SIZE, DRAW_SIZE), interpolation=cv2.INTER_AREA)
        return even_lines((255 - small).astype(np.uint8))
    grey = cv2.cvtColor(np.ascontiguousarray(image[box.slices]), cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (DRAW_SIZE, DRAW_SIZE), interpolation=cv2.INTER_AREA)


def feathered(original: np.ndarray, face: np.ndarray, strength: float, area: np.ndarray | None = None,
              ramp: bool = True) -> np.ndarray:
    """face over original with the alpha ramping from 0 at the box edge to `strength` inside (times
    `area`, (h, w) 0..1, where given: exactly the original where it is 0); `ramp=False`: `strength`
    up to the edge (the face is a picture of its own in the box, nothing to blend into)."""
    h, w = original.shape[:2]
    yy = np.minimum(np.arange(h), np.arange(h)[::-1])[:, None]
    xx = np.minimum(np.arange(w), np.arange(w)[::-1])[None, :]
    t = np.clip(np.minimum(yy, xx) / max(1.0, FEATHER * min(h, w)), 0, 1).astype(np.float32)   # 0 on the edge
    if not ramp:
        t = np.ones((h, w), np.float32)
    a = (0.5 - 0.5 * np.cos(np.pi * t)) * float(strength)
    a = (a if area is None else a * area.astype(np.float32))[..., None]
    mix = original.astype(np.float32) * (1 - a) + face.astype(np.float32) * a
    return np.clip(mix + 0.5, 0, 255).astype(np.uint8)


PAPER_GREY, PAPER_INK = 170, 0.35     # a scanned sketch: its median grey at least this, at most this share dark


def looks_drawn(region: np.ndarray) -> bool:
    """Whether an image region reads as a sketch on paper (light, with a minority of dark lines), not a
    photo: without strokes the region itself is the drawing, and a photo's region gave a grotesque face
    (a helper selected the astronaut's suit)."""
    grey = cv2.cvtColor(np.ascontiguousarray(region), cv2.COLOR_RGB2GRAY)
    return float(np.median(grey)) >= PAPER_GREY and float(np.mean(grey < 128)) <= PAPER_INK


def drawn_area(ink: np.ndarray) -> np.ndarray | None:
    """Where the lines drawn in a box are: ink (h, w), > 0 on the lines → (h, w) float32 weight, 1 over
    their convex hull grown by `AREA_GROW` of the box's shorter side, ramping to exactly 0 over as much
    again; None where there are no lines."""
    ys, xs = np.nonzero(ink)
    if not len(ys):
        return None
    h, w = ink.shape
    k = max(1.0, AREA_GROW * min(h, w))
    hull = (ink > 0).astype(np.uint8)          # (a dot or a straight line has no inside)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.stack([xs, ys], 1).astype(np.int32)), 1)
    # distance from each pixel outside the hull to it: 1 within k, ramping to 0 at 2k
    d = cv2.distanceTransform(1 - hull, cv2.DIST_L2, 5)
    t = np.clip(2.0 - d / k, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)


def blank(original: np.ndarray) -> bool:
    """Whether a box's pixels are a blank canvas: its edge band (TONE_BAND) one flat grey (FLAT_SPREAD)."""
    h, w = original.shape[:2]
    k = max(2, int(round(TONE_BAND * min(h, w))))
    inner = np.zeros((h, w), bool)
    inner[k:h - k, k:w - k] = True
    return float((original.astype(np.float32) @ LUMA)[~inner].std()) < FLAT_SPREAD


def in_photo(original: np.ndarray, face: np.ndarray, strength: float, area: np.ndarray | None = None) -> np.ndarray:
    """face (the box's size, uint8) into original (the photo's pixels in the box): the face's light
    matched to the photo's in the box's edge band (module docstring), its edges blended, feathered;
    on a photo (not a blank canvas) only over `area` (`drawn_area`), the photo kept around it."""
    if blank(original):                         # a blank canvas: no light to match, the whole box is the face,
        return feathered(original, face, strength, ramp=False)     # edge to edge (ramped: a light bevel, a helper saw)
    h, w = original.shape[:2]
    k = max(2, int(round(TONE_BAND * min(h, w))))
    inner = np.zeros((h, w), bool)
    inner[k:h - k, k:w - k] = True
    band = (original.astype(np.float32) @ LUMA)[~inner]         # (the whole region where it has no inside)
    if inner.any():
        face_l = face.astype(np.float32) @ LUMA
        gain = float(np.clip((band.mean() + 1.0) / (float(face_l[~inner].mean()) + 1.0), *GAIN_RANGE))
        gain = min(gain, max(1.0, HIGHLIGHT / max(float(np.percentile(face_l[inner], 95)), 1.0)))
        lit = np.clip(face.astype(np.float32) * gain + 0.5, 0, 255).astype(np.uint8)
        face = np.where(inner[..., None], feather(lit, original, inner), original)
    return feathered(original, face, strength, area)


def can_refine(spec, models: ModelManager) -> bool:
    """Whether the translator names a generator that is there to refine its guess."""
    gen_id = getattr(spec, "generator", None)
    return bool(gen_id) and gen_id in models.manifest.specs and models.available(models.manifest.get(gen_id))


def sketch_to_face(drawing: np.ndarray, spec, loaded, models: ModelManager, *, refine: bool = True,
                   seed: int = 0, guess_start: bool = True, check=None
                   ) -> Generator[tuple[int, int, torch.Tensor], None, torch.Tensor]:
    """(DRAW_SIZE, DRAW_SIZE) drawing → the face (1, 3, R, R) in [-1, 1]; yields (step, total, face so far).
    `guess_start`: one of the refined latents starts at the encoder's reading of the translator's guess
    (the best start, and the same on every run: without it, random starts alone give another face)."""
    res = int(spec.resolution or 64)
    guess = translate_both_ways(loaded.net, to_tensor(drawing_at(drawing, res), loaded.device))
    refine = refine and can_refine(spec, models)
    total = STEPS + 1 if refine else 1
    yield 1, total, guess
    if not refine:
        return guess
    lm = latent_models(models, spec.generator)
    G = lm.G.eval().requires_grad_(False)
    guess_g = F.interpolate(guess, size=G.resolution, mode="area").to(lm.device)
    with torch.no_grad():
        zs = [lm.E(guess_g).reshape(1, -1)] if lm.E is not None and guess_start else []
    rnd = torch.randn(STARTS - len(zs), G.nz, generator=torch.Generator().manual_seed(int(seed)))
    starts = torch.cat([*zs, rnd.to(lm.device)])
    smile = smile_asked(drawing, spec.generator, models, G.resolution, lm.device)
    fit = yield from relay(fit_drawing(G, Lines.from_sketch(drawing, G.resolution, lm.device), guess_g, starts,
                                       steps=STEPS, smile=smile, check=check),
                           # previews as the result will look (the translator's light under the face's
                           # detail; the raw generator face looked darker and more orange, a helper found)
                           lambda st: (1 + st.step, total, detail_over(st.image, guess_g)))
    return detail_over(fit.images[:1], guess_g)


def smile_asked(drawing: np.ndarray, generator_id: str, models: ModelManager, size: int, device
                ) -> SmileAsk | None:
    """The smile the drawing's mouth asks for, when a mouth can be read and bends up enough
    (translate/mouth.py) and the generator has a smile direction; else None."""
    mouth = drawn_smile(drawing) if SMILE_DIRECTION else None
    if mouth is None or not mouth.asks:
        return None
    d = directions_for(models, generator_id).get(SMILE_DIRECTION)
    if d is None:
        return None
    where = np.zeros((size, size), np.float32)
    lm = canonical_landmarks()[3:5] * drawing.shape[0]       # where the generator's faces have their mouth
    f = size / drawing.shape[0]
    for x0, y0, x1, y1 in (mouth.box, (lm[0, 0], lm[:, 1].min(), lm[1, 0], lm[:, 1].max())):
        grow = MOUTH_GROW * (x1 - x0)
        where[max(0, int((y0 - grow) * f)):int(np.ceil((y1 + grow) * f)),
              max(0, int((x0 - grow) * f)):int(np.ceil((x1 + grow) * f))] = 1.0
    where = cv2.GaussianBlur(where, (0, 0), 1.0)
    return SmileAsk(torch.from_numpy(d).to(device), mouth.smile, torch.from_numpy(where)[None, None].to(device))


def translate_both_ways(net: torch.nn.Module, sketch: torch.Tensor) -> torch.Tensor:
    """The translator's face for the drawing, averaged with the mirror of its face for the mirrored drawing."""
    with torch.no_grad():
        return ((net(sketch).clamp(-1, 1) + net(sketch.flip(-1)).clamp(-1, 1).flip(-1)) / 2).clamp(-1, 1)


def detail_over(face: torch.Tensor, guess: torch.Tensor, sigma: float = SPLIT_SIGMA) -> torch.Tensor:
    """The generator face's detail (face − its blur) over the translator guess's blur; (1, 3, R, R) in [-1, 1]."""
    s = sigma * face.shape[-1] / 64
    guess = guess.to(face)
    with torch.no_grad():
        return (face - blur(face, s) + blur(guess, s)).clamp(-1, 1)


def run_sketch(job: Job, spec, loaded, models: ModelManager) -> Generator[Progress, None, Result]:
    image = job.inputs["image"]
    h, w = image.shape[:2]
    strokes = job.inputs.get("scribble")
    strokes = in_selection(strokes, job.request.bbox) if strokes is not None else None
    box, region = sketch_boxes(strokes, job.request.bbox, w, h)
    # the photo's light where the lines were drawn over a photo (not a scanned sketch read from the photo)
    lit = strokes is not None and bool(strokes[region.slices][..., 3].any())
    if not lit and not looks_drawn(image[box.slices]):
        raise ValueError("No lines are drawn there: draw the face's lines with the color brush first (outline, "
                         "eyes, nose, mouth, hair). Without lines the image itself is read as the drawing, which "
                         "works for a scanned sketch (dark lines on light paper), not for a photo.")
    # on a blank canvas, where there is nothing to blend into, the drawing is read in the square its lines fill
    # as the translator's drawings fill its frame (READ_MARGIN) and the face is made and pasted exactly there.
    # (Over a photo it stays the wider box, whose ramps blend the face into the photo: a face made for the tight
    # square and mirrored out to the box showed a mirrored band at its edges.)
    read = lines_square(strokes[..., 3], READ_MARGIN) if lit and READ_MARGIN is not None else None
    if not lit:         # a scanned sketch: the same square around its lines, where they fill clearly less than the
        read = scanned_square(image, box)       # box (the command line's whole page gave a small, dark face)
    if read is not None and (not lit or blank(image[box.slices])):
        box = read
        region = read if job.request.bbox is None else read.intersect(BBox(*job.request.bbox).clip(w, h))
    drawing = drawing_in(image, strokes, box)
    refine = job.request.refine and can_refine(spec, models)

    def progress(st: tuple[int, int, torch.Tensor]) -> Progress:
        step, total, face = st
        what = "drawing from the sketch" if step == 1 else "following the lines"
        return Progress(step, total + 1, what, preview=_paste(image, box, region, face, job, lit, strokes),
                        preview_bbox=region)

    # drawing the same lines again (seed ≥ 1, the editor counts the presses) offers another face: the
    # encoder's start, the same each time, won most runs (a helper got one face on every press)
    face = yield from relay(sketch_to_face(drawing, spec, loaded, models, refine=refine, seed=int(job.request.seed),
                                           guess_start=int(job.request.seed) == 0, check=job.check), progress)
    how = ", refined through the face generator" if refine else ""
    return Result(layer="base", bbox=region, pixels=_paste(image, box, region, face, job, lit, strokes),
                  message=f"Drew a face from the sketch with {spec.title}{how}",
                  # the editor's Strength slider fades the result from this
                  info={"full_strength": _paste(image, box, region, face, job, lit, strokes, strength=1.0)})


def _paste(image: np.ndarray, box: BBox, region: BBox, face: torch.Tensor, job: Job, lit: bool,
           strokes: np.ndarray | None, strength: float | None = None) -> np.ndarray:
    """The face made for `box`, at its size, pasted into `region` (within the box), at the job's
    strength unless `strength` is given."""
    big = F.interpolate(face.float(), size=(box.height, box.width), mode="bicubic", align_corners=False)
    face_px = to_images(big.clamp(-1, 1))[0][region.relative_to(box)]
    strength = float(job.request.strength) if strength is None else strength
    if not lit:         # a scanned sketch: the face replaces the drawing, edge to edge (ramped into the paper
        #                 where it was made for the lines' square within a larger page)
        page = region.width < image.shape[1] or region.height < image.shape[0]
        under = image[region.slices]
        if page:        # the face ramps into the paper, not into the drawing's own lines
            under = np.empty_like(under)
            under[:] = np.median(image[region.slices].reshape(-1, 3), axis=0).astype(np.uint8)
        return feathered(under, face_px, strength, ramp=page)
    return in_photo(image[region.slices], face_px, strength, drawn_area(strokes[region.slices][..., 3]))
