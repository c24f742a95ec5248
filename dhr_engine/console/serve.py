"""`dhr serve`: run the API (and whatever create_app mounts) with uvicorn."""

from __future__ import annotations

import typer

from dhr_engine.cli.common import console, context
from dhr_engine.logs import install_access_log_filter


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
) -> None:
    """Upgrade the schema, then serve the API (docs at /docs, OpenAPI at /openapi.json)."""
    import uvicorn

    from dhr_engine.bootstrap.app import create_app

    ctx = context()
    app = create_app(ctx.settings, ctx)
    console.print(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, proxy_headers=False)
    server = uvicorn.Server(config)  # builds uvicorn's loggers; the filter goes on after that
    install_access_log_filter()
    server.run()
