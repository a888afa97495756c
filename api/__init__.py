"""The front door: the authenticated HTTP service (FastAPI) in front of the engine."""
