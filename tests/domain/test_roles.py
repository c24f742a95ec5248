"""The role table is the one place a role is defined: the policy, letters, returns, plans and the
other domains read their role sets from it, and every capability it names is a real one."""

from __future__ import annotations

from dhr_engine.auth.policy import FULL_IDENTITY, POLICY, SUBJECT_IDENTITY, Action
from dhr_engine.domain import roles
from dhr_engine.domain.roles import ROLES, Role, role_label, roles_that
from dhr_engine.family.service import RECORDERS as FAMILY_RECORDERS
from dhr_engine.letters import access as letter_access
from dhr_engine.members.service import MANAGERS
from dhr_engine.plans import access as plan_access
from dhr_engine.proceedings.service import RECORDERS as PROCEEDING_RECORDERS
from dhr_engine.returns.access import REQUESTERS

DOMAIN_CAPABILITIES = {
    value for name, value in vars(roles).items() if name.isupper() and isinstance(value, str) and ":" in value
} | {roles.CONSOLE}


def test_every_role_has_one_entry_with_a_plain_label() -> None:
    assert set(ROLES) == set(Role)
    for role, entry in ROLES.items():
        assert "_" not in entry.label, role
        assert role_label(role.value) == entry.label


def test_every_capability_in_the_table_is_an_action_or_a_declared_domain_capability() -> None:
    known = {action.value for action in Action} | DOMAIN_CAPABILITIES
    named = set().union(*(entry.may for entry in ROLES.values()))
    assert named - known == set()


def test_every_action_of_the_policy_is_held_by_some_role() -> None:
    assert [action for action in Action if not POLICY[action]] == []


def test_the_domains_read_their_roles_from_the_table() -> None:
    assert all(POLICY[action] == roles_that(action.value) for action in Action)
    assert roles_that(roles.IDENTITY_FULL) == FULL_IDENTITY
    assert roles_that(roles.IDENTITY_SUBJECTS) == SUBJECT_IDENTITY
    assert roles_that(roles.LETTERS_DRAFT) == letter_access.DRAFT_ROLES
    assert roles_that(roles.LETTERS_SEND) == letter_access.SEND_ROLES
    assert roles_that(roles.RETURNS_REQUEST) == REQUESTERS
    assert roles_that(roles.PLANS_EDIT_REVIEW) == plan_access.REVIEW_EDITORS
    assert roles_that(roles.PLANS_EDIT_PRIORITY) == plan_access.PRIORITY_EDITORS
    assert POLICY[Action.FAMILY_MANAGE] == FAMILY_RECORDERS
    assert POLICY[Action.PROCEEDINGS_MANAGE] == PROCEEDING_RECORDERS
    assert POLICY[Action.MEMBERS_MANAGE] == MANAGERS


def test_held_where_the_table_says() -> None:
    assert {Role.ADMIN, Role.CSP_OFFICER, Role.CSP_CHAIR} == roles.GLOBAL_ROLES
    assert {Role.AGENCY_AUTHOR, Role.AGENCY_MANAGER} == roles.AGENCY_ROLES
    assert Role.SYSTEM not in roles.CASE_ROLES | roles.GLOBAL_ROLES
    assert roles.AGENCY_ROLES <= roles.CASE_ROLES


def test_roles_in_words__with_their_articles_in_order() -> None:
    assert roles.roles_in_words({Role.CSP_OFFICER}) == "a CSP officer"
    assert (
        roles.roles_in_words({Role.INDEPENDENT_CHAIR, Role.ADMIN, Role.CSP_OFFICER})
        == "an administrator, a CSP officer or an independent chair"
    )
