"""Training scripts that produced the project's own weights. Each runs on a CPU, a GPU, or
several GPUs with `torchrun --nproc_per_node=N -m latentbrush.ml.train.<script> …` (DDP)."""
