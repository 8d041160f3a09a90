"""Province rules a node enforces itself (issue #15): Jining's hospital-card dates and certified
terminals (检测备案) and its dynamic-code re-issue refusal, Zibo's citizen-ID main-index key,
newborns found by the birth certificate, priority groups and their coverage (Sichuan), the pilot
county (Hengyang) or district (Zibo).

Each test looks for the way a vendor would break the rule while passing the obvious check: a date
enforced at one entry point only or judged on the terminal's clock, a certificate taken from the
registry's flag or required for writes only, a re-issue refusal that looks for the same request,
a group's coverage over every resident. Verdicts come from the node's own answers and records.

The kit's reference node under certification runs with the certificate rule off (the suite's own
identities hold no certificate) and the hospital-card dates off (the HIS suite moves a visit
around them): these tests turn each on, for the test, on the reference node the adapter started
(behind a mutant's proxy too). A remote node's own clock is past both dates and its profile's
rules are on as it runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from reference_node.proto.ehc.node.v1 import common_pb2 as C
from reference_node.proto.ehc.node.v1 import issuance_pb2 as I
from reference_node.proto.ehc.node.v1 import main_index_pb2 as M
from reference_node.proto.ehc.node.v1 import usage_pb2 as U
from reference_node.proto.ehc.node.v1 import verification_pb2 as V

from .helpers import (
    CST,
    assert_client_error,
    card_action,
    new_digits,
    new_id_number,
    new_newborn,
    new_request_id,
    operator_terminal,
    person_request,
    qr,
    reference_node,
    register,
    verify,
)


def _pin_day(dut: Any, day: dt.date | None) -> bool:
    """Pin (None: release) the day the reference node judges the hospital-card dates on (the
    dates themselves are on for the whole suite, conftest.py); False for a remote node."""
    node = reference_node(dut)
    if node is None:
        return False
    from reference_node.policy import set_policy_day

    set_policy_day(node, day)
    return True


@contextlib.contextmanager
def _certificate_rule(dut: Any) -> Iterator[None]:
    """The 检测备案 rule on for the block as the profile deploys it (the reference node certifies
    with it off)."""
    from conformance_tests.adapters.node import CERTIFICATE_RULE, with_deployed_rules

    node = reference_node(dut)
    if node is None:
        yield
        return
    before = node.config
    node.config = with_deployed_rules(before, dut.profile, CERTIFICATE_RULE)
    try:
        yield
    finally:
        node.config = replace(node.config, require_certified_terminals=before.require_certified_terminals)


def _today() -> dt.date:
    return dt.datetime.now(CST).date()


def _usage(dut: Any, role: str = "terminal", **over: Any) -> U.UsageRecord:
    context = dut.context(role)
    fields = dict(
        request_id=new_request_id("prof"),
        time=dt.datetime.now(CST).strftime("%Y%m%d%H%M%S"),
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
        terminal_id=context.terminal_id,
    )
    fields.update(over)
    return U.UsageRecord(**fields)


def _stored(dut: Any, record: U.UsageRecord) -> bool:
    """Whether the node holds the usage record (its second, read as the operator)."""
    second = dt.datetime.strptime(record.time, "%Y%m%d%H%M%S")
    response, error = dut.call(
        "usage",
        "QueryUsage",
        U.QueryUsageRequest(
            org_code=record.org_code,
            from_time=record.time,
            to_time=f"{second + dt.timedelta(seconds=1):%Y%m%d%H%M%S}",
            limit=1000,
        ),
        "admin",
    )
    assert error is None, f"QueryUsage as the operator refused: {error}"
    return any(r.request_id == record.request_id for r in response.records)


# ----------------------------------------------------------------- Jining: hospital cards


def _link_hospital_card(dut: Any, main_index: str, number: str) -> dict | None:
    request = M.LinkMediumRequest(
        main_index=main_index, medium=M.MEDIUM_HOSPITAL_CARD, identifier=number,
        issuer=dut.context().org_code, context=dut.context(),
    )  # fmt: skip
    return dut.call("main_index", "LinkMedium", request)[1]


def _resolve_hospital_card(dut: Any, number: str, terminal_time: str = "") -> tuple[Any, dict | None]:
    context = dut.context()
    if terminal_time:
        context.time = terminal_time
    request = M.ResolveRequest(
        medium=M.MEDIUM_HOSPITAL_CARD, identifier=number, issuer=dut.context().org_code, context=context
    )
    return dut.call("main_index", "Resolve", request)


def _stop(profile: Any, key: str) -> dt.date:
    day = dt.date.fromisoformat(str(profile.param(f"hospital_cards.{key}")))
    assert _today() >= day, f"the run's clock is before the profile's {key} date"
    return day


@pytest.mark.requirement("NODE-HOSP-002")
def test_no_hospital_card_is_issued_after_the_stop_issuing_date(dut, profile):
    _stop(profile, "stop_issue")
    person = register(dut)
    card = f"HC{new_digits(10)}"
    error = _link_hospital_card(dut, person.person.main_index, card)
    assert_client_error(error, "hospital card linked after the stop-issuing date")
    _, error = _resolve_hospital_card(dut, card)
    assert error is not None, "a hospital card linked after the stop-issuing date resolves to a person"


@pytest.mark.requirement("NODE-HOSP-001")
def test_hospital_cards_are_refused_everywhere_after_the_stop_using_date(dut, profile):
    stop_issue, stop_use = _stop(profile, "stop_issue"), _stop(profile, "stop_use")
    person = register(dut)
    card = f"HC{new_digits(10)}"
    # the reference node: a card issued the day before the stop-issuing date, then the node's day
    # is today; a remote node's clock is past both dates (it holds no card it may still accept)
    linked = _pin_day(dut, stop_issue - dt.timedelta(days=1))
    try:
        if linked:
            assert _link_hospital_card(dut, person.person.main_index, card) is None, (
                "hospital card not linked the day before the stop-issuing date"
            )
            found, error = _resolve_hospital_card(dut, card)
            assert error is None and found.person.main_index == person.person.main_index, error
            _pin_day(dut, _today())
        # presented after the stop-using date: refused on the node's clock, also when the terminal
        # says it is the day before the date
        for told in ("", f"{stop_use - dt.timedelta(days=1):%Y%m%d}100000"):
            _, error = _resolve_hospital_card(dut, card, told)
            assert error is not None, (
                f"hospital card resolved after the stop-using date (terminal time {told or 'none'})"
            )
        # usage reports of card type 80, unary and streamed: refused and not stored
        unary = _usage(dut, card_type="80", card_number=card)
        assert_client_error(dut.call("usage", "Report", unary)[1], "card-type-80 usage report")
        streamed = _usage(dut, card_type="80", card_number=f"HC{new_digits(10)}")
        (ack,) = dut.stream("usage", "ReportStream", [streamed])
        assert ack.error.code and not ack.accepted, "card-type-80 usage report acknowledged in a stream"
        for record in (unary, streamed):
            assert not _stored(dut, record), "a refused card-type-80 usage report is stored"
    finally:
        _pin_day(dut, None)


# ----------------------------------------------------------------- Jining: certified terminals


def _uncertified_terminal(dut: Any) -> None:
    """A terminal of the suite's organisation that the operator registers as CERTIFIED in the
    registry, with a credential, but for which no certification report was ever registered."""
    org = dut.context().org_code
    terminal_id = f"{org}9901{new_digits(4)}"
    description = "TEST-ONLY conformance: registered, no certification report"
    operator_terminal(dut, terminal_id, org, "99", description, "uncertified", department="9901")


@pytest.mark.requirement("NODE-CERT-001")
def test_a_terminal_without_a_certification_report_may_not_use_the_node(dut):
    holder = register(dut)
    _uncertified_terminal(dut)
    role = "uncertified"
    with _certificate_rule(dut):
        report = _usage(dut, role, ehcid=holder.card.ehcid)
        calls = {
            "VerifyQr (static code)": lambda: dut.call(
                "verification",
                "VerifyQr",
                V.VerifyQrRequest(qr_text=holder.qr_text, context=dut.context(role)),
                role,
            )[1],
            "Resolve (citizen ID)": lambda: dut.call(
                "main_index",
                "Resolve",
                M.ResolveRequest(
                    medium=M.MEDIUM_CITIZEN_ID,
                    identifier=holder.person.document_number,
                    context=dut.context(role),
                ),
                role,
            )[1],  # fmt: skip
            "GetQrCode (static)": lambda: dut.call(
                "issuance",
                "GetQrCode",
                I.GetQrCodeRequest(
                    ehcid=holder.card.ehcid, code_type=C.CODE_TYPE_STATIC, context=dut.context(role)
                ),
                role,
            )[1],  # fmt: skip
            "Register": lambda: dut.call(
                "issuance", "Register", person_request(dut, context=dut.context(role)), role
            )[1],
            "Report": lambda: dut.call("usage", "Report", report, role)[1],
        }
        for what, call in calls.items():
            error = call()
            assert error is not None, f"{what} by a terminal without a certification report: accepted"
            assert error.get("grpc") in ("UNAUTHENTICATED", "PERMISSION_DENIED"), (
                f"{what} by an uncertified terminal refused as {error.get('grpc')} ({error.get('code')})"
            )
    assert not _stored(dut, report), "a report of an uncertified terminal is stored"


# ----------------------------------------------------------------- Jining: re-issue refusal


@pytest.mark.requirement("QR-DYN-007")
def test_reissue_is_refused_whatever_the_new_request_asks(dut, profile):
    """While a dynamic code of the card is valid, a new one is refused — also when the app asks
    for another lifetime or count (a refusal keyed on the request is no refusal)."""
    refused = bool(profile.param("dynamic_code.refuse_reissue_while_valid"))
    card = register(dut).card
    first, error = qr(dut, card.ehcid, dynamic=True, lifetime_seconds=120)
    assert error is None, error
    for over in ({"lifetime_seconds": 60}, {"lifetime_seconds": 90, "max_verifications": 2}, {}):
        _, error = qr(dut, card.ehcid, dynamic=True, **over)
        what = f"second dynamic code while the first is valid ({over or 'defaults'})"
        if refused:
            assert_client_error(error, what)
        else:  # the profile allows it: whatever is asked
            assert error is None, f"{what}: {error}"
    assert verify(dut, first.qr_text)[1] is None, "the first code no longer verifies"


# ----------------------------------------------------------------- Zibo: main-index key


@pytest.mark.requirement("NODE-EMPI-006")
def test_a_formal_card_needs_the_citizen_id(dut, profile):
    """Zibo (seed 002 §二(一)): the citizen ID is the main-index key — a formal card on a passport
    has no key, so it is refused, and nobody is found by that passport."""
    passport = f"E{new_digits(8)}"
    request = person_request(dut, document_type="03", document_number=passport, area_code="370302")
    request.birth_date = "1990-01-01"
    _, error = dut.call("issuance", "Register", request)
    assert_client_error(error, "formal card keyed on a passport")
    found, error = dut.call(
        "main_index", "Resolve",
        M.ResolveRequest(medium=M.MEDIUM_DOCUMENT, document_type="03", identifier=passport, context=dut.context()),
    )  # fmt: skip
    assert error is not None, "a person keyed on a passport was created"
    # the batch importer (pre-generation, mode 4) follows the same key
    batch_passport = f"E{new_digits(8)}"
    rid = new_request_id("empi")
    record = person_request(
        dut, document_type="03", document_number=batch_passport, area_code="370302", application_mode="4",
        request_id=rid, birth_date="1990-01-01",
    )  # fmt: skip
    results = dut.stream("issuance", "RegisterBatch", [record], role="admin")
    items = {item.request_id: item for result in results for item in result.items}
    assert rid in items and not items[rid].ok, "a formal card keyed on a passport in a batch registration"


# ----------------------------------------------------------------- newborns


@pytest.mark.requirement("NODE-TEMP-003")
def test_a_newborn_is_found_by_the_birth_certificate(dut, profile):
    """The 出生医学证明 number is the medium the child is found by before any ID number exists."""
    if "birth-certificate" not in profile.media:
        pytest.skip(f"profile {profile.name} does not take the birth certificate")
    guardian = new_id_number()
    register(dut, id_number=guardian)
    certificate = f"N{new_id_number()[8:17]}"
    baby, error = dut.call(
        "issuance", "RegisterNewborn",
        I.RegisterNewbornRequest(
            birth_certificate=certificate, document_type=str(profile.param("newborn.document_type")),
            name="新生儿", sex="2", nation="01", birth_date=new_newborn()[0], area_code="370811",
            guardian_document_type="01", guardian_document_number=guardian, application_mode="3",
            context=dut.context(),
        ),
    )  # fmt: skip
    assert error is None, error
    found, error = dut.call(
        "main_index", "Resolve",
        M.ResolveRequest(medium=M.MEDIUM_BIRTH_CERTIFICATE, identifier=certificate, context=dut.context()),
    )  # fmt: skip
    assert error is None, f"the newborn is not found by the birth certificate: {error}"
    assert found.person.main_index == baby.person.main_index
    assert baby.card.ehcid in [c.ehcid for c in found.cards]


# ----------------------------------------------------------------- priority groups


GROUPS = ("poverty", "employee", "family-planning", "birth-registration")


@pytest.mark.requirement("NODE-REG-009")
def test_priority_groups_are_issued_in_batch_and_kept(dut):
    """Each group can be issued in one batch and the node keeps who belongs to it (read back)."""
    ids = {group: new_request_id("grp") for group in GROUPS}
    requests = [
        person_request(dut, application_mode="4", request_id=rid, priority_groups=[group],
                       poverty_relief=group == "poverty")
        for group, rid in ids.items()
    ]  # fmt: skip
    results = dut.stream("issuance", "RegisterBatch", requests, role="admin")
    items = {item.request_id: item for result in results for item in result.items}
    for (group, rid), request in zip(ids.items(), requests, strict=True):
        assert items[rid].ok, f"batch record of group {group} refused: {items[rid].error.code}"
        read, error = dut.call(
            "issuance", "Query",
            I.QueryRequest(document_type="01", document_number=request.document_number), "admin",
        )  # fmt: skip
        assert error is None, error
        assert group in read.person.priority_groups, (
            f"group {group} not kept: the node has {list(read.person.priority_groups)}"
        )


def _kpis(dut: Any, day: dt.date, area: str) -> Any:
    from reference_node.proto.ehc.node.v1 import supervision_pb2 as S

    report, error = dut.call(
        "supervision", "Kpis", S.KpiRequest(start_date=day.isoformat(), end_date=day.isoformat(), area_code=area),
        "admin",
    )  # fmt: skip
    assert error is None, error
    return report


@pytest.mark.requirement("SUP-012")
def test_each_priority_group_is_rated_over_its_own_members(dut, profile):
    """Sichuan (seed 004 §三(一)): the coverage of a group is its members holding a card over its
    members — not over every resident of the area — rated against the group's own target."""
    from reference_node.proto.ehc.node.v1 import supervision_pb2 as S

    county, group = "510107", "employee"
    (target,) = [t for t in profile.param("kpi.coverage") if t.get("population") == group]
    today = _today()

    def row(report: Any) -> Any:
        return next((r for r in report.groups if r.group == group), None)

    before = row(_kpis(dut, today, county))
    members = [
        register(dut, id_number=new_id_number(county), area_code=county, priority_groups=[group])
        for _ in range(4)
    ]
    for _ in range(2):
        register(dut, id_number=new_id_number(county), area_code=county)  # residents of no group
    assert card_action(dut, "Cancel", members[0].card.ehcid)[1] is None
    held = _kpis(dut, today, county).summary.holders
    # many more residents than cards: a rate over residents is far below one over members
    _, error = dut.call(
        "supervision", "SetPopulation",
        S.SetPopulationRequest(figures=[S.PopulationFigure(area_code=county, population=10 * held + 10)],
                               source="conformance"),
        "admin",
    )  # fmt: skip
    assert error is None, error
    report = _kpis(dut, today, county)
    now = row(report)
    assert now is not None, f"no coverage row for group {group}"
    m0, h0 = (before.members, before.holders) if before is not None else (0, 0)
    assert (now.members - m0, now.holders - h0) == (4, 3), (
        f"members/holders of {group} added: {now.members - m0}/{now.holders - h0}, expected 4/3"
    )
    denominator = now.population or now.members
    assert now.coverage == pytest.approx(now.holders / denominator), (
        f"{group} coverage {now.coverage} is not holders {now.holders} / members {denominator}"
    )
    mark = next(m for m in report.summary.marks if m.kpi == now.kpi)
    assert (
        mark.target.threshold == pytest.approx(target["min"]) and mark.target.deadline == target["until"]
    ), mark
    assert mark.value == pytest.approx(now.coverage) and mark.colour != "blue", mark


# ----------------------------------------------------------------- pilot county / district


@pytest.mark.requirement("NODE-PILOT-001")
def test_a_registration_without_residence_is_of_the_pilot_area(dut, profile):
    area = profile.param("area.county") or profile.param("area.district")
    assert area, f"profile {profile.name} names no pilot county or district"
    today = _today()
    held = _kpis(dut, today, str(area)).summary.holders
    person = register(dut, area_code="")
    assert person.person.area_code == area, (
        f"a resident who names no residence is filed under {person.person.area_code!r}, not {area}"
    )
    assert _kpis(dut, today, str(area)).summary.holders - held == 1, (
        f"the pilot area {area} does not count the new holder"
    )
