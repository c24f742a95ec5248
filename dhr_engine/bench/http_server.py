"""The app under load: `python -m dhr_engine.bench.http_server URL PORT` (one uvicorn worker).

It is the product's create_app with one extra route, GET /bench/ping, that touches nothing: the
trivial endpoint of the same app, served by the same worker, that the other figures are held to.
It is matched first: a route added last would pay for the app's whole route table on every request
(about 0.2 ms, a third of its time), which the case routes near the front do not, and would make
every ratio look about three times better than it is.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

from dhr_engine.bootstrap.app import create_app
from dhr_engine.config import Settings

PING_PATH = "/bench/ping"


def bench_app(database_url: str) -> FastAPI:
    app = create_app(Settings(database_url=database_url, run_scheduler_in_process=False))

    @app.get(PING_PATH, include_in_schema=False)
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    app.router.routes.insert(0, app.router.routes.pop())  # match the ping before any other route
    return app


def main(argv: list[str]) -> None:
    database_url, port = argv[0], int(argv[1])
    uvicorn.run(
        bench_app(database_url),
        host="127.0.0.1",
        port=port,
        workers=1,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
