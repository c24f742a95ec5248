"""Every error leaves the API in one shape: {"detail": [{"code", "msg", "field"}]}.

The engine's DhrError hierarchy, FastAPI's own request validation, Starlette's HTTP errors (unknown
path, wrong method) and anything unexpected are all mapped here, in one place. Values a caller sent
are never echoed back (a password must never come back in a 422).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from dhr_engine.api.deps import refusal_before_invalid
from dhr_engine.errors import DhrError, ErrorItem, TransitionBlocked

log = logging.getLogger("dhr_engine.api")

# Parts of a validation error's location that name where it was, not which field.
_LOCATION_PREFIXES = {"body", "query", "path", "header", "cookie"}


class ErrorDetail(BaseModel):
    """One problem with the request."""

    code: str = Field(description="Stable machine-readable code", examples=["stale_version"])
    msg: str = Field(description="What went wrong, for people", examples=["reload the case and try again"])
    field: str | None = Field(
        default=None, description="The field the problem concerns", examples=["expected_version"]
    )
    guards: list[str] | None = Field(
        default=None,
        description="For a blocked trigger: the guards that failed",
        examples=[["panel_established"]],
    )


class ErrorBody(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"detail": [{"code": "invalid", "msg": "Field required", "field": "reason"}]},
                {
                    "detail": [
                        {
                            "code": "transition_blocked",
                            "msg": "'appoint_chair' is blocked by: chair_named",
                            "field": "trigger",
                            "guards": ["chair_named"],
                        }
                    ]
                },
            ]
        }
    )

    detail: list[ErrorDetail]


def _body(items: Iterable[ErrorDetail]) -> dict[str, Any]:
    return ErrorBody(detail=list(items)).model_dump(exclude_none=True)


def error_response(
    status: int, items: Sequence[ErrorItem], headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """A JSON error response in the one shape."""
    details = [ErrorDetail(code=i.code, msg=i.msg, field=i.field, **extra) for i in items]
    return JSONResponse(_body(details), status_code=status, headers=headers)


def _field_name(loc: Sequence[int | str]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATION_PREFIXES:
        parts = parts[1:]
    return ".".join(parts) or None


async def _dhr_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DhrError)
    headers: dict[str, str] = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    extra: dict[str, Any] = {}
    if isinstance(exc, TransitionBlocked):
        extra["guards"] = exc.failed_guards
    return error_response(exc.status_code, exc.items, headers or None, **extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    refused = await refusal_before_invalid(request)
    if refused is not None:  # a stale account is told so before what is wrong with the request
        return await _dhr_error(request, refused)
    # Only type, message and location: never the input, which may be a password.
    items = [
        ErrorItem(
            code=str(err.get("type", "invalid")),
            msg=str(err.get("msg", "invalid")),
            field=_field_name(err.get("loc", ())),
        )
        for err in exc.errors()
    ]
    return error_response(422, items or [ErrorItem("invalid", "the request is not valid")])


_HTTP_CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
}


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    msg = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, [ErrorItem(code, msg)], headers)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # The type only: the message of an unexpected error may carry data from a record.
    log.error("unexpected error in the API: %s", type(exc).__name__)
    return error_response(500, [ErrorItem("internal_error", "something went wrong; nothing was saved")])


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the one JSON shape."""
    app.add_exception_handler(DhrError, _dhr_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def _described(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Error responses documented on every API operation (FastAPI then omits its own 422 schema).
COMMON_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _described("Not signed in, or the token is wrong or has expired"),
    403: _described("Your role on this case does not allow this"),
    404: _described("No such record, or you may not see it"),
    409: _described("Stale version, a blocked trigger (with the guard names) or a clash"),
    422: _described("The request is not valid; each problem names its field"),
}


class TooManyAttempts(DhrError):
    """Sign-in is slowed or the account locked after repeated wrong passwords."""

    status_code = 429
    code = "too_many_attempts"

    def __init__(self, msg: str, retry_after: int) -> None:
        super().__init__(msg, field="password")
        self.headers = {"Retry-After": str(max(retry_after, 1))}
