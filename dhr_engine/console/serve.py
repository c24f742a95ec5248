"""`dhr serve`: run the API (and whatever create_app mounts) with uvicorn.

It refuses to start with the built-in secret key or a short one (anyone who knows the key can forge
a session for any user), unless development mode is explicit: DHR_DEV_MODE=1 or `--dev`.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from dhr_engine.cli.common import console, context
from dhr_engine.config import DEV_SECRET_KEY, MIN_SECRET_KEY_LENGTH, Settings, audit_key_problem
from dhr_engine.logs import install_access_log_filter

MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
KEY_REFUSED = 2  # the exit code when the key is refused


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def _weakness(key: str) -> str | None:
    """What is wrong with this key for a real server (never the key itself), or None."""
    if key == DEV_SECRET_KEY:
        return "DHR_SECRET_KEY is not set (or is the built-in development key, which anyone may read)"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"DHR_SECRET_KEY is too short ({len(key)} characters; {MIN_SECRET_KEY_LENGTH} are needed)"
    return None


def secret_key_problem(settings: Settings, *, dev: bool = False) -> str | None:
    """Why this server may not start with its keys, in one line; None when it may: the secret key
    (sessions and tokens), then the audit trail's key (dhr_engine/config.py, audit_key_problem)."""
    if dev or settings.dev_mode:
        return None
    problem = _weakness(settings.secret_key)
    if problem is not None:
        return (
            f"dhr serve will not start: {problem}. Set DHR_SECRET_KEY to a new random key, made with: "
            f"{MAKE_A_KEY} (for a demo only, set DHR_DEV_MODE=1 or run dhr serve --dev)."
        )
    audit = audit_key_problem(settings, dev=dev)
    if audit is not None:
        return (
            f"dhr serve will not start: {audit} (for a demo only, set DHR_DEV_MODE=1 or run dhr serve --dev)."
        )
    return None


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
    dev: bool = typer.Option(
        False, "--dev", help="Development or demo: allow the built-in or a short secret key"
    ),
) -> None:
    """Upgrade the schema, then serve the API (docs at /docs, OpenAPI at /openapi.json)."""
    try:
        problem = secret_key_problem(Settings(), dev=dev)
    except ValidationError as err:  # named by setting and problem, never the value given
        problem = "dhr serve will not start: " + "; ".join(
            f"DHR_{'_'.join(str(part) for part in e['loc']).upper() or 'SETTINGS'}: {e['msg']}"
            for e in err.errors()
        )
    if problem is not None:
        typer.echo(problem, err=True)  # one plain line: no traceback, no wrapping
        raise typer.Exit(KEY_REFUSED)

    import uvicorn

    from dhr_engine.bootstrap.app import create_app

    ctx = context()
    if _weakness(ctx.settings.secret_key) is not None:
        typer.echo("Development mode: the built-in or a short secret key signs sessions; not for real data.")
    app = create_app(ctx.settings, ctx)
    console.print(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, proxy_headers=False)
    server = uvicorn.Server(config)  # builds uvicorn's loggers; the filter goes on after that
    install_access_log_filter()
    server.run()
