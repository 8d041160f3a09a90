"""Who may do what, checked with several identities: two terminals of organisation A (``terminal``,
``peer``), one of organisation B (``foreign``) and the operator (``admin``).

A refusal is checked as the gRPC status PERMISSION_DENIED (a vendor node has its own error codes)
and then against the node's own records, read as the operator: a node that answers "denied" but
acts anyway fails. The same operations by a terminal of the issuing organisation must work, so a
node that refuses everything fails too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from reference_node.proto.ehc.node.v1 import common_pb2 as C
from reference_node.proto.ehc.node.v1 import issuance_pb2 as I
from reference_node.proto.ehc.node.v1 import main_index_pb2 as M
from reference_node.proto.ehc.node.v1 import registry_pb2 as R
from reference_node.proto.ehc.node.v1 import usage_pb2 as U
from reference_node.proto.ehc.node.v1 import verification_pb2 as V

from .helpers import (
    new_digits,
    new_id_number,
    new_phone,
    new_request_id,
    operator_terminal,
    person_request,
)

ORG = {"terminal": "A", "peer": "A", "foreign": "B"}
CROSS_ORG = [("terminal", "foreign"), ("peer", "foreign"), ("foreign", "terminal"), ("foreign", "peer")]
SAME_ORG = [("terminal", "peer"), ("peer", "terminal"), ("foreign", "foreign"), ("terminal", "terminal")]


def denied(error: dict | None, what: str) -> None:
    assert error is not None, f"{what}: accepted"
    assert error.get("grpc") == "PERMISSION_DENIED", (
        f"{what}: refused as {error.get('grpc')} ({error.get('code')}), expected PERMISSION_DENIED"
    )


def allowed(error: dict | None, what: str) -> None:
    assert error is None, f"{what}: refused as {error.get('grpc')} ({error.get('code')})"


def register_as(dut: Any, role: str) -> Any:
    request = person_request(dut, context=dut.context(role))
    response, error = dut.call("issuance", "Register", request, role)
    assert error is None, f"Register as {role} refused: {error}"
    return response


def card_of(dut: Any, ehcid: str) -> Any:
    got, error = dut.call("issuance", "GetCard", I.GetCardRequest(ehcid=ehcid), "admin")
    assert error is None, f"GetCard as the operator refused: {error}"
    return got


def resolve_as_admin(dut: Any, medium: M.Medium, identifier: str) -> tuple[Any, dict | None]:
    request = M.ResolveRequest(medium=medium, identifier=identifier, context=dut.context("admin"))
    return dut.call("main_index", "Resolve", request, "admin")


def family_of(dut: Any, main_index: str) -> list[str]:
    got, error = dut.call("issuance", "Query", I.QueryRequest(main_index=main_index), "admin")
    assert error is None, f"Query as the operator refused: {error}"
    return [m.main_index for m in got.family]


def token() -> str:
    return f"TOKAUTHZ{new_digits(12)}"  # fresh for the run (helpers)


def linked_medium(dut: Any) -> M.Medium:
    """A card medium linked by token that the profile takes: the bank card, else (national, Zibo)
    the social security card, which every profile takes."""
    media = getattr(getattr(dut, "profile", None), "media", ())
    return M.MEDIUM_BANK_CARD_TOKEN if not media or "bank-card" in media else M.MEDIUM_SOCIAL_SECURITY_CARD


@dataclass
class CardOp:
    """An action on a card of the issuer's organisation: how to do it, and what it changes."""

    name: str
    do: Callable[[Any, str, Any, dict], tuple[Any, dict | None]]
    state: Callable[[Any, Any, dict], Any]  # what the node's records say, read as the operator
    setup: Callable[[Any, str, Any, dict], None] = lambda dut, issuer, r, ctx: None


def _action(rpc: str) -> Callable:
    def do(dut: Any, role: str, r: Any, ctx: dict) -> tuple[Any, dict | None]:
        request = I.CardActionRequest(
            ehcid=r.card.ehcid, reason="authorisation test", context=dut.context(role)
        )
        return dut.call("issuance", rpc, request, role)

    return do


def _status(dut: Any, r: Any, ctx: dict) -> Any:
    return C.CardStatus.Name(card_of(dut, r.card.ehcid).card.status)


def _suspend_first(dut: Any, issuer: str, r: Any, ctx: dict) -> None:
    request = I.CardActionRequest(
        ehcid=r.card.ehcid, reason="authorisation test", context=dut.context(issuer)
    )
    assert dut.call("issuance", "Suspend", request, issuer)[1] is None, (
        "the issuer could not suspend its card"
    )


def _modify(dut: Any, role: str, r: Any, ctx: dict) -> tuple[Any, dict | None]:
    ctx["phone"] = new_phone()
    request = I.ModifyRequest(ehcid=r.card.ehcid, phone=ctx["phone"], context=dut.context(role))
    return dut.call("issuance", "Modify", request, role)


def _phone(dut: Any, r: Any, ctx: dict) -> Any:
    return card_of(dut, r.card.ehcid).person.phone


def _mint(dut: Any, role: str, r: Any, ctx: dict) -> tuple[Any, dict | None]:
    request = I.GetQrCodeRequest(ehcid=r.card.ehcid, code_type=C.CODE_TYPE_DYNAMIC, context=dut.context(role))
    response, error = dut.call("issuance", "GetQrCode", request, role)
    ctx["minted"] = response.qr_text if response is not None else ""
    return response, error


def _minted(dut: Any, r: Any, ctx: dict) -> Any:
    # what a minted code is worth: it verifies (read by the card's issuer, who may verify anything)
    if not ctx.get("minted"):
        return "no code"
    request = V.VerifyQrRequest(qr_text=ctx["minted"], context=dut.context("admin"))
    _, error = dut.call("verification", "VerifyQr", request, "admin")
    return "valid code" if error is None else "no code"


def _link(dut: Any, role: str, r: Any, ctx: dict) -> tuple[Any, dict | None]:
    ctx.setdefault("token", token())
    request = M.LinkMediumRequest(
        main_index=r.person.main_index, medium=linked_medium(dut), identifier=ctx["token"],
        context=dut.context(role),
    )  # fmt: skip
    return dut.call("main_index", "LinkMedium", request, role)


def _linked(dut: Any, r: Any, ctx: dict) -> Any:
    response, error = resolve_as_admin(dut, linked_medium(dut), ctx["token"])
    if error is not None:
        return "unlinked" if error.get("grpc") == "NOT_FOUND" else error.get("grpc")
    return "linked" if response.person.main_index == r.person.main_index else "linked elsewhere"


def _link_first(dut: Any, issuer: str, r: Any, ctx: dict) -> None:
    assert _link(dut, issuer, r, ctx)[1] is None, "the issuer could not link a medium to its card holder"


def _unlink(dut: Any, role: str, r: Any, ctx: dict) -> tuple[Any, dict | None]:
    request = M.LinkMediumRequest(
        main_index=r.person.main_index, medium=linked_medium(dut), identifier=ctx["token"],
        context=dut.context(role),
    )  # fmt: skip
    return dut.call("main_index", "UnlinkMedium", request, role)


def _merge(dut: Any, role: str, r: Any, ctx: dict) -> tuple[Any, dict | None]:
    request = M.MergeRequest(
        surviving_main_index=r.person.main_index, merged_main_index=ctx["member"].person.main_index,
        reason="authorisation test (duplicate registration)", context=dut.context(role),
    )  # fmt: skip
    return dut.call("main_index", "Merge", request, role)


def _merged(dut: Any, r: Any, ctx: dict) -> Any:
    person = card_of(dut, ctx["member"].card.ehcid).person
    return (person.main_index, person.merged_into)


def _second_person(dut: Any, issuer: str, r: Any, ctx: dict) -> None:
    ctx["member"] = register_as(dut, issuer)


def _bind(dut: Any, role: str, r: Any, ctx: dict) -> tuple[Any, dict | None]:
    request = I.BindFamilyRequest(
        guardian_ehcid=r.card.ehcid, member_ehcid=ctx["member"].card.ehcid, relation="child",
        context=dut.context(role),
    )  # fmt: skip
    return dut.call("issuance", "BindFamily", request, role)


def _bound(dut: Any, r: Any, ctx: dict) -> Any:
    return ctx["member"].person.main_index in family_of(dut, r.person.main_index)


OPS = {
    "suspend": CardOp("Suspend", _action("Suspend"), _status),
    "resume": CardOp("Resume", _action("Resume"), _status, _suspend_first),
    "cancel": CardOp("Cancel", _action("Cancel"), _status),
    "modify": CardOp("Modify", _modify, _phone),
    "mint-dynamic-code": CardOp("GetQrCode (dynamic)", _mint, _minted),
    "link-medium": CardOp("LinkMedium", _link, _linked),
    "unlink-medium": CardOp("UnlinkMedium", _unlink, _linked, _link_first),
    "bind-family": CardOp("BindFamily", _bind, _bound, _second_person),
    "merge": CardOp("Merge", _merge, _merged, _second_person),
}


def _prepare(dut: Any, op: CardOp, issuer: str) -> tuple[Any, dict, Any]:
    r = register_as(dut, issuer)
    ctx: dict = {}
    op.setup(dut, issuer, r, ctx)
    if op.name == "LinkMedium":
        ctx["token"] = token()
    return r, ctx, op.state(dut, r, ctx)


@pytest.mark.requirement("NODE-AUTHZ-002")
@pytest.mark.parametrize("op_name", list(OPS))
@given(pair=st.sampled_from(CROSS_ORG))
def test_a_terminal_of_another_organisation_cannot_act_on_a_card(dut, op_name, pair):
    issuer, caller = pair
    op = OPS[op_name]
    r, ctx, before = _prepare(dut, op, issuer)
    response, error = op.do(dut, caller, r, ctx)
    denied(error, f"{op.name} of an org-{ORG[issuer]} card by an org-{ORG[caller]} terminal")
    if op.name == "GetQrCode (dynamic)":
        assert response is None or not response.qr_text, "a refused call handed out a dynamic code"
        ctx["minted"] = ""
    after = op.state(dut, r, ctx)
    assert after == before, f"{op.name} was refused but the node's records changed: {before!r} -> {after!r}"


@pytest.mark.requirement("NODE-AUTHZ-005")
@pytest.mark.parametrize("op_name", list(OPS))
@given(pair=st.sampled_from(SAME_ORG))
def test_a_terminal_of_the_issuing_organisation_may_act_on_a_card(dut, op_name, pair):
    issuer, caller = pair
    op = OPS[op_name]
    r, ctx, before = _prepare(dut, op, issuer)
    _, error = op.do(dut, caller, r, ctx)
    allowed(error, f"{op.name} of an org-{ORG[issuer]} card by another terminal of that organisation")
    after = op.state(dut, r, ctx)
    assert after != before, f"{op.name} was acknowledged but the node's records did not change ({before!r})"


def _usage(dut: Any, role: str, ehcid: str, **over: Any) -> U.UsageRecord:
    context = dut.context(role)
    fields = dict(
        request_id=new_request_id("authz"),
        time=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d%H%M%S"),
        org_code=context.org_code, org_name=context.org_name, use_city=context.use_city, scene="0101012",
        medical_step="010101", department=context.department or "5500", card_type="11", channel="0100",
        payment_category="0100", visit_type="O", ehcid=ehcid, terminal_id=context.terminal_id,
    )  # fmt: skip
    fields.update(over)
    return U.UsageRecord(**fields)


def _usage_ids(dut: Any, ehcid: str) -> set[str]:
    listed, error = dut.call("usage", "QueryUsage", U.QueryUsageRequest(ehcid=ehcid, limit=1000), "admin")
    assert error is None, f"QueryUsage as the operator refused: {error}"
    return {u.request_id for u in listed.records}


@pytest.mark.requirement("NODE-AUTHZ-005", "SEC-004")
def test_any_terminal_may_verify_resolve_and_report_and_the_issuer_reads_its_records(dut):
    r = register_as(dut, "terminal")
    request: Message
    for role in ("peer", "foreign"):
        request = V.VerifyQrRequest(qr_text=r.qr_text, context=dut.context(role))
        response, error = dut.call("verification", "VerifyQr", request, role)
        allowed(error, f"VerifyQr by {role}")
        assert response.person.main_index == r.person.main_index
        request = M.ResolveRequest(medium=M.MEDIUM_EHC_QR, identifier=r.qr_text, context=dut.context(role))
        allowed(dut.call("main_index", "Resolve", request, role)[1], f"Resolve by {role}")
        record = _usage(dut, role, r.card.ehcid)
        ack, error = dut.call("usage", "Report", record, role)
        allowed(error, f"usage Report by {role}")
        assert ack.accepted and record.request_id in _usage_ids(dut, r.card.ehcid), (
            f"{role}'s report not stored"
        )
    # the issuing organisation's other terminal reads the card, its usage and its audit trail
    got, error = dut.call("issuance", "GetCard", I.GetCardRequest(ehcid=r.card.ehcid), "peer")
    allowed(error, "GetCard by a terminal of the issuing organisation")
    assert got.card.ehcid == r.card.ehcid
    listed, error = dut.call("usage", "QueryUsage", U.QueryUsageRequest(ehcid=r.card.ehcid), "peer")
    allowed(error, "QueryUsage by a terminal of the issuing organisation")
    assert any(u.terminal_id == dut.context("peer").terminal_id for u in listed.records), (
        "own report not listed"
    )
    request = M.GetAuditRequest(main_index=r.person.main_index, limit=10)
    allowed(dut.call("main_index", "GetAudit", request, "peer")[1], "GetAudit by the issuing organisation")


@pytest.mark.requirement("NODE-AUTHZ-003", "SEC-006")
def test_a_terminal_cannot_read_another_organisations_records(dut):
    r = register_as(dut, "terminal")
    own = _usage(dut, "terminal", r.card.ehcid)
    assert dut.call("usage", "Report", own)[1] is None
    theirs = _usage(dut, "foreign", r.card.ehcid)  # org B may report a use of A's card
    assert dut.call("usage", "Report", theirs, "foreign")[1] is None
    denied(dut.call("issuance", "GetCard", I.GetCardRequest(ehcid=r.card.ehcid), "foreign")[1], "GetCard")
    query = I.QueryRequest(document_type="01", document_number=r.person.document_number)
    denied(dut.call("issuance", "Query", query, "foreign")[1], "Query by document number")
    denied(
        dut.call("issuance", "Query", I.QueryRequest(main_index=r.person.main_index), "foreign")[1],
        "Query by main index",
    )
    a_org = dut.context("terminal").org_code
    denied(
        dut.call("usage", "QueryUsage", U.QueryUsageRequest(org_code=a_org), "foreign")[1],
        "QueryUsage of org A",
    )
    listed, error = dut.call("usage", "QueryUsage", U.QueryUsageRequest(ehcid=r.card.ehcid), "foreign")
    if error is None:  # by card: only org B's own records
        seen = {u.request_id for u in listed.records}
        assert own.request_id not in seen, "a terminal of org B read org A's usage record"
        assert all(u.org_code == dut.context("foreign").org_code for u in listed.records), (
            "foreign records listed"
        )
    else:
        denied(error, "QueryUsage by card")
    listed, error = dut.call("usage", "QueryUsage", U.QueryUsageRequest(limit=1000), "foreign")
    if error is None:  # no filter: the caller's organisation only
        assert own.request_id not in {u.request_id for u in listed.records}, (
            "unfiltered QueryUsage leaked org A"
        )
    else:
        denied(error, "unfiltered QueryUsage")
    # a time window only (a daily export): still the caller's organisation only
    since = dt.datetime.strptime(own.time, "%Y%m%d%H%M%S")
    window = U.QueryUsageRequest(
        from_time=f"{since - dt.timedelta(minutes=5):%Y%m%d%H%M%S}",
        to_time=f"{since + dt.timedelta(minutes=5):%Y%m%d%H%M%S}",
        limit=1000,
    )
    listed, error = dut.call("usage", "QueryUsage", window, "foreign")
    if error is None:
        assert own.request_id not in {u.request_id for u in listed.records}, (
            "QueryUsage by time window leaked org A's record"
        )
        assert all(u.org_code == dut.context("foreign").org_code for u in listed.records), (
            "QueryUsage by time window listed another organisation's records"
        )
    else:
        denied(error, "QueryUsage by time window")
    request = M.GetAuditRequest(main_index=r.person.main_index, limit=10)
    denied(
        dut.call("main_index", "GetAudit", request, "foreign")[1], "GetAudit of another organisation's person"
    )


def _kpis(dut: Any, role: str) -> dict | None:
    try:
        from reference_node.proto.ehc.node.v1 import supervision_pb2 as S
    except ImportError:  # pragma: no cover - an ehc.node.v1 without supervision
        return {"grpc": "PERMISSION_DENIED"}
    today = dt.date.today().isoformat()
    return dut.call("supervision", "Kpis", S.KpiRequest(start_date=today, end_date=today), role)[1]


def _throwaway_terminal(dut: Any, org_code: str) -> Any:
    """A terminal of ``org_code`` the operator registers for this test only: the target of the
    refused registry calls, so that a node which lets them through damages no identity of the
    client file."""
    terminal_id = f"{org_code}9900{new_digits(4)}"  # department 9900 (other) + a fresh number
    description = "TEST-ONLY conformance throwaway"
    return operator_terminal(
        dut, terminal_id, org_code, "99", description, "throwaway", org_code=org_code, department="9900"
    )


@pytest.mark.requirement("NODE-AUTHZ-001")
@given(role=st.sampled_from(["terminal", "peer", "foreign"]))
def test_a_terminal_cannot_call_the_operators_methods(dut, role):
    me = dut.context(role)
    victim = _throwaway_terminal(dut, me.org_code)  # of the caller's own organisation
    n = new_digits(3)
    new_org = f"{me.org_code[:-1]}9{n}"[:32]
    new_terminal = f"{me.org_code}5500{new_digits(4)}"
    org = R.Organisation(code=new_org, name="越权测试机构", level="1", area_code=me.use_city)
    denied(dut.call("registry", "UpsertOrganisation", org, role)[1], f"UpsertOrganisation by {role}")
    terminal = R.Terminal(
        terminal_id=new_terminal, org_code=me.org_code, terminal_type="01",
        certification_status=R.CERTIFICATION_STATUS_CERTIFIED, role=R.TERMINAL_ROLE_TERMINAL,
    )  # fmt: skip
    denied(dut.call("registry", "UpsertTerminal", terminal, role)[1], f"UpsertTerminal by {role}")
    promoted = R.Terminal()
    promoted.CopyFrom(victim)
    promoted.role = R.TERMINAL_ROLE_ADMIN
    denied(dut.call("registry", "UpsertTerminal", promoted, role)[1], f"{role} making a terminal admin")
    for rpc in ("IssueCredential", "RevokeCredential"):
        request = R.IssueCredentialRequest(terminal_id=victim.terminal_id)
        denied(dut.call("registry", rpc, request, role)[1], f"{rpc} for another terminal by {role}")
    denied(_kpis(dut, role), f"supervision Kpis by {role}")
    # the registry as the operator sees it: nothing was added, promoted, rotated or revoked
    _, error = dut.call("registry", "GetOrganisation", R.GetOrganisationRequest(code=new_org), "admin")
    assert error is not None and error.get("grpc") == "NOT_FOUND", f"organisation created by {role}: {error}"
    _, error = dut.call("registry", "GetTerminal", R.GetTerminalRequest(terminal_id=new_terminal), "admin")
    assert error is not None and error.get("grpc") == "NOT_FOUND", f"terminal created by {role}: {error}"
    got, error = dut.call(
        "registry", "GetTerminal", R.GetTerminalRequest(terminal_id=victim.terminal_id), "admin"
    )
    assert error is None and got.role == R.TERMINAL_ROLE_TERMINAL, f"{role} promoted a terminal to admin"
    # the throwaway's credential still signs (not rotated or revoked by the refused calls)
    probe = M.ResolveRequest(
        medium=M.MEDIUM_CITIZEN_ID, identifier=new_id_number(), context=dut.context("throwaway")
    )
    _, error = dut.call("main_index", "Resolve", probe, "throwaway")
    # (under a certified-terminals-only profile the throwaway is refused as not certified: that
    # check comes after the signature's, so its credential still signs)
    assert (
        error is None
        or error.get("grpc") == "NOT_FOUND"
        or error.get("code") == "NODE_TERMINAL_NOT_CERTIFIED"
    ), f"the credential was rotated or revoked: {error}"


@pytest.mark.requirement("NODE-AUTHZ-004")
@pytest.mark.parametrize("claimed", ["peer", "foreign"])
def test_a_terminal_cannot_act_in_another_terminals_name(dut, claimed):
    """Terminal 1 of org A signs; the context names ``claimed`` (terminal 2 of org A, or org B)."""
    other = dut.context(claimed)
    spoofed = dut.context("terminal", terminal_id=other.terminal_id, org_code=other.org_code)
    # Register in another's name: refused, and no person was created
    request = person_request(dut, context=spoofed)
    denied(dut.call("issuance", "Register", request)[1], f"Register claiming to be {claimed}")
    response, error = resolve_as_admin(dut, M.MEDIUM_CITIZEN_ID, request.document_number)
    assert error is not None and error.get("grpc") == "NOT_FOUND", "a refused Register created the person"
    r = register_as(dut, claimed)
    # suspend the other's card under its name: refused, card unchanged
    action = I.CardActionRequest(ehcid=r.card.ehcid, reason="spoofed", context=spoofed)
    denied(dut.call("issuance", "Suspend", action)[1], f"Suspend claiming to be {claimed}")
    assert card_of(dut, r.card.ehcid).card.status == C.CARD_STATUS_NORMAL, (
        "a refused Suspend changed the card"
    )
    # verify in another's name (the verification log would record the wrong terminal)
    verify = V.VerifyQrRequest(qr_text=r.qr_text, context=spoofed)
    denied(dut.call("verification", "VerifyQr", verify)[1], f"VerifyQr claiming to be {claimed}")


@pytest.mark.requirement("NODE-AUTHZ-004")
@pytest.mark.parametrize("claimed", ["foreign", "peer"])
def test_a_terminal_cannot_report_usage_in_another_terminals_name(dut, claimed):
    """A usage record names its terminal and organisation: terminal 1 of org A signs a record that
    names ``claimed`` (org B's terminal, or terminal 2 of org A). Refused, and not stored."""
    other = dut.context(claimed)
    r = register_as(dut, "terminal")
    record = _usage(dut, "terminal", r.card.ehcid, terminal_id=other.terminal_id, org_code=other.org_code)
    denied(dut.call("usage", "Report", record)[1], f"usage report claiming to be {claimed}")
    assert record.request_id not in _usage_ids(dut, r.card.ehcid), "a refused usage report was stored"


@pytest.mark.requirement("NODE-AUTHZ-004")
@pytest.mark.parametrize("claimed", ["foreign", "peer"])
def test_a_terminal_cannot_stream_usage_in_another_terminals_name(dut, claimed):
    """The batch path too: in a ReportStream (what front-end servers and store-and-forward queues
    use) a record naming another terminal or organisation is refused and not stored, while the
    terminal's own records in the same stream are."""
    import grpc

    other = dut.context(claimed)
    r = register_as(dut, "terminal")
    own = _usage(dut, "terminal", r.card.ehcid)
    spoofed = _usage(dut, "terminal", r.card.ehcid, terminal_id=other.terminal_id, org_code=other.org_code)
    try:
        acks = dut.stream("usage", "ReportStream", [own, spoofed])
    except grpc.RpcError as exc:  # a node may refuse the whole stream
        assert exc.code() == grpc.StatusCode.PERMISSION_DENIED, f"stream refused as {exc.code().name}"
        acks = []
    by_id = {a.request_id: a for a in acks}
    if spoofed.request_id in by_id:
        ack = by_id[spoofed.request_id]
        assert ack.error.code and not ack.accepted and not ack.duplicate, (
            f"streamed usage record claiming to be {claimed}: acknowledged"
        )
    stored = _usage_ids(dut, r.card.ehcid)
    assert spoofed.request_id not in stored, f"a streamed record claiming to be {claimed} was stored"
    if acks:
        assert own.request_id in stored, "the terminal's own streamed record was not stored"


@pytest.mark.requirement("NODE-AUTHZ-001", "NODE-AUTHZ-003")
@pytest.mark.parametrize("role", ["terminal", "foreign"])
def test_supervision_figures_of_one_organisation_are_operator_only(dut, role):
    """KPIs and ratings asked for one organisation (a hospital's "own dashboard"), its own or
    another's: still an operator method, refused to a terminal."""
    from reference_node.proto.ehc.node.v1 import supervision_pb2 as S

    today = dt.date.today().isoformat()
    for org in (dut.context("terminal").org_code, dut.context("foreign").org_code):
        request = S.KpiRequest(start_date=today, end_date=today, org_code=org)
        for rpc in ("Kpis", "Ratings"):
            denied(dut.call("supervision", rpc, request, role)[1], f"{rpc} of organisation {org} by {role}")


@pytest.mark.requirement("NODE-AUTHZ-002", "NODE-AUTHZ-003")
def test_an_organisation_registered_during_the_run_is_isolated_too(dut):
    """Isolation is not a table of the organisations that existed when the node started: the
    operator registers a new hospital and a terminal for it now, and that terminal may neither read
    nor change organisation A's card and records."""
    a = dut.context("terminal")
    org_code = f"{a.org_code[:-1]}8{new_digits(3)}"[:32]
    org = R.Organisation(code=org_code, name="TEST-ONLY 新增医院", level="2", area_code=a.use_city)
    assert dut.call("registry", "UpsertOrganisation", org, "admin")[1] is None, (
        "operator cannot add an organisation"
    )
    terminal_id = f"{org_code}5500{new_digits(2)}"
    description = "TEST-ONLY conformance late organisation"
    operator_terminal(dut, terminal_id, org_code, "01", description, "late", org_code=org_code)
    r = register_as(dut, "terminal")
    own = _usage(dut, "terminal", r.card.ehcid)
    assert dut.call("usage", "Report", own)[1] is None
    denied(
        dut.call("issuance", "GetCard", I.GetCardRequest(ehcid=r.card.ehcid), "late")[1],
        "GetCard by a new org",
    )
    action = I.CardActionRequest(ehcid=r.card.ehcid, reason="authorisation test", context=dut.context("late"))
    denied(dut.call("issuance", "Suspend", action, "late")[1], "Suspend by a new organisation")
    assert card_of(dut, r.card.ehcid).card.status == C.CARD_STATUS_NORMAL, (
        "a refused Suspend changed the card"
    )
    query = U.QueryUsageRequest(org_code=a.org_code)
    denied(dut.call("usage", "QueryUsage", query, "late")[1], "QueryUsage of org A by a new organisation")


@pytest.mark.requirement("SEC-013")
def test_a_revoked_or_rotated_credential_no_longer_signs(dut):
    """The operator rotates a terminal's secret, then revokes the credential: each old secret is
    refused at its very next call — not after a cache expires — and the refused calls change
    nothing. Under a certified-terminals-only profile (Jining 检测备案) the throwaway terminal is
    refused as not certified AFTER its signature is checked, so there a stale secret must be
    refused as unauthenticated."""
    from dataclasses import replace

    org = dut.context("terminal").org_code
    t = _throwaway_terminal(dut, org)
    first = dut.credentials("throwaway")
    r = register_as(dut, "terminal")
    probe = M.ResolveRequest(medium=M.MEDIUM_EHC_QR, identifier=r.qr_text, context=dut.context("throwaway"))
    _, error = dut.call("main_index", "Resolve", probe, "throwaway")
    uncertified = error is not None and error.get("code") == "NODE_TERMINAL_NOT_CERTIFIED"
    if not uncertified:
        allowed(error, "Resolve by a terminal with a fresh credential")

    def refused(role: str, what: str, request: Message = probe, service: str = "main_index") -> None:
        method = "Resolve" if service == "main_index" else "Suspend"
        _, error = dut.call(service, method, request, role)
        statuses = ("UNAUTHENTICATED",) if uncertified else ("UNAUTHENTICATED", "PERMISSION_DENIED")
        assert error is not None and error.get("grpc") in statuses, f"{what}: {error or 'accepted'}"

    cred, error = dut.call(
        "registry", "IssueCredential", R.IssueCredentialRequest(terminal_id=t.terminal_id), "admin"
    )
    assert error is None, f"the operator cannot rotate a credential: {error}"
    dut.add_identity("rotated", replace(first, secret=bytes.fromhex(cred.secret_hex)))
    dut.add_identity("stale", first)
    refused("stale", "the replaced secret still signs")
    _, error = dut.call("main_index", "Resolve", probe, "rotated")
    if not uncertified:
        allowed(error, "Resolve with the new secret")
    request = R.IssueCredentialRequest(terminal_id=t.terminal_id)
    assert dut.call("registry", "RevokeCredential", request, "admin")[1] is None, "the operator cannot revoke"
    action = I.CardActionRequest(
        ehcid=r.card.ehcid, reason="revoked credential", context=dut.context("rotated")
    )
    refused("rotated", "Suspend with a revoked credential", action, "issuance")
    assert card_of(dut, r.card.ehcid).card.status == C.CARD_STATUS_NORMAL, (
        "a revoked credential changed a card"
    )
    refused("rotated", "Resolve with a revoked credential")
