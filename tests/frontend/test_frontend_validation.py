"""One validation of usage records: the front-end refuses, before its ack, exactly what the node
refuses, with the same code — both call ``reference_node.validation.usage_record`` / ``usage_time``
(the front-end imports validation, never the node's services)."""

from __future__ import annotations

import ast
from pathlib import Path

import grpc
import pytest
from fe_helpers import new_card, usage

from reference_node.client import NodeClient, error_of
from reference_node.frontend.auth import issue_terminal
from reference_node.frontend.relay import start_frontend
from reference_node.testing import start_node

# one bad field at a time (kit codes the node answers); every one must be refused by both
BAD = [
    {"request_id": "has space"},
    {"request_id": ""},
    {"time": "2026-11-26"},
    {"time": "20261331000000"},
    {"time": "19000101000000"},
    {"time": "29991231235959"},
    {"org_name": "bad\nname"},
    {"use_city": "37080"},
    {"scene": "1234567"},
    {"medical_step": "999999"},
    {"department": "12"},
    {"card_type": "77"},
    {"channel": "9999"},
    {"payment_category": "0900"},
    {"visit_type": "X"},
    {"ehcid": "a" * 64},
    {"ehcid": "", "card_number": ""},
    {"atr": "ABC"},
    {"sam_number": "SAM 1"},
]


@pytest.fixture
def pair(tmp_path: Path):  # noqa: ANN201
    node = start_node(tmp_path)
    fe = start_frontend(tmp_path / "fe", node.target, node.credentials)
    creds = issue_terminal(fe.store, "HIS-0001", node.credentials)
    try:
        yield node, fe, creds
    finally:
        fe.stop()
        node.stop()


def _record(request_id: str, org: str, ehcid: str, bad: dict[str, str]) -> object:
    record = usage(request_id, org, ehcid)
    for field, value in bad.items():
        setattr(record, field, value)
    return record


def _code(call) -> str:  # noqa: ANN001
    try:
        call()
    except grpc.RpcError as exc:
        return error_of(exc).code.name
    return "accepted"


def test_the_front_end_refuses_what_the_node_refuses_with_the_same_code(pair) -> None:  # noqa: ANN001
    node, fe, creds = pair
    with node.client() as nc, NodeClient(fe.target, creds) as tc:
        ehcid, _ = new_card(nc)
        org = creds.org_code
        for i, bad in enumerate(BAD):
            at_node = _code(lambda: nc.usage.Report(_record(f"n-{i}", org, ehcid, bad)))  # noqa: B023
            at_fe = _code(lambda: tc.usage.Report(_record(f"f-{i}", org, ehcid, bad)))  # noqa: B023
            assert at_node != "accepted", f"{bad}: the node took it (the case is wrong)"
            assert at_fe == at_node, f"{bad}: node {at_node}, front-end {at_fe}"
    assert fe.store.counts() == {"pending": 0, "delivered": 0, "rejected": 0}  # nothing acknowledged


def test_the_field_rules_live_in_validation_only() -> None:
    """Neither the node's usage service nor the front-end lists the record's fields itself."""
    root = Path(__file__).resolve().parents[2] / "reference_node"
    for path in (root / "services" / "usage.py", root / "frontend" / "relay.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            n.func.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and getattr(n.func.value, "id", "") == "v"
        }
        assert {"usage_record", "usage_time"} <= calls, path
        assert not calls & {"scene_or_step", "department", "hex_text", "area"}, (path, calls)
