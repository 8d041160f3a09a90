"""Self-service kiosks: applying for the resident health card with the ID card (NODE-REG-007).

Seed 002 §二(三) (Zibo): residents apply at a kiosk with their ID card. The driver is asked to
``apply_with_id_card`` with what the kit's ID-card reader simulation hands the terminal (the chip's
data) and what the applicant typed on the screen (``form``: a contact phone, and a name and nation
that differ from the chip's, as a clerk's or applicant's typing does). The verdict rests on the
node's own records, read as the operator, and on the calls the kit's proxy saw: one registration
under the terminal's configured identity, application mode 2 (self-service kiosk), holding the
chip's name, sex, nation and birth date; the code the kiosk shows is that card's. A terminal that is
not a kiosk declares NODE-REG-007 relaxed ([not_claimed] or [exclusions], with its reason).
"""

from __future__ import annotations

import base64

import pytest

from conformance_tests.suites.node.helpers import new_id_number, new_phone, verify
from reference_node.proto.ehc.node.v1 import issuance_pb2 as I

KIOSK_MODE = "2"  # ehc.spec.codes.APPLICATION_MODES: 自助机申领
CHIP_NATION = "03"  # 回族: not the "01" a form defaults to
SURNAMES = "赵钱孙李周吴郑王冯陈"
GIVEN = "子涵浩然雨轩欣怡梓萱思远"
#: what a typing slip at the kiosk's screen makes of a name: a homophone of the last character
HOMOPHONE = {"涵": "含", "然": "燃", "轩": "萱", "怡": "宜", "萱": "轩", "远": "园", "子": "梓", "浩": "皓"}


def _chip_person(number: str):
    """The holder of a fresh ID number, with a name and nation drawn from it (not the kit's defaults)."""
    from dataclasses import replace

    from conformance_tests.adapters.terminal import person_for

    digits = [int(c) for c in number[:17]]
    name = SURNAMES[sum(digits) % 10] + GIVEN[digits[-1] % 12] + GIVEN[(digits[-2] + 1) % 12]
    return replace(person_for(number), name=name, nation=CHIP_NATION, address="山东省淄博市淄川区般阳路12号")


def _typed(name: str) -> str:
    last = name[-1]
    return name[:-1] + HOMOPHONE.get(last, "某")


def _apply(dut, record: dict, form: dict) -> dict:
    answer = dut.request("apply_with_id_card", record=record, form=form)
    if not answer.get("ok") and (answer.get("error") or {}).get("code") == "UNKNOWN_OP":
        pytest.fail(
            "the terminal has no kiosk application (apply_with_id_card answered UNKNOWN_OP): NODE-REG-007 "
            "applies to terminals under this profile; a terminal that is not a kiosk relaxes it in its "
            "declaration ([not_claimed] or [exclusions] with the reason), which makes it not applicable"
        )
    return answer


def _on_record(dut, number: str):
    """The person and cards the node holds for the ID number (read as the operator), or None."""
    found, error = dut.node.call(
        "issuance", "Query", I.QueryRequest(document_type="01", document_number=number), "admin"
    )
    return None if error is not None else found


@pytest.mark.requirement("NODE-REG-007")
def test_kiosk_application_registers_the_id_cards_data_as_a_kiosk(dut):
    from card_emulators.readers.idcard import simulate_from_person

    number = new_id_number()
    chip = simulate_from_person(_chip_person(number))
    form = {"name": _typed(chip.name), "nation": "01", "phone": new_phone()}
    assert _on_record(dut, number) is None, "kit error: the fresh ID number is already registered"
    mark = dut.mark()
    answer = _apply(dut, chip.to_dict(), form)
    assert answer.get("ok"), f"the kiosk could not act: {answer.get('error')}"
    issued = (answer.get("result") or {}).get("issued")
    assert issued, f"the kiosk showed no issued card: {answer.get('result')}"

    # The node's own records: one card for the ID card's holder, applied for at a kiosk by this
    # terminal's organisation, holding what the chip says (not what was typed on the screen).
    held = _on_record(dut, number)
    assert held is not None, "the node holds no registration for the ID card (success shown without one)"
    person, creds = held.person, dut.credentials
    wrong = [
        f"{field} {getattr(person, field)!r} on record, the chip says {want!r}"
        for field, want in (
            ("name", chip.name),
            ("sex", chip.sex),
            ("nation", chip.nation),
            ("birth_date", f"{chip.birth_date[:4]}-{chip.birth_date[4:6]}-{chip.birth_date[6:]}"),
        )
        if getattr(person, field) != want
    ]
    assert not wrong, "registered with other data than the ID card's: " + "; ".join(wrong)
    assert len(held.cards) == 1, f"the node holds {len(held.cards)} cards for the applicant"
    card = held.cards[0]
    assert card.application_mode == KIOSK_MODE, (
        f"application mode {card.application_mode!r} on record, a kiosk application is {KIOSK_MODE}"
    )
    assert card.org_code == creds.org_code, "the card was issued under another organisation"

    # What the node received (the kit's proxy): the registration carried the terminal's own context.
    registrations = [c for c in dut.received(mark) if c.method.startswith("Register")]
    assert registrations, "the node received no registration from the terminal"
    for call in registrations:
        context = getattr(call.request, "context", None)
        got = (context.terminal_id, context.org_code) if context is not None else None
        assert got == (creds.terminal_id, creds.org_code), (
            f"registration under {got}, the terminal is configured as {(creds.terminal_id, creds.org_code)}"
        )

    # What the kiosk showed is the card the node holds, and the code works at the node.
    assert issued.get("ehcid") == card.ehcid, "the kiosk shows another EHCID than the card on record"
    text = str(issued.get("qr_text", ""))
    assert text.startswith(card.ehcid + ":"), "the code shown is not a code of the card on record"
    verified, error = verify(dut.node, text)
    assert error is None and verified.person.main_index == person.main_index, (
        f"the code shown does not verify at the node as the applicant: {error}"
    )
    if issued.get("qr_png_b64"):
        from card_emulators.readers.qr_scanner import scan_image

        shown = scan_image(base64.b64decode(issued["qr_png_b64"])).identifier
        assert shown == text, "the code image shown is not the code text"


@pytest.mark.requirement("NODE-REG-007")
def test_kiosk_refuses_an_id_card_that_fails_its_check_and_registers_nothing(dut):
    from card_emulators.readers.idcard import simulate_from_person

    number = new_id_number()
    record = simulate_from_person(_chip_person(number)).to_dict()
    record["id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")  # bad check character
    mark = dut.mark()
    answer = _apply(dut, record, {"phone": new_phone()})
    assert not (answer.get("result") or {}).get("issued"), (
        "a card was shown for an ID card that fails GB 11643"
    )
    accepted = [c for c in dut.received(mark) if c.method.startswith("Register") and c.outcome == "OK"]
    assert not accepted and _on_record(dut, record["id_number"]) is None, (
        "an ID card that fails GB 11643 was registered at the node"
    )
