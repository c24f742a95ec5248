"""Agency returns in the web interface: the requests, an agency's draft, and the submitted versions."""

from __future__ import annotations

from fastapi import APIRouter

from dhr_engine.returns.pages import draft, requests, versions

router = APIRouter()
for _module in (requests, draft, versions):
    router.include_router(_module.router)
