"""Policy dates of a profile (seed 001): hospital self-issued cards stop being issued, then used.

The node judges a date rule on its *policy day*: the day set by ``--today`` (or a test harness
through ``set_policy_day``), else the node's clock. A refused presentation is audited as
``hospital_card_refused`` so supervision counts it (docs/supervision.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ehc.errors import EhcError
from reference_node.errors import CONFIG_INVALID, HOSPITAL_CARD_NOT_ISSUED, HOSPITAL_CARD_REFUSED

HOSPITAL_CARD_TYPE = "80"  # GB/T card medium code of a hospital self-issued card (就诊卡)
REFUSED_ACTION = "hospital_card_refused"  # audit action counted by the KPI engine


def parse_day(text: str, what: str) -> date | None:
    """An ISO date of the configuration ("" = none); CONFIG_INVALID when malformed."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise EhcError(CONFIG_INVALID, f"{what} must be an ISO date YYYY-MM-DD") from None


def set_policy_day(node: Any, day: date | None) -> None:
    """Pin (or with None release) the day a running node judges policy dates on (test harnesses)."""
    node.policy_today = day


def policy_day(node: Any) -> date:
    pinned = getattr(node, "policy_today", None)
    if pinned is not None:
        return pinned
    return parse_day(node.config.today, "today") or node.now().date()


def check_issue(node: Any) -> None:
    """Linking (issuing) a hospital card: refused from the stop-issuing date on."""
    stop = parse_day(node.config.hospital_card_stop_issue, "hospital_card_stop_issue")
    if stop is not None and policy_day(node) >= stop:
        node.metrics.inc("ehc_node_hospital_card_refused_total", action="issue")
        raise EhcError(HOSPITAL_CARD_NOT_ISSUED, f"no hospital card is issued from {stop.isoformat()}")


def use_refused(node: Any, used_on: date | None = None) -> date | None:
    """The stop-using date when a hospital card used on ``used_on`` (default: the policy day) is
    refused, else None. A pinned policy day wins over the reported day (a test moves time)."""
    stop = parse_day(node.config.hospital_card_stop_use, "hospital_card_stop_use")
    if stop is None:
        return None
    pinned = getattr(node, "policy_today", None) or parse_day(node.config.today, "today")
    day = pinned or used_on or policy_day(node)
    return stop if day >= stop else None


def refuse_use(node: Any, caller: Any, action: str, masked_identifier: str, stop: date) -> EhcError:
    """Audit and count a refused presentation; returns the error to raise."""
    node.metrics.inc("ehc_node_hospital_card_refused_total", action=action)
    node.audit_access(caller, REFUSED_ACTION, "", via=action, identifier=masked_identifier)
    return EhcError(HOSPITAL_CARD_REFUSED, f"hospital cards are refused from {stop.isoformat()}")
