"""Cross-domain main index (every medium resolves to one person), usage reports, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from reference_node.proto.ehc.node.v1 import issuance_pb2 as I
from reference_node.proto.ehc.node.v1 import main_index_pb2 as M
from reference_node.proto.ehc.node.v1 import usage_pb2 as U

from .helpers import (
    assert_client_error,
    card_action,
    new_digits,
    new_id_number,
    new_request_id,
    person_request,
    register,
)


def resolve(dut, medium: M.Medium, identifier: str, **extra):
    return dut.call(
        "main_index",
        "Resolve",
        M.ResolveRequest(medium=medium, identifier=identifier, context=dut.context(), **extra),
    )


def link(dut, main_index: str, medium: M.Medium, identifier: str, **extra):
    request = M.LinkMediumRequest(
        main_index=main_index, medium=medium, identifier=identifier, context=dut.context("admin"), **extra
    )
    return dut.call("main_index", "LinkMedium", request, "admin")


@pytest.mark.requirement("NODE-EMPI-001")
def test_qr_code_resolves_to_the_person(dut):
    r = register(dut)
    response, error = resolve(dut, M.MEDIUM_EHC_QR, r.qr_text)
    assert error is None and response.person.main_index == r.person.main_index


@pytest.mark.requirement("NODE-EMPI-002", "NODE-EMPI-006", "ID-012")
def test_citizen_id_resolves_to_the_person(dut):
    r = register(dut)
    response, error = resolve(dut, M.MEDIUM_CITIZEN_ID, r.person.document_number)
    assert error is None and response.person.main_index == r.person.main_index
    assert r.card.ehcid in [c.ehcid for c in response.cards]
    ssn, error = resolve(dut, M.MEDIUM_SOCIAL_SECURITY_CARD, r.person.document_number)
    assert error is None and ssn.person.main_index == r.person.main_index, (
        "social security number = ID number"
    )


@pytest.mark.requirement("NODE-EMPI-002", "NODE-EMPI-003", "NODE-EMPI-006")
@pytest.mark.parametrize("area", ["110105", "510100", "430426", "370302"])
def test_citizen_ids_issued_in_other_areas_resolve_too(dut, area):
    """一卡通 across domains: a resident whose ID number was issued elsewhere (Beijing, Chengdu,
    Qidong, Zichuan) is found by the ID card and the social security card like a local one — the
    suite's other persons all carry the node's own city in their numbers."""
    r = register(dut, id_number=new_id_number(area))
    for medium in (M.MEDIUM_CITIZEN_ID, M.MEDIUM_SOCIAL_SECURITY_CARD):
        response, error = resolve(dut, medium, r.person.document_number)
        assert error is None and response.person.main_index == r.person.main_index, (
            f"{M.Medium.Name(medium)} of an ID issued in {area}: {error or 'another person'}"
        )


@pytest.mark.requirement("NODE-EMPI-003")
def test_social_security_card_resolves_to_the_person(dut):
    r = register(dut, social_security_card_number="A" + r_digits(8))
    response, error = resolve(dut, M.MEDIUM_SOCIAL_SECURITY_CARD, r.person.document_number)
    assert error is None and response.person.main_index == r.person.main_index


def r_digits(n: int) -> str:
    return new_digits(n)  # fresh on every run: an earlier run may have linked the same token


@pytest.mark.requirement("NODE-EMPI-004")
def test_resident_health_card_resolves_to_the_person(dut):
    r = register(dut)
    number = r.person.document_number  # 卡号 = ID number (DIGEST §1.1)
    _, error = link(dut, r.person.main_index, M.MEDIUM_RESIDENT_HEALTH_CARD, number)
    assert error is None, error
    response, error = resolve(dut, M.MEDIUM_RESIDENT_HEALTH_CARD, number)
    assert error is None and response.person.main_index == r.person.main_index


@pytest.mark.requirement("NODE-EMPI-005", "NODE-EMPI-008")
@pytest.mark.parametrize("medium", ["citizen-card", "bank-card"])
def test_citizen_and_bank_cards_resolve_after_linking(dut, profile, medium):
    if medium not in profile.media:  # e.g. Hengyang and Sichuan take the bank card, not the citizen card
        pytest.skip(f"medium {medium} is not accepted by profile {profile.name}")
    r = register(dut)
    enum = {"citizen-card": M.MEDIUM_CITIZEN_CARD, "bank-card": M.MEDIUM_BANK_CARD_TOKEN}[medium]
    token = f"TOK{r_digits(12)}"
    _, error = link(dut, r.person.main_index, enum, token)
    assert error is None, error
    response, error = resolve(dut, enum, token)
    assert error is None and response.person.main_index == r.person.main_index


@pytest.mark.requirement("NODE-EMPI-007")
@pytest.mark.parametrize("medium", ["citizen-id", "linked-card"])
def test_unknown_media_are_not_found(dut, profile, medium):
    from .helpers import new_id_number

    # a linked card the profile takes: the bank card token, else the social security card
    card = M.MEDIUM_BANK_CARD_TOKEN if "bank-card" in profile.media else M.MEDIUM_SOCIAL_SECURITY_CARD
    enum, identifier = {
        "citizen-id": (M.MEDIUM_CITIZEN_ID, new_id_number()),
        "linked-card": (card, "TOKNOBODY"),
    }[medium]
    _, error = resolve(dut, enum, identifier)
    assert_client_error(error, f"unknown {medium}")
    assert error["grpc"] == "NOT_FOUND"


def usage(dut, ehcid: str = "", **over):
    context = dut.context()
    fields = dict(
        request_id=new_request_id("conf"),
        time=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d%H%M%S"),
        org_code=context.org_code,
        org_name=context.org_name,
        use_city=context.use_city,
        scene="0101012",
        medical_step="010101",
        department="5500",
        card_type="11",
        channel="0100",
        payment_category="0100",
        visit_type="O",
        ehcid=ehcid,
        terminal_id=context.terminal_id,
    )
    fields.update(over)
    return U.UsageRecord(**fields)


@pytest.mark.requirement("NODE-USAGE-001", "NODE-USAGE-006", "HIS-011")
@pytest.mark.parametrize(
    "step",
    [
        "registration",
        "queue",
        "consultation",
        "payment",
        "lab",
        "imaging",
        "pharmacy",
        "inpatient",
        "checkup",
    ],
)
def test_usage_reports_for_every_full_process_step(dut, profile, step):
    r = register(dut)
    scene = str(profile.param(f"scenes.{step}"))
    visit = "H" if step == "checkup" else ("I" if step == "inpatient" else "O")
    ack, error = dut.call(
        "usage", "Report", usage(dut, r.card.ehcid, scene=scene, medical_step=scene[:6], visit_type=visit)
    )
    assert error is None, f"{step} ({scene}): {error}"
    assert ack.accepted and not ack.duplicate


@pytest.mark.requirement("NODE-USAGE-004", "NODE-USAGE-002")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scene", "9999999"),
        ("channel", "0999"),
        ("payment_category", "0500"),
        ("card_type", "77"),
        ("visit_type", "Z"),
    ],
)
def test_usage_with_unknown_codes_is_refused(dut, field, value):
    r = register(dut)
    _, error = dut.call("usage", "Report", usage(dut, r.card.ehcid, **{field: value}))
    assert_client_error(error, f"usage with {field}={value}")


@pytest.mark.requirement("NODE-USAGE-005", "SUP-010")
def test_usage_reports_are_idempotent(dut):
    r = register(dut)
    record = usage(dut, r.card.ehcid)
    first, error = dut.call("usage", "Report", record)
    assert error is None and first.accepted
    again, error = dut.call("usage", "Report", record)
    assert error is None and again.duplicate and not again.accepted
    listed, error = dut.call("usage", "QueryUsage", U.QueryUsageRequest(ehcid=r.card.ehcid), "admin")
    assert error is None and [u.request_id for u in listed.records].count(record.request_id) == 1


RETRY_AFTER_REPORTS = 200


@pytest.mark.requirement("NODE-USAGE-005", "SUP-010")
def test_a_retry_after_many_other_reports_is_still_a_duplicate(dut):
    """A terminal's store-and-forward queue drains after an outage: the retry of a report comes
    after a few hundred others. A node that remembers only its last N request ids (an in-memory
    LRU) recognises a retry sent at once and stores this one a second time."""
    r = register(dut)
    record = usage(dut, r.card.ehcid)
    first, error = dut.call("usage", "Report", record)
    assert error is None and first.accepted, error
    other = register(dut)
    fillers = [usage(dut, other.card.ehcid) for _ in range(RETRY_AFTER_REPORTS)]
    acks = dut.stream("usage", "ReportStream", fillers)
    assert len(acks) == len(fillers) and not [a for a in acks if a.error.code], "filler reports refused"
    again, error = dut.call("usage", "Report", record)
    assert error is None and again.duplicate and not again.accepted, (
        f"retry after {RETRY_AFTER_REPORTS} other reports not answered as a duplicate: {again or error}"
    )
    streamed = dut.stream("usage", "ReportStream", [record])
    assert streamed and streamed[0].duplicate and not streamed[0].accepted, "streamed retry stored as new"
    listed, error = dut.call("usage", "QueryUsage", U.QueryUsageRequest(ehcid=r.card.ehcid), "admin")
    assert error is None
    count = [u.request_id for u in listed.records].count(record.request_id)
    assert count == 1, f"the report is stored {count} times"


@pytest.mark.requirement("NODE-USAGE-003")
def test_physical_card_usage_is_accepted_and_stored_masked(dut):
    r = register(dut)
    record = usage(
        dut,
        card_type="10",
        card_number=r.person.document_number,
        atr="3B6C00005710012001123456784843 01".replace(" ", ""),
        sam_number="MA0000000X0010001",
    )
    ack, error = dut.call("usage", "Report", record)
    assert error is None and ack.accepted, error


@pytest.mark.requirement("SEC-005")
def test_card_actions_are_audited_with_who_and_when(dut):
    r = register(dut)
    assert card_action(dut, "Suspend", r.card.ehcid)[1] is None
    audit, error = dut.call(
        "main_index", "GetAudit", M.GetAuditRequest(main_index=r.person.main_index, limit=20), "admin"
    )
    assert error is None
    entries = [e for e in audit.entries if e.action == "suspend"]
    assert entries, "suspend not audited"
    assert entries[0].terminal_id and entries[0].time and entries[0].org_code
    assert r.person.document_number not in entries[0].detail


def _audit_count(dut, main_index: str, terminal_id: str) -> tuple[int, list]:
    audit, error = dut.call(
        "main_index", "GetAudit", M.GetAuditRequest(main_index=main_index, limit=200), "admin"
    )
    assert error is None, f"GetAudit refused to the operator: {error}"
    mine = [e for e in audit.entries if e.terminal_id == terminal_id]
    return len(mine), mine


@pytest.mark.requirement("SEC-005")
@pytest.mark.parametrize("read", ["GetCard", "Query", "Resolve", "repeat Register"])
def test_every_read_of_personal_data_is_audited(dut, read):
    """A read that returns a holder's name and ID number leaves an entry naming the terminal, its
    organisation and the time, with the ID number masked; nodes may write audit entries in groups,
    so the entry is awaited for up to 5 s."""
    import time as _time

    r = register(dut)
    terminal = dut.context().terminal_id
    before, _ = _audit_count(dut, r.person.main_index, terminal)
    number = r.person.document_number
    if read == "GetCard":
        answer, error = dut.call("issuance", "GetCard", I.GetCardRequest(ehcid=r.card.ehcid))
    elif read == "Query":
        answer, error = dut.call("issuance", "Query", I.QueryRequest(main_index=r.person.main_index))
    elif read == "Resolve":
        answer, error = dut.call(
            "main_index",
            "Resolve",
            M.ResolveRequest(medium=M.MEDIUM_CITIZEN_ID, identifier=number, context=dut.context()),
        )
    else:
        answer, error = dut.call("issuance", "Register", person_request(dut, id_number=number))
    assert error is None and answer is not None, f"{read} refused to the issuing terminal: {error}"
    deadline = _time.monotonic() + 5
    while True:
        after, entries = _audit_count(dut, r.person.main_index, terminal)
        if after > before or _time.monotonic() > deadline:
            break
        _time.sleep(0.1)
    assert after > before, f"{read} returned personal data and left no audit entry"
    for entry in entries:  # the terminal's entries on this holder: complete and masked
        assert entry.time and entry.org_code, f"audit entry {entry.action!r} lacks time or organisation"
        assert number not in entry.detail, f"audit entry {entry.action!r} holds the full ID number"


@pytest.mark.requirement("SEC-001")
def test_no_api_returns_key_material(dut):
    """Every response message of ehc.node.v1 (as the node publishes it) is checked for key fields."""
    from reference_node.proto.ehc.node.v1 import (
        issuance_pb2,
        main_index_pb2,
        registry_pb2,
        usage_pb2,
        verification_pb2,
    )

    suspicious = []
    for module in (issuance_pb2, main_index_pb2, registry_pb2, usage_pb2, verification_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                stack, seen = [method.output_type], set()
                while stack:
                    message = stack.pop()
                    if message.full_name in seen:
                        continue
                    seen.add(message.full_name)
                    for f in message.fields:
                        if any(
                            w in f.name
                            for w in ("protect_key", "root_key", "security_key", "master", "private")
                        ):
                            suspicious.append(f"{service.name}.{method.name}: {message.name}.{f.name}")
                        if f.message_type is not None:
                            stack.append(f.message_type)
    assert not suspicious, suspicious
    r = register(dut)
    got, _ = dut.call("issuance", "GetCard", I.GetCardRequest(ehcid=r.card.ehcid), "admin")
    assert got is not None
