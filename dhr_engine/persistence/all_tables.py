"""Import every table module so SQLModel.metadata (and Alembic) sees every table.

Each feature that adds tables adds one import line here.
"""

from dhr_engine.persistence import (
    tables,  # noqa: F401
    tables_contacts,  # noqa: F401
    tables_letters,  # noqa: F401
    tables_notification,  # noqa: F401
    tables_plans,  # noqa: F401
    tables_reads,  # noqa: F401
    tables_returns,  # noqa: F401
    tables_scheduler,  # noqa: F401
    tables_signin,  # noqa: F401
)
