"""Latent-space edits of the generator: sampling, projection, scribbles, directions, parts."""
