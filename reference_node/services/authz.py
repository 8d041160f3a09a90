"""Authorisation: who may act on which card, person or record (the table in docs/node.md).

Every service asks here, so the policy lives in one place:

* a terminal's context names its own terminal and organisation (``check_identity``);
* a card belongs to the organisation whose terminal issued it (``cards.org_code``), a person to the
  organisation whose terminal registered them (``persons.org_code``); life-cycle changes, holder
  data, dynamic codes, media, family and full personal-data reads are for that organisation's
  terminals or the admin (``require_card_owner``, ``require_person_owner``);
* registry and operator methods are admin only (``require_admin``).

Checks read the owner from the card or person row the service already fetched: no extra database
round trip. A refusal names the policy, never the owner or any personal data.
"""

from __future__ import annotations

from ehc.errors import EhcError
from reference_node.errors import (
    CONTEXT_MISMATCH,
    FORBIDDEN_ADMIN_ONLY,
    FORBIDDEN_ORG,
    FORBIDDEN_ORGANISATION,
)
from reference_node.node import Caller, CardRecord, Node, PersonRecord

CARD_POLICY = "only the issuing organisation's terminals or the admin may do this to a card"
PERSON_POLICY = "only the registering organisation's terminals or the admin may do this to a person"


def check_identity(caller: Caller, terminal_id: str, org_code: str) -> None:
    """A terminal's context names the signing terminal and its organisation (empty = the
    credential's). The admin (node operator) may act for any terminal or organisation."""
    if caller.is_admin:
        return
    if terminal_id and terminal_id != caller.terminal_id:
        raise EhcError(
            CONTEXT_MISMATCH, "context.terminal_id is not the signing terminal", field="context.terminal_id"
        )
    if org_code and org_code != caller.org_code:
        raise EhcError(
            CONTEXT_MISMATCH, "context.org_code is not the terminal's organisation", field="context.org_code"
        )


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise EhcError(FORBIDDEN_ADMIN_ONLY)


def require_org(caller: Caller, org_code: str, field: str = "org_code") -> None:
    """A request field naming an organisation (a usage record's, a query filter) names the caller's."""
    if not caller.is_admin and org_code != caller.org_code:
        raise EhcError(FORBIDDEN_ORG, f"{field} is not the terminal's organisation", field=field)


def owns_card(caller: Caller, card: CardRecord) -> bool:
    return caller.is_admin or card.org_code == caller.org_code


def require_card_owner(caller: Caller, card: CardRecord, action: str) -> None:
    if not owns_card(caller, card):
        raise EhcError(FORBIDDEN_ORGANISATION, f"{action}: {CARD_POLICY}", field="ehcid")


def require_person_owner(
    caller: Caller, person: PersonRecord, action: str, field: str = "main_index"
) -> None:
    if not caller.is_admin and person.org_code != caller.org_code:
        raise EhcError(FORBIDDEN_ORGANISATION, f"{action}: {PERSON_POLICY}", field=field)


def require_merge_allowed(caller: Caller, a: PersonRecord, b: PersonRecord, action: str) -> None:
    """Merge/unmerge: both persons the caller's organisation's; across organisations only the admin."""
    if caller.is_admin:
        return
    if a.org_code != b.org_code:
        raise EhcError(
            FORBIDDEN_ORGANISATION,
            f"{action}: persons of different organisations are merged by the admin only",
            field="merged_main_index",
        )
    require_person_owner(caller, a, action, "surviving_main_index")


def require_audit_reader(node: Node, caller: Caller, main_index: str) -> None:
    """REL-F15: an audit trail says who looked at whom; only the operator or an organisation that
    issued a card of the person reads it (one indexed query; GetAudit is not a hot path)."""
    if caller.is_admin:
        return
    row = node.db.one(
        "SELECT 1 FROM cards WHERE main_index = ? AND org_code = ?", (main_index, caller.org_code)
    )
    if row is None:
        raise EhcError(
            FORBIDDEN_ORG,
            "only the operator or the issuing organisation reads an audit trail",
            field="main_index",
        )


__all__ = [
    "require_audit_reader",
    "check_identity",
    "require_admin",
    "require_org",
    "owns_card",
    "require_card_owner",
    "require_person_owner",
    "require_merge_allowed",
]
