"""HIS: patients go through the full process (seed 001); verdicts rest on the kit's own evidence.

The evidence is what the node received — its usage records (QueryUsage) and media links — and the
transcript of the kit's proxy, through which the HIS reaches the node (every VerifyQr, Resolve,
LinkMedium and usage Report with its request id, scene, card type, organisation and outcome).
What the driver answers (``patient``, ``steps[].reported``, ``pay_later``) is only compared with
that evidence: a claim the node did not see fails the requirement it stands for.

With ``--api tencent`` the HIS speaks the Tencent HealthCardOpenAPI envelope to the kit's sandbox
URL; the kit's HTTP proxy records each envelope call under the node method it reaches (verifyQRCode
→ VerifyQr, registerHealthCard → Register, reportHISData → Report, bindCardRelation → LinkMedium,
getHealthCardByQRCode → Resolve), so the same checks apply. What the envelope cannot carry is
handled explicitly where it matters (visit type, poverty-relief flag, hospital-card lookup).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conformance_tests.suites.node.helpers import card_action, new_digits, new_id_number, register
from reference_node.proto.ehc.node.v1 import issuance_pb2 as I
from reference_node.proto.ehc.node.v1 import main_index_pb2 as M
from reference_node.proto.ehc.node.v1 import usage_pb2 as U

STEPS = [
    "registration",
    "queue",
    "consultation",
    "payment",
    "lab",
    "imaging",
    "pharmacy",
    "inpatient",
    "checkup",
]
STEP_REQUIREMENT = {
    "registration": "HIS-002",
    "queue": "HIS-003",
    "consultation": "HIS-004",
    "payment": "HIS-005",
    "lab": "HIS-006",
    "imaging": "HIS-007",
    "pharmacy": "HIS-008",
    "inpatient": "HIS-009",
    "checkup": "HIS-010",
}
#: node calls that identify a patient (Register answers the person on record for a known document)
IDENTIFY = ("VerifyQr", "Resolve", "Register")
#: card type a usage report must carry for the medium the kit presented (ehc.spec.codes.CARD_MEDIA)
CARD_TYPE = {
    "ehc-qr-static": "11",
    "resident-card": "10",
    "id-card": "20",
    "ssc": "30",
    "hospital-card": "80",
}
MEDIA = ["ehc-qr-static", "resident-card", "id-card", "ssc"]
REPORT = "/ehc.node.v1.UsageService/Report"
CST = dt.timezone(dt.timedelta(hours=8))


def _api(dut: Any) -> str:
    """How the HIS reaches the node: grpc (ehc.node.v1) or tencent (the HealthCardOpenAPI envelope)."""
    return getattr(dut, "api", "grpc")


def _shown(call: Any) -> str:
    """What the HIS showed the node in an identification call (code text or card number)."""
    r = call.request
    if r is None:
        return ""
    return (r.qr_text if call.name == "VerifyQr" else getattr(r, "identifier", "")) or ""


def _usage(dut: Any, ehcid: str) -> list:
    records, error = dut.node.call(
        "usage", "QueryUsage", U.QueryUsageRequest(ehcid=ehcid, limit=100), "admin"
    )
    assert error is None, error
    return list(records.records)


def _visit(dut: Any, patient: dict, steps: list[str], **fields: Any) -> tuple[dict, list]:
    """The driver's answer and the calls the node received during the visit (proxy transcript)."""
    mark = dut.proxy.mark()
    answer = dut.request("visit", patient=patient, steps=steps, **fields)
    return answer, dut.proxy.since(mark)


def _qr(r: Any) -> dict:
    return {"medium": "ehc-qr-static", "qr_text": r.qr_text}


def _patient(dut: Any, medium: str, r: Any, number: str) -> dict:
    """What the kit presents: the e-card code, or a card read by its number. A resident health card
    (card number = the holder's ID number, DIGEST §1.1 item 8) is first linked at the node, as the
    issuer does when it hands the card out."""
    if medium.startswith("ehc"):
        return _qr(r)
    # a card read gives what the card holds besides its number (an ID card: name, sex, nation,
    # birth date); an envelope HIS registers / looks up the holder with it
    p = r.person
    read = {"medium": medium, "identifier": number, "name": p.name, "sex": p.sex, "nation": p.nation}
    read["birth_date"] = p.birth_date
    if medium == "resident-card":
        _, error = dut.node.call(
            "main_index",
            "LinkMedium",
            M.LinkMediumRequest(
                main_index=r.person.main_index,
                medium=M.MEDIUM_RESIDENT_HEALTH_CARD,
                identifier=number,
                context=dut.node.context(),
            ),
        )
        assert error is None, f"the kit could not link the resident health card: {error}"
    return read


def _reports(calls: list, accepted_only: bool = True) -> list:
    return [c for c in calls if c.name == "Report" and (not accepted_only or c.status == "OK")]


def _identified_first(calls: list, what: str, patient: dict | None = None) -> None:
    """The node was asked who the patient is — with what the kit presented, when given — and
    answered, before the first card use was reported."""
    first_report = next((i for i, c in enumerate(calls) if c.name == "Report"), len(calls))
    asked = [c for c in calls[:first_report] if c.name in IDENTIFY and c.status == "OK"]
    if patient is not None:
        shown = patient.get("qr_text") or patient.get("identifier")
        assert shown, f"{what}: the kit's patient has neither a QR text nor an identifier"
        asked = [c for c in asked if shown in _shown(c)]
    assert asked, f"{what}: no identification at the node before the first usage report ({_names(calls)})"


def _names(calls: list) -> str:
    return ", ".join(f"{c.name}:{c.status}" for c in calls) or "no call"


@pytest.mark.parametrize(
    "step",
    [pytest.param(s, marks=pytest.mark.requirement(STEP_REQUIREMENT[s], "NODE-USAGE-001")) for s in STEPS],
)
def test_each_step_of_the_full_process_is_reported(dut, profile, step):
    r = register(dut.node)
    # every visit opens at 挂号: a step after it must carry its own scene, not the one before it
    steps = [step] if step == "registration" else ["registration", step]
    _, calls = _visit(dut, _qr(r), steps)
    want = [str(profile.param(f"scenes.{s}")) for s in steps]
    scenes = [u.scene for u in _usage(dut, r.card.ehcid)]
    assert sorted(scenes) == sorted(want), f"{step}: the node holds scenes {scenes}, the profile's are {want}"
    assert [c.request.scene for c in _reports(calls)] == want, f"{step}: reports seen {_names(calls)}"


@pytest.mark.requirement("HIS-011", "NODE-USAGE-002", "ID-007", "ID-008", "ID-010")
def test_a_whole_visit_reports_every_step_with_codes(dut, profile):
    r = register(dut.node)
    _visit(dut, _qr(r), STEPS)
    records = _usage(dut, r.card.ehcid)
    assert sorted(u.scene for u in records) == sorted(str(profile.param(f"scenes.{s}")) for s in STEPS)
    for u in records:
        assert u.visit_type in ("I", "O", "E", "H", "T") and len(u.department) == 4
        assert len(u.medical_step) == 6 and u.medical_step.isdigit() and u.scene.startswith(u.medical_step)
        assert len(u.use_city) == 6 and u.use_city.isdigit()
        assert u.channel in profile.param("codes.channels") and u.payment_category in (
            "0100",
            "0200",
            "0300",
            "0000",
        )
    if _api(dut) == "tencent":
        # reportHISData has no visit-type field (the node records O): checked in the gRPC mode only
        dut.log.note("visit type not checked: the Tencent envelope's reportHISData carries none")
        return
    by_scene = {u.scene: u for u in records}
    assert by_scene[str(profile.param("scenes.checkup"))].visit_type == "H"
    assert by_scene[str(profile.param("scenes.inpatient"))].visit_type == "I"


@pytest.mark.requirement("HIS-011")
@pytest.mark.parametrize("visit_type", ["E", "T"])
def test_the_visit_type_given_is_the_one_reported(dut, visit_type):
    if _api(dut) == "tencent":
        pytest.skip("not applicable through the Tencent envelope: reportHISData carries no visit type")
    r = register(dut.node)
    _, calls = _visit(dut, _qr(r), ["registration", "consultation"], visit_type=visit_type)
    held = [u.visit_type for u in _usage(dut, r.card.ehcid)]
    assert held == [visit_type, visit_type], (
        f"an {visit_type} visit: the node holds visit types {held} ({_names(calls)})"
    )


@pytest.mark.requirement("HIS-001")
def test_every_visit_identifies_the_patient_at_the_node_before_reporting(dut):
    r = register(dut.node)
    for visit in ("first visit", "return visit"):
        answer, calls = _visit(dut, _qr(r), ["registration", "consultation"])
        _identified_first(calls, visit, _qr(r))
        asked = [c for c in calls if c.name == "VerifyQr" and c.request.qr_text == r.qr_text]
        assert asked, f"{visit}: the node was never shown the patient's code ({_names(calls)})"
        assert answer.get("patient") and answer["patient"]["main_index"] == r.person.main_index, answer
        assert all(c.request.ehcid == r.card.ehcid for c in _reports(calls)), "reports name another card"


@pytest.mark.requirement("HIS-015")
@pytest.mark.parametrize("medium", MEDIA)
def test_every_medium_identifies_the_patient(dut, medium):
    # the patient before at the same desk showed an e-card code: nothing of theirs may carry over
    previous = register(dut.node)
    seen, _ = _visit(dut, _qr(previous), ["registration"])
    assert seen.get("patient"), f"the previous patient's visit did not happen: {seen}"
    theirs = len(_usage(dut, previous.card.ehcid))
    number = new_id_number()
    r = register(dut.node, id_number=number)
    patient = _patient(dut, medium, r, number)
    answer, calls = _visit(dut, patient, ["registration"])
    assert len(_usage(dut, previous.card.ehcid)) == theirs, (
        f"{medium}: the node booked this visit's use to the previous patient's card ({_names(calls)})"
    )
    _identified_first(calls, medium, patient)
    reports = _reports(calls)
    assert reports, f"{medium}: no card use reached the node ({_names(calls)})"
    for c in reports:  # the use is reported for the card the kit presented
        assert (
            (c.request.ehcid == r.card.ehcid)
            if medium.startswith("ehc")
            else (c.request.card_number == number)
        ), f"{medium}: the reported use names another card"
    assert answer.get("patient") and answer["patient"]["main_index"] == r.person.main_index, answer


@pytest.mark.requirement("HIS-017")
@pytest.mark.parametrize("medium", MEDIA)
def test_reports_name_the_hospital_itself_and_the_medium_read(dut, medium):
    number = new_id_number()
    r = register(dut.node, id_number=number)
    patient = _patient(dut, medium, r, number)
    _, calls = _visit(dut, patient, ["registration", "payment"])
    sent = _reports(calls, accepted_only=False)
    assert sent, f"{medium}: no usage report reached the node ({_names(calls)})"
    own = dut.credentials
    now = dt.datetime.now(CST)
    for c in sent:
        when = dt.datetime.strptime(c.request.time, "%Y%m%d%H%M%S").replace(tzinfo=CST)
        assert abs((when - now).total_seconds()) < 300, (
            f"use reported at {c.request.time}, the kit's Beijing time is {now:%Y%m%d%H%M%S}"
        )
        assert c.request.org_code == own.org_code, "usage reported under another organisation's code"
        assert c.request.terminal_id in ("", own.terminal_id), "usage reported under another terminal"
        assert c.request.card_type == CARD_TYPE[medium], (
            f"{medium} read, card type {c.request.card_type} reported (expected {CARD_TYPE[medium]})"
        )
    assert all(c.status == "OK" for c in sent), f"the node refused reports: {_names(sent)}"


@pytest.mark.requirement("HIS-016")
@pytest.mark.parametrize("refusal", ["Suspend", "Cancel", "forged"])
def test_a_card_the_node_refuses_stops_the_visit(dut, refusal):
    r = register(dut.node)
    ehcid = r.card.ehcid
    if refusal == "forged":  # well-formed text of a card the node never issued
        ehcid = "".join(reversed(ehcid))
        patient = {"medium": "ehc-qr-static", "qr_text": f"{ehcid}:1"}
    else:
        _, error = card_action(dut.node, refusal, ehcid)
        assert error is None, error
        patient = _qr(r)
    answer, calls = _visit(dut, patient, ["registration", "consultation", "payment"])
    assert any(c.name == "VerifyQr" and c.status != "OK" for c in calls), (
        f"the node did not refuse, or the HIS did not ask it ({_names(calls)})"
    )
    assert not _reports(calls, accepted_only=False), f"card uses reported after the refusal: {_names(calls)}"
    assert _usage(dut, ehcid) == [], "the node holds card uses of a refused card"
    assert not answer.get("patient") or not answer["patient"].get("main_index"), answer


@pytest.mark.requirement("HIS-016")
@pytest.mark.parametrize("medium", ["id-card", "ssc"])
def test_a_misread_card_of_a_returning_patient_stops_the_visit(dut, medium):
    """The node refuses a card read it cannot resolve (a wrong check digit: the read failed). A HIS
    that then finds the patient in its own register by name, sex and birth date — the rest of what
    the card gave — goes on with a patient the node never named; it must stop the visit instead."""
    number = new_id_number()
    r = register(dut.node, id_number=number)
    read = _patient(dut, medium, r, number)
    seen, calls = _visit(dut, read, ["registration"])
    assert seen.get("patient"), f"{medium}: the first visit did not happen: {seen} ({_names(calls)})"
    misread = {**read, "identifier": number[:-1] + ("0" if number[-1] != "0" else "1")}
    answer, calls = _visit(dut, misread, ["registration", "consultation"])
    assert any(c.name in IDENTIFY and c.status != "OK" for c in calls), (
        f"{medium}: the node did not refuse the misread number, or the HIS did not ask it ({_names(calls)})"
    )
    assert not _reports(calls, accepted_only=False), f"{medium}: card uses reported: {_names(calls)}"
    assert not answer.get("patient") or not answer["patient"].get("main_index"), (
        f"{medium}: the node refused the card and the HIS still named a patient: {answer}"
    )


@pytest.mark.requirement("HIS-018")
def test_the_his_account_of_a_visit_matches_the_node(dut, profile):
    r = register(dut.node)
    answer, calls = _visit(dut, _qr(r), STEPS)
    held = {u.scene for u in _usage(dut, r.card.ehcid)}
    forwarded = {c.request.scene for c in _reports(calls)}
    claimed = [s for s in answer.get("steps", []) if s.get("reported")]
    assert claimed, f"the HIS reports no step as reported: {answer}"
    for s in claimed:
        scene = str(s.get("scene") or profile.param(f"scenes.{s['step']}"))
        assert scene in forwarded and scene in held, (
            f"step {s['step']} claimed reported (scene {scene}), but the node never received it"
        )


@pytest.mark.requirement("HIS-018")
def test_a_report_the_node_never_took_is_not_claimed(dut):
    """The node stays unavailable for the step's report through the HIS's retries: whatever the HIS
    does with it (queue it, give up), it may not call the step reported while the node holds none."""
    r = register(dut.node)
    dut.proxy.fail_next(REPORT, times=3)  # the reference HIS tries three times
    try:
        answer, calls = _visit(dut, _qr(r), ["registration"])
    finally:
        dut.proxy.fail_next(REPORT, times=0)  # a HIS that gave up earlier leaves refusals unused
    sent = _reports(calls, accepted_only=False)
    assert sent and sent[0].outcome == "refused", f"the injected refusal did not happen: {_names(calls)}"
    held = {u.scene for u in _usage(dut, r.card.ehcid)}
    for s in answer.get("steps", []):
        if s.get("reported"):
            assert s.get("scene") in held, (
                f"step {s.get('step')} claimed reported, the node holds no use of it ({_names(sent)})"
            )


@pytest.mark.requirement("HIS-013")
def test_poverty_relief_patients_are_treated_first(dut):
    """``pay_later`` is the HIS's own decision (the node sees no bill): the kit checks it follows the
    node's current answer — a patient the node flags after a first visit is treated first on the next."""
    if _api(dut) == "tencent":
        pytest.skip(
            "not applicable through the Tencent envelope: verifyQRCode answers no poverty-relief flag, "
            "so a HIS on the platform cannot learn it from the node (docs/assumptions.md)"
        )
    poor = register(dut.node, poverty_relief=True)
    other = register(dut.node)
    answer, calls = _visit(dut, _qr(poor), ["registration"])
    _identified_first(calls, "poverty-relief patient")  # the flag comes from the node's answer
    assert answer["pay_later"], "poverty-relief patient not treated first (pay_later false)"
    answer, _ = _visit(dut, _qr(other), ["registration"])
    assert not answer["pay_later"], "patient without the flag marked pay-later"
    _, error = dut.node.call(
        "issuance",
        "Modify",
        I.ModifyRequest(
            ehcid=other.card.ehcid,
            set_poverty_relief=True,
            poverty_relief=True,
            context=dut.node.context("admin"),
        ),
        "admin",
    )
    assert error is None, f"the kit could not flag the patient at the node: {error}"
    answer, calls = _visit(dut, _qr(other), ["registration"])
    _identified_first(calls, "newly flagged patient")
    assert answer["pay_later"], "patient flagged at the node since the last visit not treated first"
    # and the other way: taken off the county's roster, the next visit is billed as anyone's
    _, error = dut.node.call(
        "issuance",
        "Modify",
        I.ModifyRequest(
            ehcid=poor.card.ehcid,
            set_poverty_relief=True,
            poverty_relief=False,
            context=dut.node.context("admin"),
        ),
        "admin",
    )
    assert error is None, f"the kit could not unflag the patient at the node: {error}"
    answer, calls = _visit(dut, _qr(poor), ["registration"])
    _identified_first(calls, "unflagged patient")
    assert not answer["pay_later"], "patient taken off the roster at the node still marked pay-later"


def _link_hospital_card(dut: Any, main_index: str) -> str:
    number = "HC" + new_digits(10)
    _, error = dut.node.call(
        "main_index",
        "LinkMedium",
        M.LinkMediumRequest(
            main_index=main_index,
            medium=M.MEDIUM_HOSPITAL_CARD,
            identifier=number,
            issuer=dut.credentials.org_code,
            card_medium="80",
            context=dut.node.context(),
        ),
    )
    assert error is None, f"the kit could not link a hospital card: {error}"
    return number


def _hospital_card_calls(calls: list) -> list:
    return [c for c in calls if getattr(c.request, "medium", 0) == M.MEDIUM_HOSPITAL_CARD]


def _node_day(dut: Any, day: dt.date | None) -> bool:
    """Pin the reference node's policy day (it enforces the profile's dates too); False when the
    node is not the kit's own (then only the HIS's side of the visit is checked)."""
    setter = getattr(dut.node, "set_policy_day", None)
    return bool(setter and setter(day))


def _node_refuses_hospital_card(dut: Any, card: dict, stop: dt.date) -> None:
    """On the stop-using date the node itself refuses the card: presented (Resolve) and reported."""
    _, error = dut.node.call(
        "main_index",
        "Resolve",
        M.ResolveRequest(
            medium=M.MEDIUM_HOSPITAL_CARD,
            identifier=card["identifier"],
            issuer=card["issuer"],
            context=dut.node.context(),
        ),
    )
    assert error and error["code"] == "NODE_HOSPITAL_CARD_REFUSED", f"on {stop} the node resolved it: {error}"
    c = dut.credentials
    record = U.UsageRecord(
        request_id="HIS014-" + new_digits(10),
        time=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d%H%M%S"),
        org_code=c.org_code, use_city=c.use_city, scene="0101012", card_type="80", channel=c.channel,
        card_number=card["identifier"],
    )  # fmt: skip
    _, error = dut.node.call("usage", "Report", record)
    assert error and error["code"] == "NODE_HOSPITAL_CARD_REFUSED", (
        f"on {stop} the node took a report: {error}"
    )


@pytest.mark.requirement("HIS-014")
def test_hospital_cards_are_accepted_until_the_stop_using_date(dut, profile):
    stop = dt.date.fromisoformat(profile.param("hospital_cards.stop_use"))
    try:
        _accepted_until_stop_using(dut, profile, stop)
    finally:
        _node_day(dut, None)


def _accepted_until_stop_using(dut: Any, profile: Any, stop: dt.date) -> None:
    r = register(dut.node)
    day = dt.timedelta(days=1)
    # the card was issued before the stop-issuing date; the node judges each step on the visit's day
    _node_day(dut, dt.date.fromisoformat(profile.param("hospital_cards.stop_issue")) - day)
    if _api(dut) == "tencent":
        # the envelope offers no lookup by hospital card: the HIS issues (binds) the card itself and
        # must ask the platform about its holder before it reports a use of it
        issued = dut.request(
            "hospital_card",
            action="issue",
            patient=_qr(r),
            date=(dt.date.fromisoformat(profile.param("hospital_cards.stop_issue")) - day).isoformat(),
        )
        assert issued.get("issued") and issued.get("identifier"), f"the HIS issued no card: {issued}"
        card = {"medium": "hospital-card", "identifier": issued["identifier"]}
    else:
        card = {"medium": "hospital-card", "identifier": _link_hospital_card(dut, r.person.main_index)}
    card["issuer"] = dut.credentials.org_code
    _node_day(dut, stop - day)
    answer, calls = _visit(dut, card, ["registration"], date=(stop - day).isoformat())
    if _api(dut) == "tencent":
        _identified_first(calls, f"the day before {stop}")
    else:
        assert _hospital_card_calls(calls), (
            f"the day before {stop}: the card was not resolved ({_names(calls)})"
        )
    assert [c.request.card_type for c in _reports(calls)] == ["80"], f"reports: {_names(calls)}"
    pinned = _node_day(dut, stop)
    answer, calls = _visit(dut, card, ["registration"], date=stop.isoformat())
    assert not _hospital_card_calls(calls), f"on {stop} the node was still asked about a hospital card"
    assert not _reports(calls, accepted_only=False), f"on {stop} a hospital-card use was reported"
    assert not answer.get("patient"), answer
    if pinned:
        _node_refuses_hospital_card(dut, card, stop)


@pytest.mark.requirement("HIS-014")
def test_hospital_cards_are_issued_until_the_stop_issuing_date(dut, profile):
    stop = dt.date.fromisoformat(profile.param("hospital_cards.stop_issue"))
    try:
        _issued_until_stop_issuing(dut, stop)
    finally:
        _node_day(dut, None)


def _issued_until_stop_issuing(dut: Any, stop: dt.date) -> None:
    r = register(dut.node)
    _node_day(dut, stop - dt.timedelta(days=1))
    mark = dut.proxy.mark()
    before = dut.request(
        "hospital_card", action="issue", patient=_qr(r), date=(stop - dt.timedelta(days=1)).isoformat()
    )
    links = [c for c in dut.proxy.since(mark, "LinkMedium") if c.status == "OK"]
    assert before.get("issued") and links, f"the day before {stop}: no hospital card issued at the node"
    resolved, error = dut.node.call(
        "main_index",
        "Resolve",
        M.ResolveRequest(
            medium=M.MEDIUM_HOSPITAL_CARD,
            identifier=links[0].request.identifier,
            issuer=links[0].request.issuer,
            context=dut.node.context(),
        ),
    )
    assert error is None and resolved.person.main_index == r.person.main_index, (
        "issued card is not the patient's"
    )
    pinned = _node_day(dut, stop)
    mark = dut.proxy.mark()
    dut.request("hospital_card", action="issue", patient=_qr(r), date=stop.isoformat())
    issued = [c for c in dut.proxy.since(mark, "LinkMedium") if c.request.medium == M.MEDIUM_HOSPITAL_CARD]
    assert not issued, f"on {stop} the HIS still linked a new hospital card at the node"
    if pinned:  # and the node itself refuses to link one that day
        _, error = dut.node.call(
            "main_index",
            "LinkMedium",
            M.LinkMediumRequest(
                main_index=r.person.main_index, medium=M.MEDIUM_HOSPITAL_CARD, identifier="HC" + new_digits(10),
                issuer=dut.credentials.org_code, card_medium="80", context=dut.node.context(),
            ),
        )  # fmt: skip
        assert error and error["code"] == "NODE_HOSPITAL_CARD_NOT_ISSUED", (
            f"on {stop} the node linked one: {error}"
        )


@pytest.mark.requirement("ID-001", "ID-002")
def test_an_invalid_id_number_identifies_nobody(dut):
    number = new_id_number()
    register(dut.node, id_number=number)
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    shown = {"medium": "id-card", "identifier": bad, "name": "张三", "sex": "1", "nation": "01"}
    answer, calls = _visit(dut, shown, ["registration"])
    assert not _reports(calls), f"a card use was reported for an invalid ID number: {_names(calls)}"
    assert not answer.get("patient"), answer


@pytest.mark.requirement("HIS-012", "NODE-USAGE-005")
def test_a_refused_report_is_retried_with_the_same_request_id(dut, profile):
    r = register(dut.node)
    dut.proxy.fail_next(REPORT, times=1)
    _, calls = _visit(dut, _qr(r), ["payment"])
    sent = _reports(calls, accepted_only=False)
    assert [c.outcome for c in sent][:1] == ["refused"], (
        f"the injected refusal did not happen: {_names(calls)}"
    )
    assert len(sent) >= 2 and sent[-1].status == "OK", f"the refused report was not retried: {_names(sent)}"
    assert len({c.request.request_id for c in sent}) == 1, "the retry carried a new request id"
    records = _usage(dut, r.card.ehcid)
    assert [u.scene for u in records] == [str(profile.param("scenes.payment"))], "report lost or duplicated"


@pytest.mark.requirement("HIS-012", "NODE-USAGE-005")
def test_a_report_whose_answer_was_lost_is_not_counted_twice(dut, profile):
    r = register(dut.node)
    dut.proxy.drop_reply_next(REPORT, times=1)
    _, calls = _visit(dut, _qr(r), ["payment"])
    sent = _reports(calls, accepted_only=False)
    assert [c.outcome for c in sent][:1] == ["reply-dropped"], (
        f"the injected loss did not happen: {_names(calls)}"
    )
    assert len(sent) >= 2, f"the HIS did not retry a report whose answer it never got: {_names(sent)}"
    assert len({c.request.request_id for c in sent}) == 1, "the retry carried a new request id"
    records = _usage(dut, r.card.ehcid)
    assert len(records) == 1, f"the node holds {len(records)} records of one card use"
