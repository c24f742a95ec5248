"""What every command needs: the context, the acting user, parsing and output helpers (app-level plumbing)."""
