"""The Qt-free session model between the widgets and the worker (see ARCHITECTURE.md)."""
