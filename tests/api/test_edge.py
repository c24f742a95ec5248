"""The edge (dhr_engine/api/edge.py): request bodies are capped before they are read, and every
response carries the security headers.

The body limits are driven at the ASGI level (a `receive` that counts what the application pulls),
over the real application and over a bare one, and once over a real uvicorn on a socket.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dhr_engine.api.edge import EdgeMiddleware, describe_size
from dhr_engine.bootstrap import build_context
from dhr_engine.bootstrap.app import create_app
from dhr_engine.config import MB, Settings
from dhr_engine.context import AppContext

CHUNK = 64 * 1024
HUNDRED_MB = 100 * MB


@dataclass
class Body:
    """A request body of `size` bytes, handed out in chunks only as the application asks."""

    size: int
    pulled: int = 0  # bytes handed to the application
    calls: int = 0

    async def receive(self) -> Message:
        self.calls += 1
        chunk = min(CHUNK, self.size - self.pulled)
        self.pulled += chunk
        return {"type": "http.request", "body": b"x" * chunk, "more_body": self.pulled < self.size}


@dataclass
class Reply:
    messages: list[Message] = field(default_factory=list)

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


def _scope(path: str, content_type: str, length: int | None) -> Scope:
    headers = [(b"content-type", content_type.encode()), (b"host", b"testserver")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    else:
        headers.append((b"transfer-encoding", b"chunked"))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }


def _call(app: ASGIApp, path: str, body: Body, content_type: str, *, length: bool) -> Reply:
    """One request through the ASGI application, its body pulled from `body`."""
    reply = Reply()
    scope = _scope(path, content_type, body.size if length else None)
    anyio.run(app, scope, body.receive, reply.send)
    return reply


@pytest.fixture
def app(lite: AppContext) -> FastAPI:
    return create_app(lite.settings, lite)


def _bare(read: list[int]) -> EdgeMiddleware:
    """The edge around an application that reads the whole body and answers 200."""

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        more = True
        while more:
            message = await receive()
            read[0] += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read"})

    return EdgeMiddleware(inner, max_json_bytes=1 * MB, max_upload_bytes=25 * MB)


# --- request bodies ----------------------------------------------------------------------------


def test_100_mb_json__with_its_length_is_refused_413_before_a_byte_is_read(app: FastAPI) -> None:
    body = Body(HUNDRED_MB)
    reply = _call(app, "/api/v1/cases", body, "application/json", length=True)
    assert reply.status == 413
    assert body.calls == 0 and body.pulled == 0
    problem = json.loads(reply.body)["detail"][0]
    assert problem["code"] == "too_large" and problem["field"] == "body"
    assert "1 MB" in problem["msg"]
    assert reply.headers["connection"] == "close"


def test_100_mb_json__streamed_without_a_length_is_cut_off_just_past_the_limit(app: FastAPI) -> None:
    body = Body(HUNDRED_MB)
    reply = _call(app, "/api/v1/cases", body, "application/json", length=False)
    assert reply.status == 413
    assert MB < body.pulled <= MB + CHUNK  # the rest (99 MB) is never read
    assert [m["type"] for m in reply.messages].count("http.response.start") == 1  # only the 413
    assert "1 MB" in json.loads(reply.body)["detail"][0]["msg"]


def test_a_page_form_over_the_limit__gets_one_plain_sentence(app: FastAPI) -> None:
    body = Body(2 * MB)
    reply = _call(app, "/sign-in", body, "application/x-www-form-urlencoded", length=False)
    assert reply.status == 413 and body.pulled <= MB + CHUNK
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.body.decode().startswith("What you sent is too large: it may be at most 1 MB.")


def test_uploads_have_their_own_larger_limit() -> None:
    read = [0]
    edge = _bare(read)
    multipart = "multipart/form-data; boundary=x"
    ok = _call(edge, "/api/v1/upload", Body(21 * MB), multipart, length=True)
    assert ok.status == 200 and read[0] == 21 * MB  # a 21 MB file reaches the endpoint
    read[0] = 0
    body = Body(50 * MB)
    refused = _call(edge, "/api/v1/upload", body, multipart, length=True)
    assert refused.status == 413 and body.calls == 0 and read[0] == 0  # 50 MB: refused at once
    assert "25 MB" in json.loads(refused.body)["detail"][0]["msg"]
    streamed = Body(50 * MB)
    assert (_call(edge, "/api/v1/upload", streamed, multipart, length=False)).status == 413
    assert streamed.pulled <= 25 * MB + CHUNK
    # The same 2 MB is an upload's size but too much for any other body.
    assert (_call(edge, "/api/v1/x", Body(2 * MB), multipart, length=True)).status == 200
    assert (_call(edge, "/api/v1/x", Body(2 * MB), "application/json", length=True)).status == 413


def test_a_21_mb_upload__gets_the_endpoints_answer_not_the_edges(app: FastAPI) -> None:
    boundary = "edge-test"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = 21 * MB
    parts = [head, b"%PDF-" + b"x" * (size - 5), tail]
    total = sum(len(p) for p in parts)

    async def receive() -> Message:
        chunk = parts.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(parts)}

    reply = Reply()
    path = "/api/v1/returns/00000000-0000-7000-8000-000000000000/attachments"
    scope = _scope(path, f"multipart/form-data; boundary={boundary}", total)
    anyio.run(app, scope, receive, reply.send)
    assert not parts  # the whole body reached the application
    assert reply.status != 413 or b"may be at most 25 MB" not in reply.body  # the endpoint answered


def test_the_limits_are_settings(lite: AppContext) -> None:
    settings = Settings(database_url=lite.settings.database_url, max_json_bytes=1000, max_upload_bytes=5000)
    app = create_app(settings, lite)
    assert (_call(app, "/api/v1/cases", Body(1001), "application/json", length=True)).status == 413
    multipart = "multipart/form-data; boundary=x"
    assert (_call(app, "/api/v1/cases", Body(5001), multipart, length=True)).status == 413
    assert describe_size(1000) == "1000 bytes" and describe_size(25 * MB) == "25 MB"


# --- over a real server --------------------------------------------------------------------------


@pytest.fixture
def served(app: FastAPI) -> Iterator[int]:
    """uvicorn serving the app on a free loopback port, in a thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    ready = threading.Event()
    while not server.started and thread.is_alive():  # readiness: uvicorn's own flag
        ready.wait(0.05)
    assert server.started, "uvicorn did not start"
    yield port
    server.should_exit = True
    thread.join(timeout=30)


def _answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_over_http__a_100_mb_length_is_answered_before_the_body_is_sent(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=60) as sock:  # timeout: a failure guard
        sock.sendall(
            b"POST /api/v1/cases HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {HUNDRED_MB}\r\n\r\n".encode()
        )
        answer = _answer(sock)  # not one byte of the body has been sent
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_over_http__a_chunked_body_is_answered_once_it_passes_the_limit(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=60) as sock:
        sock.sendall(
            b"POST /api/v1/cases HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (CHUNK, b"x" * CHUNK)
        for _ in range(MB // CHUNK + 1):  # just past 1 MB, and the body is never finished
            sock.sendall(chunk)
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")


# --- response headers ----------------------------------------------------------------------------

SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


def _security(headers: Any) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors" in headers["content-security-policy"]


def test_a_page__has_the_headers_and_only_scripts_the_policy_allows(app: FastAPI) -> None:
    reply = TestClient(app).get("/sign-in")
    assert reply.status_code == 200
    _security(reply.headers)
    policy = reply.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["cache-control"] == "no-store"
    nonce = NONCE.search(policy)
    assert nonce, policy
    scripts = SCRIPT.findall(reply.text)
    assert scripts
    for attributes in scripts:  # every script is a file of this site or carries this response's nonce
        assert "src=" in attributes or f'nonce="{nonce.group(1)}"' in attributes, attributes
    assert f'nonce="{nonce.group(1)}"' in reply.text
    assert " style=" not in reply.text and "<style" not in reply.text
    again = TestClient(app).get("/sign-in").headers["content-security-policy"]
    assert NONCE.search(again) and NONCE.search(again).group(1) != nonce.group(1)  # type: ignore[union-attr]


def test_an_api_answer__has_the_headers_and_no_store(app: FastAPI) -> None:
    client = TestClient(app)
    for reply in (
        client.get("/api/v1/auth/me"),
        client.get("/api/v1/no-such-thing"),
        client.get("/openapi.json"),
    ):
        _security(reply.headers)
        assert reply.headers["cache-control"] == "no-store"
        assert reply.headers["x-frame-options"] == "DENY"
    assert client.get("/api/v1/auth/me").headers["content-security-policy"].startswith("default-src 'none'")


def test_the_letter_preview__may_be_framed_by_this_site_only(app: FastAPI) -> None:
    reply = TestClient(app).get("/api/v1/letter-previews/00000000-0000-7000-8000-000000000000")
    _security(reply.headers)
    assert "frame-ancestors 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-frame-options"] == "SAMEORIGIN"


def test_a_static_asset__may_be_cached_but_has_the_other_headers(app: FastAPI) -> None:
    client = TestClient(app)
    script = client.get("/static/web.js")
    assert script.status_code == 200
    _security(script.headers)
    assert "no-store" not in script.headers.get("cache-control", "")
    icon = client.get("/static/favicon.svg")
    assert icon.headers["content-security-policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")


def test_session_cookie__is_secure_only_when_the_setting_is_on(lite: AppContext) -> None:
    plain = TestClient(create_app(lite.settings, lite)).get("/sign-in").headers["set-cookie"]
    assert "httponly" in plain.lower() and "secure" not in plain.lower()
    settings = Settings(database_url=lite.settings.database_url, secure_cookies=True)
    ctx = build_context(settings)
    try:
        secure = TestClient(create_app(settings, ctx)).get("/sign-in").headers["set-cookie"]
    finally:
        ctx.engine.dispose()
    assert "; secure" in secure.lower()
