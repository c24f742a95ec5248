"""Personal data (names, dates of birth, addresses) never appears in logs, even with SQL echo on."""

import logging
from datetime import date
from pathlib import Path

import pytest

from dhr_engine.bootstrap import build_context
from dhr_engine.cases import service as cases
from dhr_engine.config import Settings
from dhr_engine.demo.builder import demo_password_hash, seed_reference_data
from dhr_engine.domain.clock import FakeClock
from dhr_engine.errors import DhrError
from dhr_engine.persistence.schema import upgrade

SECRETS = ["Rosalind Secretname", "1979-04-12", "12 April 1979", "14 Hidden Lane", "07700 900123"]


def test_personal_data__not_in_logs_or_errors(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pii.db'}", sql_echo=True)
    ctx = build_context(settings, clock=FakeClock.on(date(2026, 11, 25)))
    upgrade(ctx.engine)
    with ctx.uow() as uow:
        ref = seed_reference_data(uow.session, demo_password_hash())
        uow.commit()
    person = cases.PersonInput(
        role="victim", pseudonym="Kim", real_name=SECRETS[0], date_of_birth=date(1979, 4, 12)
    )
    case = cases.open_case(
        ctx.uow(),
        actor=ref.actor("officer"),
        clock=ctx.clock,
        notified_on=date(2026, 11, 1),
        people=[person],
        summary=f"Lived at {SECRETS[3]}, phone {SECRETS[4]}",
    )
    cases.fire_trigger(
        ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case.id, trigger="start_scoping"
    )
    messages = []
    for bad in ("decide_to_review", "no_such_trigger"):
        try:
            cases.fire_trigger(
                ctx.uow(), actor=ref.actor("officer"), clock=ctx.clock, case_id=case.id, trigger=bad
            )
        except DhrError as err:
            messages.append(err.msg)
    assert len(messages) == 2
    assert any(
        "SELECT" in r.getMessage() or "INSERT" in r.getMessage() for r in caplog.records
    )  # echo was on
    logged = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(messages)
    for secret in SECRETS:
        assert secret not in logged
    ctx.engine.dispose()
