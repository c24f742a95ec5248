"""The edge of the application: request bodies are capped, and every response gets the security headers.

One pure ASGI middleware (`EdgeMiddleware`, added by `build_app`): it never buffers a body, and
costs an API request about ten microseconds (a page twice that: its nonce is made per response).

Request bodies. A multipart/form-data body (a file upload) may be up to `max_upload_bytes`, any
other body up to `max_json_bytes`. A request whose Content-Length is over is answered 413 at once,
before the application runs and without reading a byte of the body; a body sent without a length
(chunked) is counted as it streams and refused the moment it passes the limit, without reading the
rest (and the connection is closed). The message names the limit: the API's error shape under
/api/, one plain sentence elsewhere. The upload limit sits above every endpoint's own file limit,
so a file a little over an endpoint's limit still gets that endpoint's message.
(Starlette's `max_body_size` has one limit for every kind of body, lets the application run until
it reads, and answers "Content Too Large" without the limit, so it is not used.)

Response headers, on pages and API alike:
- Content-Security-Policy. Pages: everything from this site only; scripts and inline styles only
  with this response's nonce (`request.state.csp_nonce`, which the web pages give GOV.UK
  Frontend's one inline script and the letter preview's style sheet); nothing may frame them. The
  JSON API: nothing at all (it is never a document). The stored letter's HTML preview: its own
  inline style sheet only, and it may be framed by this site. An SVG image (the oversight charts,
  the icon): its own inline styles, never a script. The static files: this site only, nothing
  inline. The API documentation (/docs, /redoc): Swagger UI's script and styles from its CDN, as
  FastAPI serves them.
- X-Frame-Options DENY (SAMEORIGIN for the letter preview), X-Content-Type-Options nosniff,
  Referrer-Policy same-origin.
- Cache-Control: no-store on everything but the static files (/static/), which may be cached:
  any page or API answer may hold personal data.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dhr_engine.api.deps import API_PREFIX
from dhr_engine.config import MB

STATIC_PREFIX = "/static/"
LETTER_PREVIEW_PREFIX = f"{API_PREFIX}/letter-previews/"

_PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
_LETTER_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)
_STATIC_POLICY = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
_SVG_POLICY = b"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

Headers = list[tuple[bytes, bytes]]


def _security(policy: str, frames: bytes, *, no_store: bool = True) -> Headers:
    headers = [
        (b"content-security-policy", policy.encode()),
        (b"x-frame-options", frames),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]
    return [*headers, (b"cache-control", b"no-store")] if no_store else headers


# Built once; only a page's policy is made per response (it carries the nonce).
_API = _security(_API_POLICY, b"DENY")
_LETTER = _security(_LETTER_POLICY, b"SAMEORIGIN")
_DOCS = _security(_DOCS_POLICY, b"DENY")
_STATIC = _security(_STATIC_POLICY, b"DENY", no_store=False)
_PAGE_REST = _security("", b"DENY")[1:]
_SVG = (b"content-security-policy", _SVG_POLICY)
_OURS = {b"content-security-policy", b"x-frame-options", b"x-content-type-options", b"referrer-policy"}
_OURS_AND_CACHE = _OURS | {b"cache-control"}


def describe_size(size: int) -> str:
    """A byte count as people read it: '1 MB', '25 MB', '512 KB', '900 bytes'."""
    if size >= MB:
        return f"{round(size / MB, 2):g} MB"
    if size >= 1024:
        return f"{round(size / 1024, 2):g} KB"
    return f"{size} bytes"


class _BodyTooLarge(Exception):
    """Raised into the application when a streamed body passes the limit (it is answered 413)."""


class EdgeMiddleware:
    """Caps request bodies and adds the security headers (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_json_bytes: int,
        max_upload_bytes: int,
        docs_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        multipart = False
        length: int | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None  # the server refuses a malformed length; count what comes
            elif name == b"content-type":
                multipart = value[:19].lower() == b"multipart/form-data"
        limit = self.max_upload_bytes if multipart else self.max_json_bytes
        headers = self._headers(scope, path)
        if length is not None and length > limit:
            await self._refuse(send, path, limit, multipart, headers)
            return

        received = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal received, over
            if over:
                raise _BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _BodyTooLarge()
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if over:
                return  # whatever the application made of the cut-off body: the 413 goes instead
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _merged(message.get("headers", ()), headers, path)
            await send(message)

        try:
            await self.app(scope, counted, send_with_headers)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await self._refuse(send, path, limit, multipart, headers)

    def _headers(self, scope: Scope, path: str) -> Headers:
        """The security headers of this response (and the page's nonce, put on the request)."""
        if path.startswith(API_PREFIX):
            return _LETTER if path.startswith(LETTER_PREVIEW_PREFIX) else _API
        if path.startswith(STATIC_PREFIX):
            return _STATIC
        if path in self.docs_paths:
            return _DOCS
        nonce = secrets.token_urlsafe(18)
        scope["state"] = {**scope.get("state", {}), "csp_nonce": nonce}
        return [(b"content-security-policy", _PAGE_POLICY.format(nonce=nonce).encode()), *_PAGE_REST]

    @staticmethod
    async def _refuse(send: Send, path: str, limit: int, multipart: bool, headers: Headers) -> None:
        """413, naming the limit; the connection is closed (the rest of the body is never read)."""
        size = describe_size(limit)
        if path.startswith(API_PREFIX):
            if multipart:
                msg = f"the upload is too large: a multipart/form-data body may be at most {size}"
            else:
                msg = f"the request body is too large: it may be at most {size}"
            body = json.dumps({"detail": [{"code": "too_large", "msg": msg, "field": "body"}]}).encode()
            kind = b"application/json"
        else:
            if multipart:
                text = f"What you sent is too large: a form with files may be at most {size}."
            else:
                text = f"What you sent is too large: it may be at most {size}."
            text += " Go back and send less."
            body = (text + "\n").encode()
            kind = b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _merged(given: Iterable[tuple[bytes, bytes]], ours: Headers, path: str) -> Headers:
    """The response's own headers, with ours in place of any of the same name (an SVG image gets
    the image policy). Header names reach here in lower case (Starlette writes them so)."""
    replaced = _OURS if path.startswith(STATIC_PREFIX) else _OURS_AND_CACHE
    kept: Headers = []
    svg = False
    for name, value in given:
        if name not in replaced:
            kept.append((name, value))
            if name == b"content-type" and value.startswith(b"image/svg+xml"):
                svg = True
    if svg:
        return [*kept, _SVG, *ours[1:]]
    return kept + ours
