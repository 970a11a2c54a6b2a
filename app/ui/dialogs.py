"""The window's two message boxes: a Yes / No question and an error."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def question_box(parent: QWidget, title: str, text: str, default: bool) -> QMessageBox:
    """A Yes / No question whose Enter key answers `default` (Qt's own choice is Yes: a helper's Enter
    replaced the photo they had opened)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.Yes if default else QMessageBox.StandardButton.No)
    return box


def error_box(parent: QWidget, title: str, text: str, previous: QMessageBox | None) -> QMessageBox:
    """Show an error, closing the one before it: one box, the latest error, in front. Not modal (a job may
    fail while you paint); a helper's error boxes had piled up unseen behind later dialogs."""
    if previous is not None:
        previous.close()
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setModal(False)
    box.show()
    box.raise_()
    return box


def close_error(box: QMessageBox | None) -> None:
    """Close an error box error_box showed, if it is still open."""
    if box is not None and box.isVisible():
        box.close()
