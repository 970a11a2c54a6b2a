"""Inpainting: masks, fill models (learned completion, generator prior, classical, LaMa), crops."""
