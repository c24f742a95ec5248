"""Signing in and out: the API token, the web session pages, and the lockout after wrong passwords."""
