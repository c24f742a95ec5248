"""Who is acting: a user with their global roles, their roles on one case, and their agency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from uuid import UUID

from dhr_engine.domain.roles import Role


@dataclass(frozen=True)
class Actor:
    """The acting user as the access policy sees them.

    `csp_id` is the Community Safety Partnership the account is tied to, valid only when
    `csp_known` is true (the account was read with it: `Actor.for_user`); otherwise the policy
    reads the account to learn it. A known `csp_id` of None means: not tied to one partnership.
    """

    user_id: UUID | None
    global_roles: frozenset[Role] = frozenset()
    case_roles: frozenset[Role] = frozenset()
    agency_id: UUID | None = None
    label: str = "user"
    extra: dict[str, str] = field(default_factory=dict)
    csp_id: UUID | None = None
    csp_known: bool = False

    @property
    def roles(self) -> frozenset[Role]:
        return self.global_roles | self.case_roles

    def has_any(self, roles: frozenset[Role] | set[Role] | list[Role]) -> bool:
        return bool(self.roles & set(roles))

    def on_case(self, case_roles: frozenset[Role]) -> Actor:
        """The same user with their roles on one particular case."""
        return replace(self, case_roles=case_roles)

    @classmethod
    def for_user(
        cls,
        *,
        user_id: UUID,
        global_roles: Iterable[str],
        agency_id: UUID | None,
        label: str,
        csp_id: UUID | None,
    ) -> Actor:
        """A signed-in user as just read from their account, their partnership included."""
        return cls(
            user_id=user_id,
            global_roles=frozenset(Role(r) for r in global_roles),
            agency_id=agency_id,
            label=label,
            csp_id=csp_id,
            csp_known=True,
        )

    @classmethod
    def system(cls) -> Actor:
        """The scheduler acting on its own."""
        return cls(user_id=None, global_roles=frozenset({Role.SYSTEM}), label="system")
