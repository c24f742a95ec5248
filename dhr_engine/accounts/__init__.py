"""User accounts and partner agencies, kept by an administrator (the directory)."""
