"""Terminals: QR images, chip cards, ID and social-security cards, what is sent to the node.

The kit is lower tester (images, emulated cards, reader records) and upper tester (the reference
node the terminal calls). A verdict rests on the driver's report of what it read and sent *and*
on what the node actually received (usage records).
"""

from __future__ import annotations

import io
import re

import pytest

from conformance_tests.adapters.terminal import person_for
from conformance_tests.suites.node.helpers import card_action, new_id_number, qr, register
from reference_node.proto.ehc.node.v1 import usage_pb2 as U


def _sent(dut, method: str) -> list[dict]:
    return [s for s in dut.last_exchange()["sent"] if s["method"] == method]


def _person(answer: dict) -> dict | None:
    return answer.get("result", {}).get("person")


@pytest.mark.requirement("QR-TEXT-001", "TERM-001", "QR-IMG-001", "CARD-AUTH-001")
@pytest.mark.parametrize("ec_level", ["L", "M", "Q", "H"])
def test_static_code_at_every_ecc_level_is_sent_unchanged(dut, ec_level):
    r = register(dut.node)
    answer = dut.present_qr_text(r.qr_text, ec_level=ec_level)
    assert answer["ok"] and _person(answer) and _person(answer)["main_index"] == r.person.main_index, answer
    sent = _sent(dut, "VerifyQr")
    assert len(sent) == 1 and sent[0]["request"]["qr_text"] == r.qr_text, "the code text was altered"


@pytest.mark.requirement("QR-TEXT-002", "QR-DYN-009")
def test_dynamic_code_is_verified_online(dut):
    r = register(dut.node)
    code, error = qr(dut.node, r.card.ehcid, dynamic=True)
    assert error is None
    answer = dut.present_qr_text(code.qr_text)
    assert _person(answer) and _person(answer)["main_index"] == r.person.main_index, answer
    assert _sent(dut, "VerifyQr")[0]["request"]["qr_text"] == code.qr_text


@pytest.mark.requirement("TERM-002", "NODE-VERIFY-002", "ID-009", "ID-008", "ID-010")
def test_verify_calls_carry_the_terminal_context(dut):
    r = register(dut.node)
    dut.present_qr_text(r.qr_text, scene="0101012")
    context = _sent(dut, "VerifyQr")[0]["request"]["context"]
    for field in ("terminal_id", "org_code", "use_city", "channel", "medical_step"):
        assert context.get(field), f"context.{field} missing"
    assert re.fullmatch(r"\d{6}", context["use_city"]), context["use_city"]
    assert context["terminal_id"].startswith(context["org_code"]), (
        "terminal id does not start with the org code"
    )
    assert re.fullmatch(r"\d{4}", context["terminal_id"][len(context["org_code"]) :]), "no 4-digit department"
    assert context["channel"] in ("0100", "0200", "0300", "0401", "0402", "0403", "0500", "9900")


@pytest.mark.requirement("QR-IMG-002")
def test_200_pixel_code_image(dut):
    from PIL import Image

    from qr_codec.image import render_png

    r = register(dut.node)
    big = Image.open(io.BytesIO(render_png(r.qr_text, scale=4)))
    buf = io.BytesIO()
    big.convert("L").resize((200, 200), Image.NEAREST).save(buf, format="PNG")
    answer = dut.present_qr_png(buf.getvalue(), "200x200 px static code")
    assert _person(answer), answer


@pytest.mark.requirement("QR-IMG-003")
def test_inverted_code_image(dut):
    r = register(dut.node)
    answer = dut.present_qr_text(r.qr_text, dark="#fff", light="#000")
    assert _person(answer), answer


@pytest.mark.requirement("QR-IMG-004", "SEC-011")
def test_unreadable_image_sends_nothing(dut):
    import os

    from PIL import Image

    buf = io.BytesIO()
    Image.frombytes("L", (120, 120), os.urandom(120 * 120)).save(buf, format="PNG")
    answer = dut.present_qr_png(buf.getvalue(), "noise, no code")
    assert not _person(answer) and answer.get("result", {}).get("error"), answer
    assert dut.last_exchange()["sent"] == [], "something was sent for an unreadable image"


@pytest.mark.requirement("QR-TEXT-010", "QR-TEXT-013", "SEC-002")
@pytest.mark.parametrize("defect", ["lower", "type", "short"])
def test_malformed_codes_never_give_a_person(dut, defect):
    r = register(dut.node)
    text = {"lower": r.qr_text.lower(), "type": r.qr_text[:-1] + "7", "short": r.qr_text[1:]}[defect]
    answer = dut.present_qr_text(text)
    assert answer["ok"] and not _person(answer), answer
    error = answer["result"]["error"]
    assert error.get("code"), "refusal without an error code"
    assert r.card.ehcid[:32] not in str(error).upper(), "the refusal echoes the EHCID"


@pytest.mark.requirement("QR-TEXT-011")
def test_opaque_token_is_forwarded_unchanged(dut):
    token = "HZ-TOKEN-" + "7" * 150
    answer = dut.present_qr_text(token)
    sent = _sent(dut, "VerifyQr")
    assert sent and sent[0]["request"]["qr_text"] == token, f"opaque token not forwarded as is: {answer}"


@pytest.mark.requirement("QR-TEXT-012")
def test_oversize_token_is_rejected_locally(dut, profile):
    token = "T" * (int(profile.param("qr.opaque_max_length")) + 40)
    answer = dut.present_qr_text(token)
    assert not _person(answer)
    assert dut.last_exchange()["sent"] == [], "an oversize token was sent to the node"


@pytest.mark.requirement("TERM-006")
def test_node_refusal_is_shown_without_local_fallback(dut):
    r = register(dut.node)
    assert card_action(dut.node, "Suspend", r.card.ehcid)[1] is None
    answer = dut.present_qr_text(r.qr_text)
    assert not _person(answer), "a person was shown for a suspended card"
    assert "SUSPEND" in answer["result"]["error"]["code"].upper()


@pytest.mark.requirement("TERM-007", "NODE-USAGE-001")
def test_each_use_is_reported_with_its_scene(dut, profile):
    r = register(dut.node)
    scene = str(profile.param("scenes.pharmacy"))
    assert _person(dut.present_qr_text(r.qr_text, scene=scene))
    records, error = dut.node.call("usage", "QueryUsage", U.QueryUsageRequest(ehcid=r.card.ehcid), "admin")
    assert error is None
    assert [u.scene for u in records.records] == [scene], (
        "the node did not receive one usage report with the scene"
    )


def _registered_card(dut):
    number = new_id_number()
    register(dut.node, id_number=number)
    return number, dut.make_card(person_for(number))


@pytest.mark.requirement("TERM-003", "CARD-AUTH-001", "CARD-AUTH-007")
def test_chip_card_is_read_with_psam_authentication(dut):
    number, image = _registered_card(dut)
    answer = dut.insert_card(image)
    assert _person(answer), answer
    apdus = [a[0] for a in answer["read"]["apdus"]]
    auth = next((i for i, a in enumerate(apdus) if a.startswith("0082")), None)
    assert auth is not None, "no EXTERNAL AUTHENTICATE"
    select_ef06 = next(i for i, a in enumerate(apdus) if a.startswith("00A4") and i > auth)
    assert select_ef06 > auth, "EF06 selected before authentication"


@pytest.mark.requirement("TERM-008")
def test_card_removed_during_reading_gives_no_identity(dut):
    _, image = _registered_card(dut)
    answer = dut.insert_card(image, faults=[{"kind": "remove", "ins": 0xB2, "after": 2}])
    assert not _person(answer) and answer["result"]["error"], answer


@pytest.mark.requirement("TERM-009")
def test_card_error_status_word_is_a_read_failure(dut):
    _, image = _registered_card(dut)
    answer = dut.insert_card(image, faults=[{"kind": "force_sw", "sw": "6A82", "ins": 0xA4}])
    assert not _person(answer) and answer["result"]["error"], answer


@pytest.mark.requirement("TERM-010")
def test_card_with_a_bad_issuer_signature_is_refused(dut):
    number = new_id_number()
    register(dut.node, id_number=number)
    image = dut.make_card(person_for(number), tamper_signature=True)
    answer = dut.insert_card(image)
    assert not _person(answer), "card with a bad issuer signature accepted"


def _id_record(number: str) -> dict:
    from card_emulators.readers.idcard import simulate_from_person

    return simulate_from_person(person_for(number)).to_dict()


def _ssc_record(number: str) -> str:
    from card_emulators.readers.sscard import format_record, simulate_from_person

    return format_record(simulate_from_person(person_for(number)))


@pytest.mark.requirement("TERM-004")
def test_id_card_resolves_through_the_main_index(dut):
    number = new_id_number()
    r = register(dut.node, id_number=number)
    answer = dut.request("present_id_card", record=_id_record(number))
    assert _person(answer) and _person(answer)["main_index"] == r.person.main_index, answer


@pytest.mark.requirement("TERM-005")
def test_social_security_card_resolves_through_the_main_index(dut):
    number = new_id_number()
    r = register(dut.node, id_number=number)
    answer = dut.request("present_ssc", record=_ssc_record(number))
    assert _person(answer) and _person(answer)["main_index"] == r.person.main_index, answer


@pytest.mark.requirement("TERM-012")
def test_every_medium_of_the_profile_is_accepted(dut, profile):
    offered = set(dut.hello["driver"].get("media", []))
    wanted = {"ehc-qr-static", "ehc-qr-dynamic", "resident-card", "id-card", "ssc"} & set(profile.media)
    assert wanted <= offered, f"driver does not offer {sorted(wanted - offered)}"
    number, image = _registered_card(dut)
    r = register(dut.node, id_number=number)
    code, _ = qr(dut.node, r.card.ehcid, dynamic=True)
    answers = {
        "ehc-qr-static": dut.present_qr_text(r.qr_text),
        "ehc-qr-dynamic": dut.present_qr_text(code.qr_text),
        "resident-card": dut.insert_card(image),
        "id-card": dut.request("present_id_card", record=_id_record(number)),
        "ssc": dut.request("present_ssc", record=_ssc_record(number)),
    }
    failed = [m for m in wanted if not _person(answers[m])]
    assert not failed, f"media not accepted: {failed}"


@pytest.mark.requirement("ID-001", "ID-002")
def test_id_card_with_a_bad_check_character_is_refused_locally(dut):
    number = new_id_number()
    record = _id_record(number)
    record["id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")
    answer = dut.request("present_id_card", record=record)
    assert not _person(answer), answer
    assert dut.last_exchange()["sent"] == [], "an invalid ID number was sent to the node"
