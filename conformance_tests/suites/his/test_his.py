"""HIS: patients go through the full process (seed 001); the kit's node checks what was reported."""

from __future__ import annotations

import pytest

from conformance_tests.suites.node.helpers import new_id_number, register
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


def _usage(dut, ehcid: str) -> list:
    records, error = dut.node.call(
        "usage", "QueryUsage", U.QueryUsageRequest(ehcid=ehcid, limit=100), "admin"
    )
    assert error is None, error
    return list(records.records)


@pytest.mark.parametrize(
    "step",
    [pytest.param(s, marks=pytest.mark.requirement(STEP_REQUIREMENT[s], "NODE-USAGE-001")) for s in STEPS],
)
def test_each_step_of_the_full_process_is_reported(dut, profile, step):
    r = register(dut.node)
    answer = dut.request("visit", patient={"medium": "ehc-qr-static", "qr_text": r.qr_text}, steps=[step])
    assert answer["ok"] and answer["patient"]["main_index"] == r.person.main_index, answer
    scenes = [u.scene for u in _usage(dut, r.card.ehcid)]
    assert scenes == [str(profile.param(f"scenes.{step}"))], f"{step}: node received scenes {scenes}"


@pytest.mark.requirement("HIS-001", "HIS-011", "NODE-USAGE-002", "ID-007", "ID-008", "ID-010")
def test_a_whole_visit_reports_every_step_with_codes(dut, profile):
    r = register(dut.node)
    answer = dut.request("visit", patient={"medium": "ehc-qr-static", "qr_text": r.qr_text}, steps=STEPS)
    assert answer["patient"]["main_index"] == r.person.main_index
    records = _usage(dut, r.card.ehcid)
    assert sorted(u.scene for u in records) == sorted(str(profile.param(f"scenes.{s}")) for s in STEPS)
    for u in records:
        assert u.visit_type in ("I", "O", "E", "H", "T") and len(u.department) == 4 and u.card_type == "11"
        assert len(u.medical_step) == 6 and u.medical_step.isdigit() and u.scene.startswith(u.medical_step)
        assert len(u.use_city) == 6 and u.use_city.isdigit()
        assert u.channel in profile.param("codes.channels") and u.payment_category in (
            "0100",
            "0200",
            "0300",
            "0000",
        )
    by_scene = {u.scene: u for u in records}
    assert by_scene[str(profile.param("scenes.checkup"))].visit_type == "H"
    assert by_scene[str(profile.param("scenes.inpatient"))].visit_type == "I"


@pytest.mark.requirement("HIS-015")
@pytest.mark.parametrize("medium", ["ehc-qr-static", "id-card", "ssc"])
def test_every_medium_identifies_the_patient(dut, medium):
    number = new_id_number()
    r = register(dut.node, id_number=number)
    patient = (
        {"medium": medium, "qr_text": r.qr_text}
        if medium.startswith("ehc")
        else {"medium": medium, "identifier": number}
    )
    answer = dut.request("visit", patient=patient, steps=["registration"])
    assert answer["ok"] and answer["patient"] and answer["patient"]["main_index"] == r.person.main_index, (
        answer
    )


@pytest.mark.requirement("HIS-013")
def test_poverty_relief_patients_are_treated_first(dut):
    poor = register(dut.node, poverty_relief=True)
    other = register(dut.node)
    assert dut.request(
        "visit", patient={"medium": "ehc-qr-static", "qr_text": poor.qr_text}, steps=["registration"]
    )["pay_later"]
    assert not dut.request(
        "visit", patient={"medium": "ehc-qr-static", "qr_text": other.qr_text}, steps=["registration"]
    )["pay_later"]


@pytest.mark.requirement("HIS-014")
def test_hospital_cards_stop_at_the_profile_dates(dut, profile):
    import datetime as dt

    issue = dt.date.fromisoformat(profile.param("hospital_cards.stop_issue"))
    use = dt.date.fromisoformat(profile.param("hospital_cards.stop_use"))
    day = dt.timedelta(days=1)
    assert dut.request("hospital_card", action="issue", date=(issue - day).isoformat())["allowed"]
    assert not dut.request("hospital_card", action="issue", date=issue.isoformat())["allowed"]
    assert dut.request("hospital_card", action="accept", date=(use - day).isoformat())["allowed"]
    assert not dut.request("hospital_card", action="accept", date=use.isoformat())["allowed"]


@pytest.mark.requirement("ID-001", "ID-002")
def test_an_invalid_id_number_identifies_nobody(dut):
    number = new_id_number()
    register(dut.node, id_number=number)
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    answer = dut.request("visit", patient={"medium": "id-card", "identifier": bad}, steps=["registration"])
    assert not answer.get("patient"), answer


@pytest.mark.requirement("HIS-012", "NODE-USAGE-005")
def test_a_refused_report_is_retried_once_without_duplicates(dut, profile):
    r = register(dut.node)
    dut.proxy.fail_next("/ehc.node.v1.UsageService/Report", times=1)
    answer = dut.request(
        "visit", patient={"medium": "ehc-qr-static", "qr_text": r.qr_text}, steps=["payment"]
    )
    assert answer["ok"] and answer["steps"] and answer["steps"][0]["reported"], answer
    refused = [m for m, what in dut.proxy.calls if m.endswith("/Report") and what == "refused"]
    assert len(refused) == 1, "the injected refusal did not happen"
    records = _usage(dut, r.card.ehcid)
    assert [u.scene for u in records] == [str(profile.param("scenes.payment"))], "report lost or duplicated"
