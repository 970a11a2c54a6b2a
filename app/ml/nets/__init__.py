"""Network architectures only: no loading, no training."""
