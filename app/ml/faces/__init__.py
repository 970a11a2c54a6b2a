"""Face finding with landmarks (MTCNN, faces/detect.py) and the generator's canonical landmark
positions (faces/canonical.py)."""
