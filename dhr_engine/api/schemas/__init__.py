"""Request and response bodies of the JSON API (pydantic models, separate from the tables)."""
