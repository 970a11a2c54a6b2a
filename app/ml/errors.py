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
