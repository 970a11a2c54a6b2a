from __future__ import annotations

from app.core.document import Document


def open_array(w, arr):
    w.set_document(Document(arr))
    w.canvas.fit()
    return w.document
