"""Short-lived signed access tokens (PyJWT, HS256) for API clients.

A token names the user, expires after `settings.token_minutes`, and carries a fingerprint of the
user's password hash, so resetting a password ends every token issued before. Tokens are never
logged; a wrong, expired or tampered token is simply "not authenticated".

A token's signature, audience and issuer are checked once per process and the result remembered
(`_signed_claims`): the answer depends on nothing but the token's exact text and the secret. Its
expiry is checked on every request, and the account behind it (active, same password) is read on
every request by the API's dependencies.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt

from dhr_engine.errors import Unauthenticated

ALGORITHM = "HS256"
AUDIENCE = "dhr-engine-api"
ISSUER = "dhr-engine"
SIGNED_CACHE_SIZE = 4096  # tokens whose signature was checked (a few MB at most)


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    fingerprint: str
    expires_at: datetime


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: changes whenever the password does."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def issue_token(
    *, user_id: uuid.UUID, password_hash: str, secret: str, now: datetime, minutes: int
) -> tuple[str, datetime]:
    """Sign a token for the user; returns it and when it expires."""
    expires = now + timedelta(minutes=minutes)
    claims = {
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "aud": AUDIENCE,
        "iss": ISSUER,
        "jti": uuid.uuid4().hex,
        "pwf": password_fingerprint(password_hash),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


@lru_cache(maxsize=SIGNED_CACHE_SIZE)
def _signed_claims(token: str, secret: str) -> tuple[uuid.UUID, str, int, int]:
    """(user id, password fingerprint, expires, issued) of a token signed with `secret`.

    Raises Unauthenticated for anything else; a raise is never cached, so only tokens this server
    signed are remembered (an LRU of SIGNED_CACHE_SIZE), keyed by their whole text and the secret.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={
                "require": ["exp", "iat", "sub", "aud", "iss"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        expires = int(claims["exp"])
        issued = int(claims["iat"])
        user_id = uuid.UUID(str(claims["sub"]))
        fingerprint = str(claims.get("pwf", ""))
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
        raise Unauthenticated("the token is not valid; sign in again", field="token") from None
    return user_id, fingerprint, expires, issued


def read_token(token: str, *, secret: str, now: datetime) -> TokenClaims:
    """Check the signature, audience and expiry (against `now`); raise Unauthenticated if wrong."""
    user_id, fingerprint, expires, issued = _signed_claims(token, secret)
    # Expiry is checked against the engine's clock (not the wall clock), so tests can move time.
    if now.timestamp() >= expires or issued > now.timestamp() + 60:
        raise Unauthenticated("the token has expired; sign in again", field="token")
    return TokenClaims(user_id, fingerprint, datetime.fromtimestamp(expires, tz=now.tzinfo))
