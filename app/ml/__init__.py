"""Model code: torch allowed, Qt never (enforced by tests/unit/test_layering.py)."""
