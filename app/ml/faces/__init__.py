"""Face finding with landmarks (MTCNN) and the generator's canonical landmark positions."""

from __future__ import annotations

from latentbrush.ml.faces.detect import LANDMARK_NAMES, Face, FaceInputError, detect_faces

DETECTOR_ID = "face-mtcnn"      # the manifest entry: ModelManager.get(DETECTOR_ID).net

__all__ = ["DETECTOR_ID", "LANDMARK_NAMES", "Face", "FaceInputError", "detect_faces"]
