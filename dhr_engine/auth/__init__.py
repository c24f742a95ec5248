"""Sign-in, passwords and the access policy."""
