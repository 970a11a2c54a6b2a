"""Typed errors of the model layer. Every message is written for the person using the app."""

from __future__ import annotations


class ModelError(Exception):
    """Base class: something is wrong with a model, its manifest entry or its weights."""


class ManifestError(ModelError):
    pass


class UnknownModel(ModelError):
    pass


class UnknownArchitecture(ModelError):
    pass


class MissingWeights(ModelError):
    pass


class ChecksumMismatch(ModelError):
    pass


class UnsafeCheckpoint(ModelError):
    pass


class CheckpointMismatch(ModelError):
    """The weights do not fit the architecture the manifest names."""


class FetchError(ModelError):
    pass


# exceptions this project raises with a sentence for the person (others are bugs: a generic message)
_SENTENCE_TYPES = (ModelError, ValueError, LookupError, ArithmeticError, RuntimeError)


def user_message(e: BaseException, *, oom: bool = False) -> str:
    """One sentence for an error dialog: no exception class names, no internal wording.

    A typed error of the model layer, or a ValueError / LookupError / … raised by this project's
    own code with its reason, is shown as written (capitalised, with a full stop). Anything else
    (a bug, or an error deep inside a library) becomes a generic sentence; the log has the details."""
    if oom or isinstance(e, MemoryError) or "can't allocate memory" in str(e):
        return "The computer ran out of memory for this edit. The image was not changed; try a smaller region."
    if isinstance(e, OSError) and e.strerror:          # disk full, no permission, a file gone: say which
        where = f": {e.filename}" if e.filename else ""
        return f"{e.strerror}{where}."
    text = e.args[0] if len(e.args) == 1 and isinstance(e.args[0], str) else ""
    if not isinstance(e, ModelError) and not (isinstance(e, _SENTENCE_TYPES) and _raised_here(e)):
        text = ""
    text = text.strip()
    if not text or (isinstance(e, KeyError) and " " not in text):     # a bare dict key: a bug
        text = ""
    if not text:
        return "Something went wrong inside Latentbrush. The image was not changed; the log has the details."
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _raised_here(e: BaseException) -> bool:
    """Whether the innermost frame of the traceback is this project's code (by module name: file
    names are relative inside a PyInstaller bundle)."""
    tb = e.__traceback__
    if tb is None:
        return True
    while tb.tb_next is not None:
        tb = tb.tb_next
    top = __name__.split(".")[0]
    return str(tb.tb_frame.f_globals.get("__name__", "")).split(".")[0] == top
