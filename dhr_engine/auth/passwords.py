"""Password hashing with argon2 (pwdlib). Passwords are never logged or returned."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    if not password_hash:
        return False
    return _hasher().verify(password, password_hash)


MIN_LENGTH = 12


def check_strength(password: str) -> str | None:
    """Return a problem with the password, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if password.lower() == password or password.upper() == password:
        return "must mix upper- and lower-case letters"
    return None
