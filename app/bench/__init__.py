"""Benchmarks: `latentbrush bench [NAMES] --out DIR` (or python -m app.bench). They report numbers
(table, JSON, PNG chart) and never assert times."""
