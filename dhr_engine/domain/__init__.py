"""Pure domain logic: no SQL, no FastAPI, no Jinja."""
