"""What the window may know about the models folder, without torch: each model's state on disk
(ok / missing / damaged), the fill methods the inpainting dock offers, the latent directions a
slider moves along. The one seam between the widgets and app/ml (app/ui imports nothing from
app/ml)."""

from __future__ import annotations

from latentbrush.ml.directions_np import read_directions
from latentbrush.ml.hashing import model_states
from latentbrush.ml.inpaint.methods import PRIOR, default_method, fill_methods

__all__ = ["PRIOR", "default_method", "fill_methods", "model_states", "read_directions"]
