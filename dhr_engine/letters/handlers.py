"""The outbox handler for kind 'letter': drafts the letters a transition queued, after commit.

A letter that needs something the case record does not hold (a meeting venue, a recommendation)
is not drafted with a blank: the item is recorded as failed with the names of the missing fields
(never their values), shown in the letter register, and an officer drafts it by hand.
"""

from __future__ import annotations

from dhr_engine.context import AppContext
from dhr_engine.errors import DhrError
from dhr_engine.letters.catalogue import needs_input
from dhr_engine.letters.service import draft_for_outbox_item
from dhr_engine.outbox.service import GiveUp
from dhr_engine.persistence.tables import OutboxItem


def draft_letter(ctx: AppContext, item: OutboxItem) -> None:
    """Draft the queued letter; a letter that needs input gives up with the missing field names."""
    try:
        draft_for_outbox_item(ctx, item.id)
    except DhrError as err:
        raise GiveUp(needs_input(err)) from err
