"""Uploaded files: read a chunk at a time up to their limit, and parsed off the request thread.

Every sync endpoint and dependency runs on AnyIO's default thread limiter, which the app keeps to
one thread on SQLite (`_limit_worker_threads` in api/app.py). A file read and parsed there would
hold every other user's request behind it, so the upload routes are `async`: they check that the
caller may change the draft (a moment on the default limiter), read and parse the file with
`off_request_thread` (this module's own limiter of PARSER_THREADS), and only then hand what they
found (parsed rows, or a checked file) to the sync command, which writes it in one transaction.

A file is read a chunk at a time and refused as soon as it passes its limit, without reading the
rest: nothing ever parses a file that was cut short.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

from dhr_engine.errors import ValidationFailed

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 20 * MB  # a chronology file or an attachment
CHUNK_BYTES = 1 * MB
PARSER_THREADS = 2  # uploads parsed at once; a third waits its turn, not the other users

T = TypeVar("T")

# One limiter per event loop (a RunVar, as AnyIO keeps its own default limiter).
_PARSERS: RunVar[anyio.CapacityLimiter] = RunVar("dhr_upload_parsers")


class FileTooLarge(ValidationFailed):
    """An upload passed its byte limit; it was not read further."""

    status_code = 413
    code = "file_too_large"


def too_large(limit: int = MAX_UPLOAD_BYTES) -> FileTooLarge:
    return FileTooLarge(
        f"the file is larger than {describe_bytes(limit)}: split it and upload the parts", field="file"
    )


def describe_bytes(size: int) -> str:
    """20 MB, 100 MB, 512 KB: a limit as people read it."""
    if size >= MB and size % MB == 0:
        return f"{size // MB:,} MB"
    return f"{size // 1024:,} KB"


def read_limited(stream: BinaryIO, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """Every byte of `stream`, read a chunk at a time: FileTooLarge as soon as it passes `limit`."""
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(CHUNK_BYTES, limit + 1 - total))
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > limit:
            raise too_large(limit)
        parts.append(chunk)


def _parsers() -> anyio.CapacityLimiter:
    try:
        return _PARSERS.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(PARSER_THREADS)
        _PARSERS.set(limiter)
        return limiter


async def off_request_thread(work: Callable[[], T]) -> T:
    """Run `work` (reading and parsing an upload) in a worker thread of the upload limiter, so the
    thread every sync endpoint waits for stays free for other users' requests."""
    return await anyio.to_thread.run_sync(work, limiter=_parsers())
