"""The JSON API (FastAPI)."""
