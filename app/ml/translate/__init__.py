"""Image-to-image translation (CycleGAN / pix2pix generators)."""
