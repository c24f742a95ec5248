"""Case membership: who holds which role on a case."""
