"""The web session: a signed, HttpOnly cookie holding the user id, the account's session version
and a per-session CSRF token.

Every visitor gets a session with a CSRF token (the sign-in form needs one too). Signing in
replaces the whole session, token included, so a token seen before sign-in is useless after it.
The cookie is signed (itsdangerous) with the application's secret key and expires after
SESSION_HOURS; it never holds anything but ids, the version and the token. The version is the
account's `session_version` at sign-in: a cookie whose version is no longer the account's is
signed out (dhr_engine/auth/sessions.py says what raises it). The cookie is Secure when
`secure_cookies` is set (DHR_SECURE_COOKIES, for a server behind HTTPS).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "dhr_session"
SESSION_HOURS = 8
SALT = "dhr-web-session"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class WebSession:
    csrf: str
    user_id: uuid.UUID | None = None
    flash: str = ""  # one message shown on the next page, then dropped
    version: int | None = None  # the account's session_version at sign-in

    def to_payload(self) -> dict[str, str | int]:
        payload: dict[str, str | int] = {"csrf": self.csrf}
        if self.user_id:
            payload["uid"] = str(self.user_id)
            if self.version is not None:
                payload["sv"] = self.version
        if self.flash:
            payload["flash"] = self.flash
        return payload

    def csrf_matches(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, str(token))


def new_session(user_id: uuid.UUID | None = None, version: int | None = None, flash: str = "") -> WebSession:
    """A fresh session (new CSRF token): signed in as this user at this session version, or not."""
    return WebSession(csrf=secrets.token_urlsafe(32), user_id=user_id, version=version, flash=flash)


class SessionCodec:
    """Reads and writes the session cookie."""

    def __init__(self, secret_key: str, *, secure: bool = False) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self.secure = secure

    def read(self, request: Request) -> WebSession | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=SESSION_HOURS * 3600)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        try:
            uid = uuid.UUID(data["uid"]) if data.get("uid") else None
        except ValueError:
            return None
        flash = data.get("flash")
        version = data.get("sv")
        return WebSession(
            csrf=data["csrf"],
            user_id=uid,
            flash=flash if isinstance(flash, str) else "",
            version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        )

    def write(self, response: Response, session: WebSession) -> None:
        response.set_cookie(
            COOKIE,
            self._serializer.dumps(session.to_payload()),
            max_age=SESSION_HOURS * 3600,
            httponly=True,
            samesite="lax",
            secure=self.secure,
            path="/",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure)
