"""Clients of one application from chosen addresses, and signing in through the API and the web form."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dhr_engine.bootstrap.app import create_app
from dhr_engine.context import AppContext

TOKEN_URL = "/api/v1/auth/token"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clients:
    """Test clients of one application, each as if from its own address."""

    def __init__(self, ctx: AppContext) -> None:
        self.app: FastAPI = create_app(ctx.settings, ctx)

    def at(self, address: str) -> TestClient:
        return TestClient(self.app, client=(address, 50000), follow_redirects=False)


def api_sign_in(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post(TOKEN_URL, data={"username": username, "password": password})


def web_sign_in(client: TestClient, username: str, password: str) -> httpx.Response:
    page = client.get("/sign-in")
    found = CSRF.search(page.text)
    assert found, "no CSRF token on the sign-in page"
    return client.post(
        "/sign-in", data={"csrf_token": found.group(1), "username": username, "password": password}
    )


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)
