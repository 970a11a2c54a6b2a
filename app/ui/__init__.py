"""PySide6 widgets. Never imports torch (enforced by tests/unit/test_layering.py)."""
