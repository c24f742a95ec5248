"""Who is acting: a user with their global roles, their roles on one case, and their agency."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from uuid import UUID

from dhr_engine.domain.roles import Role


@dataclass(frozen=True)
class Actor:
    """The acting user as the access policy sees them."""

    user_id: UUID | None
    global_roles: frozenset[Role] = frozenset()
    case_roles: frozenset[Role] = frozenset()
    agency_id: UUID | None = None
    label: str = "user"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def roles(self) -> frozenset[Role]:
        return self.global_roles | self.case_roles

    def has_any(self, roles: frozenset[Role] | set[Role] | list[Role]) -> bool:
        return bool(self.roles & set(roles))

    def on_case(self, case_roles: frozenset[Role]) -> Actor:
        """The same user with their roles on one particular case."""
        return replace(self, case_roles=case_roles)

    @classmethod
    def system(cls) -> Actor:
        """The scheduler acting on its own."""
        return cls(user_id=None, global_roles=frozenset({Role.SYSTEM}), label="system")
