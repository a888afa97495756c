"""Client-side API: what starter.py, tests and other Python callers use to run cases."""
