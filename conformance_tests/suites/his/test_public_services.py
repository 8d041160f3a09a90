"""HIS: the public services the plans put on the card (issue #16; seed 000 §二, seed 002 §二(二),
seed 003 §三(六)) — time-slot booking, queue reminder, report query, record query, family-doctor
signing — each a card use with its own scene (profile parameter ``public_services``).

Driver operation ``service`` (docs/certification.md): ``service``, ``patient`` (as for ``visit``),
``channel`` (where the patient uses the card: mini-program, service account, kiosk, app, doctor's
workstation) and per service ``slot``/``department`` (booking), ``kind`` lab|imaging (report query),
``doctor`` (signing). Verdicts rest on the kit's evidence as in ``test_his.py``: the calls the node
received through the kit's proxy (identification first, with the service's medical step in the code
verification) and the node's own usage records (scene, card type, channel, card). The driver's
answer counts only where the node cannot see: what a refused patient was shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conformance_tests.suites.node.helpers import card_action, new_id_number, register
from reference_node.proto.ehc.node.v1 import main_index_pb2 as M
from reference_node.proto.ehc.node.v1 import usage_pb2 as U

CST = dt.timezone(dt.timedelta(hours=8))
IDENTIFY = ("VerifyQr", "Resolve", "Register")
CARD_TYPE = {"ehc-qr-static": "11", "resident-card": "10", "id-card": "20", "ssc": "30"}
#: the main-index medium a card read by number is resolved as (the card it is, not its number's)
RESOLVE_AS = {
    "resident-card": M.MEDIUM_RESIDENT_HEALTH_CARD,
    "id-card": M.MEDIUM_CITIZEN_ID,
    "ssc": M.MEDIUM_SOCIAL_SECURITY_CARD,
}
#: what a service shows or does for the patient (must be absent when the node refuses the card)
RESULTS = ("booking", "reminder", "reports", "records", "signed")
#: one request per service, with the channel the patient uses it through (CHANNELS)
REQUESTS: dict[str, dict[str, Any]] = {
    "booking": {"channel": "0402", "slot": "09:00-09:30", "department": "0300"},
    "queue_reminder": {"channel": "0401"},
    "report_query": {"channel": "0200", "kind": "lab"},
    "record_query": {"channel": "0403"},
    "family_doctor": {"channel": "0300", "doctor": "GP-TEAM-01"},
}


def _scene(profile: Any, key: str) -> str:
    scene = profile.param(f"public_services.{key}")
    assert scene, f"the profile names no scene for public service {key}"
    return str(scene)


def _present(dut: Any, medium: str) -> tuple[Any, dict, str]:
    """A registered patient and what the kit presents: the e-card code or a card read by number
    (a resident health card is linked at the node first, as its issuer does)."""
    number = new_id_number()
    r = register(dut.node, id_number=number)
    if medium == "ehc-qr-static":
        return r, {"medium": medium, "qr_text": r.qr_text}, number
    p = r.person
    read = {"medium": medium, "identifier": number, "name": p.name, "sex": p.sex, "nation": p.nation}
    read["birth_date"] = p.birth_date
    if medium == "resident-card":
        _, error = dut.node.call(
            "main_index",
            "LinkMedium",
            M.LinkMediumRequest(
                main_index=p.main_index,
                medium=M.MEDIUM_RESIDENT_HEALTH_CARD,
                identifier=number,
                context=dut.node.context(),
            ),
        )
        assert error is None, f"the kit could not link the resident health card: {error}"
    return r, read, number


def _use(dut: Any, service: str, patient: dict, **fields: Any) -> tuple[dict, list, str]:
    """The driver's answer, the calls the node received meanwhile, and a time before the use (the
    HIS dates its uses by its own clock: HIS-017 allows it 300 s; records are matched by request id)."""
    since = (dt.datetime.now(CST) - dt.timedelta(seconds=600)).strftime("%Y%m%d%H%M%S")
    mark = dut.proxy.mark()
    answer = dut.request("service", service=service, patient=patient, **{**REQUESTS[service], **fields})
    return answer, dut.proxy.since(mark), since


def _names(calls: list) -> str:
    return ", ".join(f"{c.name}:{c.status}" for c in calls) or "no call"


def _shown(call: Any) -> str:
    r = call.request
    return (r.qr_text if call.name == "VerifyQr" else getattr(r, "identifier", "")) or ""


def _step(call: Any) -> str:
    """The medical step a code verification carried (gRPC context or the envelope's medicalStep)."""
    r = call.request
    return getattr(r, "medical_step", "") or r.context.medical_step


def _usage_of(dut: Any, ehcid: str) -> list:
    records, error = dut.node.call(
        "usage", "QueryUsage", U.QueryUsageRequest(ehcid=ehcid, limit=100), "admin"
    )
    assert error is None, error
    return list(records.records)


def _reports(calls: list, accepted_only: bool = True) -> list:
    return [c for c in calls if c.name == "Report" and (not accepted_only or c.status == "OK")]


def _node_records(dut: Any, since: str, request_ids: set[str]) -> list:
    """The node's own usage records of the hospital since ``since`` with these request ids."""
    records, error = dut.node.call(
        "usage",
        "QueryUsage",
        U.QueryUsageRequest(org_code=dut.credentials.org_code, from_time=since, limit=1000),
        "admin",
    )
    assert error is None, error
    return [u for u in records.records if u.request_id in request_ids]


def _check_use(
    dut: Any, what: str, r: Any, patient: dict, number: str, calls: list, since: str, scene: str, channel: str
) -> None:
    """One card use of the service at the node: asked first with what the kit presented (a code
    verification carrying the scene's medical step), then reported once with the service's scene,
    the card type of the medium and the channel the patient used."""
    first = next((i for i, c in enumerate(calls) if c.name == "Report"), len(calls))
    shown = patient.get("qr_text") or patient["identifier"]
    asked = [c for c in calls[:first] if c.name in IDENTIFY and c.status == "OK" and shown in _shown(c)]
    assert asked, (
        f"{what}: the node was not asked who the patient is before the use was reported ({_names(calls)})"
    )
    for c in asked:
        if c.name == "VerifyQr":
            assert _step(c) == scene[:6], (
                f"{what}: the code was verified for medical step {_step(c) or '(none)'}, "
                f"the service's step is {scene[:6]}"
            )
        elif c.name == "Resolve" and getattr(dut, "api", "grpc") == "grpc":
            # a resident health card is looked up as that card (its link, its chip), not as the ID
            # number it carries; the Tencent envelope registers every document as idType 01
            assert c.request.medium == RESOLVE_AS[patient["medium"]], (
                f"{what}: the {patient['medium']} was resolved as medium {c.request.medium}"
            )
    sent = _reports(calls)
    assert sent, f"{what}: no card use reached the node ({_names(calls)})"
    held = _node_records(dut, since, {c.request.request_id for c in sent})
    assert len(held) == 1, f"{what}: the node holds {len(held)} card uses of one service use"
    u = held[0]
    assert u.scene == scene, f"{what}: the node holds scene {u.scene}, the service's scene is {scene}"
    medium = patient["medium"]
    assert u.card_type == CARD_TYPE[medium], (
        f"{what}: {medium} read, the node holds card type {u.card_type} (expected {CARD_TYPE[medium]})"
    )
    assert u.channel == channel, f"{what}: used through channel {channel}, the node holds {u.channel}"
    if medium == "ehc-qr-static":
        assert u.ehcid == r.card.ehcid, f"{what}: the use is recorded for another e-card"
    else:
        assert all(c.request.card_number == number for c in sent), f"{what}: the use names another card"


def _known_by_code(dut: Any, r: Any, service: str) -> None:
    """The patient used a service through the app with the e-card code before: the HIS has a patient
    record (and a session) for them — what it does next must still follow what is read now."""
    answer, calls, _ = _use(dut, service, {"medium": "ehc-qr-static", "qr_text": r.qr_text})
    assert answer.get("patient"), f"{service} with the code: {answer} ({_names(calls)})"


@pytest.mark.requirement("HIS-PUB-001")
@pytest.mark.parametrize("medium", ["ehc-qr-static", "resident-card", "id-card"])
def test_time_slot_booking_is_a_reported_card_use(dut, profile, medium):
    r, patient, number = _present(dut, medium)
    if medium != "ehc-qr-static":  # the card type is the medium read now, not the patient record's
        _known_by_code(dut, r, "record_query")
    answer, calls, since = _use(dut, "booking", patient)
    assert answer.get("patient") and answer["patient"].get("main_index") == r.person.main_index, answer
    _check_use(
        dut, f"booking with {medium}", r, patient, number, calls, since, _scene(profile, "booking"), "0402"
    )


@pytest.mark.requirement("HIS-PUB-002")
def test_queue_reminder_is_reported_as_a_queue_status_query(dut, profile):
    r, patient, number = _present(dut, "ehc-qr-static")
    scene = _scene(profile, "queue_reminder")
    assert scene != str(profile.param("scenes.queue")), "profile: reminder and check-in share a scene"
    _, calls, since = _use(dut, "queue_reminder", patient)
    _check_use(dut, "queue reminder", r, patient, number, calls, since, scene, "0401")


@pytest.mark.requirement("HIS-PUB-003")
@pytest.mark.parametrize("kind", ["lab", "imaging"])
def test_report_queries_are_reported_by_kind(dut, profile, kind):
    # the patient browses: the other kind first, then this kind twice — every query is its own
    # use with its own kind's scene (not the menu's last, not once per patient and day)
    r, patient, number = _present(dut, "ehc-qr-static")
    other = "imaging" if kind == "lab" else "lab"
    for i, k in enumerate((other, kind, kind)):
        _, calls, since = _use(dut, "report_query", patient, kind=k)
        what = f"{k} report query #{i + 1} of the patient"
        _check_use(dut, what, r, patient, number, calls, since, _scene(profile, f"{k}_report"), "0200")


@pytest.mark.requirement("HIS-PUB-004")
@pytest.mark.parametrize("medium", ["ehc-qr-static", "ssc"])
def test_record_queries_are_reported(dut, profile, medium):
    r, patient, number = _present(dut, medium)
    scene = _scene(profile, "record_query")
    for i in (1, 2):  # every query is a use, the second of the day too
        _, calls, since = _use(dut, "record_query", patient)
        _check_use(dut, f"record query #{i} with {medium}", r, patient, number, calls, since, scene, "0403")


@pytest.mark.requirement("HIS-PUB-005")
@pytest.mark.parametrize("medium", ["resident-card", "ehc-qr-static"])
def test_family_doctor_signing_is_confirmed_with_the_card(dut, profile, medium):
    r, patient, number = _present(dut, medium)
    if medium != "ehc-qr-static":  # the card type is the medium read now, not the patient record's
        _known_by_code(dut, r, "booking")
    answer, calls, since = _use(dut, "family_doctor", patient)
    assert answer.get("patient") and answer["patient"].get("main_index") == r.person.main_index, answer
    scene = _scene(profile, "family_doctor")
    _check_use(dut, f"signing with {medium}", r, patient, number, calls, since, scene, "0300")


@pytest.mark.requirement("HIS-PUB-006")
@pytest.mark.parametrize("refusal", ["Suspend", "Cancel"])
@pytest.mark.parametrize("service", list(REQUESTS))
def test_a_card_the_node_refuses_gets_no_public_service(dut, service, refusal):
    r, patient, _ = _present(dut, "ehc-qr-static")
    # the patient used the service with the card before: a HIS that remembers them (an app session,
    # a patient table) must still ask the node now and serve nothing once the node refuses the card
    before, calls, _ = _use(dut, service, patient)
    assert before.get("patient"), f"{service} before the card was stopped: {before} ({_names(calls)})"
    used = len(_usage_of(dut, r.card.ehcid))
    _, error = card_action(dut.node, refusal, r.card.ehcid)
    assert error is None, error
    answer, calls, _ = _use(dut, service, patient)
    asked = [c for c in calls if c.name == "VerifyQr" and c.request.qr_text == r.qr_text]
    assert asked, f"{service}: the node was not asked about the code ({_names(calls)})"
    assert all(c.status != "OK" for c in asked), f"{service}: the node did not refuse ({_names(calls)})"
    assert not _reports(calls, accepted_only=False), f"{service}: card use reported: {_names(calls)}"
    assert len(_usage_of(dut, r.card.ehcid)) == used, f"{service}: the node holds card uses of a refused card"
    given = [k for k in RESULTS if answer.get(k)]
    assert not given and not (answer.get("patient") or {}).get("main_index"), (
        f"{service}: a card the node refused got {', '.join(given) or 'a patient'}"
    )
