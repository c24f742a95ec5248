"""The audit chain is keyed and checkpointed

Until now each audit event held a plain SHA-256 of its fields and of the previous hash: anyone who
could write to the database could edit an event and recompute every hash after it. From here each
holds an HMAC-SHA256 with the audit key, which is not in the database (DHR_AUDIT_KEY or
DHR_AUDIT_KEY_FILE, read from the environment as the application reads it: set it before
upgrading). No column changes: an HMAC-SHA256 is 64 hexadecimal characters, like the hash it
replaces.

Upgrade re-chains every case whose plain chain is intact (every hash, every link, no gap, the head
and count on the case row) with the key. A case whose plain chain is already broken is left as it
is, so that `dhr audit verify` reports it rather than a re-chaining hiding what was done to it.
Downgrade does the reverse for every case whose keyed chain is intact. The hashing is written out
here, as it was when this revision was made, so later changes to the audit code cannot change what
this migration does.

Revision ID: 0010_keyed_audit
Revises: 0009_read_log
Create Date: 2026-12-01
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

from dhr_engine.config import Settings, audit_key

revision: str = "0010_keyed_audit"
down_revision: str | Sequence[str] | None = "0009_read_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
log = logging.getLogger("alembic.runtime.migration")

events = sa.table(
    "audit_event",
    sa.column("id", sa.Uuid()),
    sa.column("case_id", sa.Uuid()),
    sa.column("seq", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("actor_user_id", sa.Uuid()),
    sa.column("actor_label", sa.String()),
    sa.column("effective_on", sa.Date()),
    sa.column("recorded_at", sa.DateTime()),
    sa.column("data", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
cases = sa.table(
    "dhr_case",
    sa.column("id", sa.Uuid()),
    sa.column("audit_count", sa.Integer()),
    sa.column("audit_head", sa.String()),
)

Hasher = Callable[[Any], str]


def _body(row: Any, recorded_at: int) -> bytes:
    body = {
        "case_id": str(row.case_id),
        "seq": row.seq,
        "kind": row.kind,
        "actor_user_id": str(row.actor_user_id) if row.actor_user_id else None,
        "actor_label": row.actor_label,
        "effective_on": row.effective_on.isoformat(),
        "recorded_at": recorded_at,
        "data": row.data,
        "prev_hash": row.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def plain_hash(row: Any) -> str:
    """The hash before this revision: plain SHA-256 (a naive time read as the machine's local time)."""
    return hashlib.sha256(_body(row, int(row.recorded_at.timestamp() * 1_000_000))).hexdigest()


def keyed_hasher(key: bytes) -> Hasher:
    """The hash from this revision on: HMAC-SHA256 with the audit key (a naive time is UTC)."""

    def keyed_hash(row: Any) -> str:
        moment = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
        micros = (moment - EPOCH) // timedelta(microseconds=1)
        return hmac.new(key, _body(row, micros), hashlib.sha256).hexdigest()

    return keyed_hash


def _intact(chain: Sequence[Any], count: int, head: str, hasher: Hasher) -> bool:
    prev = GENESIS
    for position, row in enumerate(chain, start=1):
        if row.seq != position or row.prev_hash != prev or hasher(row) != row.hash:
            return False
        prev = row.hash
    return count == len(chain) and head == chain[-1].hash


def rechain(old: Hasher, new: Hasher) -> None:
    """Give every case whose chain is intact under `old` the hashes of `new`, event by event."""
    connection = op.get_bind()
    update_event = (
        events.update()
        .where(events.c.id == sa.bindparam("event_id"))
        .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash"))
    )
    done = left = 0
    for case_id, count, head in connection.execute(
        sa.select(cases.c.id, cases.c.audit_count, cases.c.audit_head)
    ):
        chain = connection.execute(
            sa.select(events).where(events.c.case_id == case_id).order_by(events.c.seq)
        ).all()
        if not chain:
            continue
        if not _intact(chain, count, head, old):
            left += 1
            continue
        prev, updates = GENESIS, []
        for row in chain:
            digest = new(SimpleNamespace(**(row._asdict() | {"prev_hash": prev})))
            updates.append({"event_id": row.id, "new_prev": prev, "new_hash": digest})
            prev = digest
        connection.execute(update_event, updates)
        connection.execute(cases.update().where(cases.c.id == case_id).values(audit_head=prev))
        done += 1
    log.info("audit chains re-chained: %d case(s)", done)
    if left:
        log.warning(
            "audit chains already broken, left as they were: %d case(s) (dhr audit verify reports them)", left
        )


def upgrade() -> None:
    rechain(plain_hash, keyed_hasher(audit_key(Settings())))


def downgrade() -> None:
    rechain(keyed_hasher(audit_key(Settings())), plain_hash)
