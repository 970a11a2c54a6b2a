"""Pure-Python document model: no Qt, no torch (enforced by tests/unit/test_layering.py)."""
