"""Latentbrush: a desktop photo editor whose edits are made by generative models."""

__version__ = "0.1.0"
APP_NAME = "Latentbrush"
APP_ID = "io.github.latentbrush.Latentbrush"
