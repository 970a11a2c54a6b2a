"""One typed request per edit kind: what a job is asked to do, with every default in one place.

A request is a frozen dataclass; its class is bound to the runner that carries it out
(`latentbrush.ml.runners.RUNNERS`, keyed by the class), the panels take their starting values
from the defaults here, and the command line fills the same fields. Things that only matter to
the window (whether a failure pops up a dialog, the status-bar label) travel beside the request,
not in it. No Qt, no torch.

    req = ScribbleRequest(state=doc.latent, candidates=6)
    job = Job(req, inputs=...)            # job.kind == "scribble", job.request is req
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

# defaults shared by several requests (and by the benchmarks that measure the app's settings)
PROJECT_STEPS = 150          # projection: optimiser steps …
PROJECT_BUDGET_S = 1.5       # … or this many seconds, whichever ends first
TUNE = True                  # fit a copy of the generator to each projected photo (pivotal tuning)
TUNE_BUDGET_S = 2.9          # + detection (0.25 s) + projection (1.5 s) stays within 5 s on 2 idle cores
TUNE_LOCALITY = 1.0          # weight of the tuning's locality term
CANDIDATES = 4               # latent edits: candidates optimised together …
KEEP = 4                     # … and how many are offered to pick from
PARTS_CANDIDATES = 6         # part edits: more candidates, ranked by how they look, blotches counted against


@dataclass(frozen=True)
class Request:
    """Base of the typed requests; `kind` names the job kind (and the undo/status label's stem)."""

    kind: ClassVar[str] = ""

    def params(self) -> dict[str, Any]:
        """The fields as a plain dict (shallow: arrays and states are not copied)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def but(self, **changes: Any) -> Request:
        return replace(self, **changes)


@dataclass(frozen=True)
class ProjectOptions:
    """How a photo is projected when an edit needs a latent state and has none yet."""

    region: Any = None               # (x0, y0, x1, y1), "auto" or None (= find the face)
    face: int = 0                    # which face, largest first
    found: Any = None                # a FoundFace from an earlier detection
    generator: str | None = None     # generator id (None: the default one)
    tune: bool = TUNE
    tune_budget: float | None = TUNE_BUDGET_S


@dataclass(frozen=True)
class GenerateRequest(Request):
    kind: ClassVar[str] = "generate"
    model: str | None = None         # generator id (None: the default one)
    seed: int = 0
    bbox: tuple[int, int, int, int] | None = None    # None: a new document
    batch: int = 1                   # the face is the index-th of `batch` drawn together from the seed
    index: int = 0


@dataclass(frozen=True)
class TranslateRequest(Request):
    kind: ClassVar[str] = "translate"
    model: str | None = None
    strength: float = 1.0
    tile: int = 1024
    overlap: int = 32
    only_region: bool = False        # only inside the mask
    bbox: tuple[int, int, int, int] | None = None    # sketch → face: the selection (None: around the strokes)
    refine: bool = True              # sketch → face: through the generator, so the lines are followed
    seed: int = 0                    # sketch → face: the random starts of the refinement


@dataclass(frozen=True)
class FetchRequest(Request):
    kind: ClassVar[str] = "fetch"
    ids: tuple[str, ...] | None = None               # None: every missing model


@dataclass(frozen=True)
class WarmupRequest(Request):
    kind: ClassVar[str] = "warmup"


@dataclass(frozen=True)
class FindFacesRequest(Request):
    kind: ClassVar[str] = "find_faces"
    region: tuple[int, int, int, int] | None = None  # the region being edited, if any


@dataclass(frozen=True)
class ProjectRequest(ProjectOptions, Request):
    kind: ClassVar[str] = "project"
    mode: str | None = None
    steps: int = PROJECT_STEPS
    time_budget: float | None = PROJECT_BUDGET_S
    tune_locality: float = TUNE_LOCALITY
    apply: bool = True               # False: report the state, do not make it the document's


@dataclass(frozen=True)
class LatentEditRequest(ProjectOptions, Request):
    """An edit that starts from the document's latent state (projecting first if there is none)."""

    state: Any = None                # LatentState | None
    project_steps: int = PROJECT_STEPS
    project_budget: float | None = PROJECT_BUDGET_S
    candidates: int = CANDIDATES
    keep: int = KEEP
    time_budget: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class ScribbleRequest(LatentEditRequest):
    kind: ClassVar[str] = "scribble"
    iters: int = 40
    strength: float = 1.0
    region_only: bool = False        # change only around the strokes


@dataclass(frozen=True)
class LatentRenderRequest(Request):
    kind: ClassVar[str] = "latent_render"
    state: Any = None                # required
    z: Any = None                    # required: the latent to show
    strength: float = 1.0
    region_only: bool = False


@dataclass(frozen=True)
class InterpolateRequest(Request):
    kind: ClassVar[str] = "interpolate"
    za: Any = None
    zb: Any = None
    frames: int = 24
    mode: str = "slerp"
    state: Any = None
    generator: str | None = None
    region_only: bool = False


@dataclass(frozen=True)
class AttributeRequest(Request):
    kind: ClassVar[str] = "attribute"
    state: Any = None                # required
    values: Mapping[str, float] = field(default_factory=dict)   # slider name → value
    origin: Any = None               # the latent the sliders move from (None: the state's z_base)
    custom: Mapping[str, Any] = field(default_factory=dict)     # custom slider name → direction
    preview: bool = False            # a drag step: the quick render
    region_only: bool = False        # only inside the mask


@dataclass(frozen=True)
class InpaintRequest(Request):
    kind: ClassVar[str] = "inpaint"
    model: str | None = None         # method id (None: the best available)
    blend: str | None = None         # None: the method's own


@dataclass(frozen=True)
class PartsMapRequest(LatentEditRequest):
    kind: ClassVar[str] = "parts_map"
    parts_model: str | None = None


@dataclass(frozen=True)
class PartsEditRequest(LatentEditRequest):
    kind: ClassVar[str] = "parts_edit"
    candidates: int = PARTS_CANDIDATES
    parts_model: str | None = None
    iters: int = 60
    blend: str = "feather"
    only_changed: bool = False       # labels equal to the current part map count as unpainted
    keep_tone: bool | None = None    # hold the low band where labels stay (None: on photos only)
    blotch_penalty: float = 2.0      # candidates ranked by the check less this × their colour-blotch share
    keep_colours: bool = True        # clamp the redrawn pixels' chroma to the face's colours nearby
    close_eyes: bool = True          # eyes painted over with skin are closed (closeeyes.py), not redrawn
    grow_hair: bool = True           # hair painted over a photo's skin is stretched from its own (growhair.py)


@dataclass(frozen=True)
class ApplyVectorRequest(LatentEditRequest):
    kind: ClassVar[str] = "apply_vector"
    parts_model: str | None = None
    delta: Any = None                # required: (nz,) latent offset
    strength: float = 1.0
    vector_parts: tuple[str, ...] = ()
    name: str = "vector"
    clip: bool = True                # change only the parts the vector touched


@dataclass(frozen=True)
class CustomRequest(Request):
    """A job kind registered at run time (tests, plug-ins), with loose parameters."""

    name: str = "custom"
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.name

    def params(self) -> dict[str, Any]:
        return dict(self.values)


REQUESTS: dict[str, type[Request]] = {c.kind: c for c in (
    GenerateRequest, TranslateRequest, FetchRequest, WarmupRequest, FindFacesRequest, ProjectRequest,
    ScribbleRequest, LatentRenderRequest, InterpolateRequest, AttributeRequest, InpaintRequest,
    PartsMapRequest, PartsEditRequest, ApplyVectorRequest)}


def request_for(kind: str, params: Mapping[str, Any] | None = None) -> Request:
    """The request of a job kind from loose parameters (the command line's); an unknown
    parameter of a known kind raises ValueError naming it; an unknown kind is a CustomRequest."""
    cls = REQUESTS.get(kind)
    if cls is None:
        if not kind.isidentifier():         # a label passed where a kind belongs
            raise ValueError(f"{kind!r} is not a job kind; kinds are {', '.join(sorted(REQUESTS))}")
        return CustomRequest(name=kind, values=dict(params or {}))
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(params or {}) - names)
    if unknown:
        raise ValueError(f"{kind}: unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(sorted(names))}")
    return cls(**dict(params or {}))


def defaults(cls: type[Request]) -> Request:
    """The request with every field at its default (for panels' starting values)."""
    return cls()


