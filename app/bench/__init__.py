"""Benchmarks: `latentbrush bench [NAMES] --out DIR` (or python -m latentbrush.bench). They report numbers
(table, JSON, PNG chart) and never assert times."""
