"""Registration, QR issuance, card life-cycle operations, temporary and newborn cards."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_node.proto.ehc.node.v1 import issuance_pb2 as I

from .helpers import (
    CST,
    assert_client_error,
    card_action,
    new_id_number,
    new_newborn,
    new_request_id,
    person_request,
    qr,
    register,
    verify,
)

HEX64 = re.compile(r"^[0-9A-F]{64}$")


@pytest.mark.requirement("NODE-REG-001", "QR-EHCID-004")
def test_register_returns_ehcid_and_static_code(dut):
    r = register(dut)
    assert HEX64.match(r.card.ehcid), "EHCID is not 64 upper-case hex"
    assert HEX64.match(r.person.main_index), "main index is not 64 upper-case hex"
    assert r.qr_text == f"{r.card.ehcid}:1"


@pytest.mark.requirement("NODE-REG-002")
def test_registering_twice_returns_the_same_card(dut):
    number = new_id_number()
    first = register(dut, id_number=number)
    second = register(dut, id_number=number, application_mode="2")
    assert (second.person.main_index, second.card.ehcid) == (first.person.main_index, first.card.ehcid)
    assert not second.person_created and not second.card_created


@pytest.mark.requirement("NODE-REG-003", "NODE-REG-006", "NODE-REG-007")
@pytest.mark.parametrize("mode", ["1", "2", "3", "4"])
def test_application_modes_are_accepted(dut, mode):
    assert register(dut, application_mode=mode).card.application_mode == mode


@pytest.mark.requirement("NODE-REG-003")
@given(mode=st.text(max_size=3))
def test_unknown_application_modes_are_refused(dut, profile, mode):
    if mode in profile.param("codes.application_modes"):
        return  # a mode of the profile's table: covered by the positive test
    _, error = dut.call("issuance", "Register", person_request(dut, application_mode=mode))
    assert_client_error(error, f"application mode {mode!r}")


@pytest.mark.requirement("NODE-REG-004", "ID-001", "ID-002")
@given(position=st.integers(0, 17), offset=st.integers(1, 10))
def test_invalid_id_numbers_are_refused(dut, position, offset):
    # The draw must not depend on the fresh number (Hypothesis replays must draw alike), so the
    # replacement is an offset in the alphabet: never the original character.
    number = new_id_number()
    alphabet = "0123456789X"
    replacement = alphabet[(alphabet.index(number[position]) + offset) % len(alphabet)]
    bad = number[:position] + replacement + number[position + 1 :]
    _, error = dut.call("issuance", "Register", person_request(dut, id_number=bad))
    assert_client_error(error, "ID number with one changed character")


@pytest.mark.requirement("ID-003")
def test_lower_case_check_character(dut, profile):
    number = new_id_number()
    while not number.endswith("X"):
        number = new_id_number()
    response, error = dut.call("issuance", "Register", person_request(dut, id_number=number[:-1] + "x"))
    if profile.param("identifiers.lowercase_x") == "normalise":
        assert error is None and response.person.document_number.endswith("X")
    else:
        assert_client_error(error, "lower-case x")


@pytest.mark.requirement("ID-004")
def test_legacy_15_digit_numbers_are_converted(dut):
    number = new_id_number()
    if number[6:8] != "19":  # 15-digit numbers were issued to people born in the 1900s:
        # 20YY -> 19YY (1900-1918, a range fresh numbers never use; 29 Feb 1900 did not exist)
        from ehc.spec.identifiers import make_citizen_id

        month, day = int(number[10:12]), int(number[12:14])
        born = dt.date(1900 + int(number[8:10]), month, 28 if (month, day) == (2, 29) else day)
        number = make_citizen_id(number[:6], born, int(number[14:17]))
    legacy = number[:6] + number[8:17]  # drop the century and the check character
    birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    response, error = dut.call(
        "issuance", "Register", person_request(dut, id_number=legacy, birth_date=birth)
    )
    assert error is None, error
    assert response.person.document_number == number, "15-digit number not converted to its 18-digit form"


@pytest.mark.requirement("ID-006")
@pytest.mark.parametrize("doc_type", ["00", "10", "98", "1", "A1"])
def test_unknown_document_types_are_refused(dut, doc_type):
    _, error = dut.call("issuance", "Register", person_request(dut, document_type=doc_type))
    assert_client_error(error, f"document type {doc_type}")


@pytest.mark.requirement("ID-011")
@pytest.mark.parametrize(("field", "value"), [("sex", "3"), ("sex", "8"), ("nation", "57"), ("nation", "00")])
def test_sex_and_nation_follow_the_code_tables(dut, field, value):
    _, error = dut.call("issuance", "Register", person_request(dut, **{field: value}))
    assert_client_error(error, f"{field}={value}")


@pytest.mark.requirement("NODE-REG-005", "NODE-REG-009")
def test_batch_registration_reports_each_record(dut):
    ids = [new_request_id("batch") for _ in range(4)]  # fresh: a node may remember request ids
    requests = [person_request(dut, application_mode="4", request_id=i, poverty_relief=True) for i in ids]
    good = new_id_number()
    bad_number = good[:-1] + ("0" if good[-1] != "0" else "1")  # wrong check character
    bad = new_request_id("batch-bad")
    requests.insert(2, person_request(dut, id_number=bad_number, application_mode="4", request_id=bad))
    results = dut.stream("issuance", "RegisterBatch", requests, role="admin")
    items = {item.request_id: item for result in results for item in result.items}
    assert set(items) == {*ids, bad}
    assert not items[bad].ok and items[bad].error.code
    assert all(items[i].ok and HEX64.match(items[i].ehcid) for i in ids)
    for i in ids:
        response, error = verify(dut, f"{items[i].ehcid}:1")
        assert error is None and response.flags.poverty_relief


@pytest.mark.requirement("NODE-QR-001")
def test_static_code(dut):
    card = register(dut).card
    response, error = qr(dut, card.ehcid, dynamic=False)
    assert error is None and response.qr_text == f"{card.ehcid}:1"


@pytest.mark.requirement("NODE-QR-002", "QR-DYN-004")
def test_dynamic_code_expires_after_the_profile_lifetime(dut, profile):
    card = register(dut).card
    before = dt.datetime.now(CST).replace(microsecond=0, tzinfo=None)
    response, error = qr(dut, card.ehcid, dynamic=True)
    after = dt.datetime.now(CST).replace(microsecond=0, tzinfo=None)
    assert error is None
    assert re.match(rf"^{card.ehcid}:0:[0-9A-F]{{32}}$", response.qr_text)
    lifetime = dt.timedelta(seconds=int(profile.param("dynamic_code.lifetime_seconds")))
    until = dt.datetime.strptime(response.valid_until, "%Y%m%d%H%M%S")
    slack = dt.timedelta(seconds=dut.clock_skew_s + 1)
    assert before + lifetime - slack <= until <= after + lifetime + slack, f"valid until {until}"


@pytest.mark.requirement("NODE-QR-003")
@pytest.mark.parametrize("code_type", [2, 7, -1])
def test_unknown_code_types_are_refused(dut, code_type):
    card = register(dut).card
    _, error = dut.call(
        "issuance",
        "GetQrCode",
        I.GetQrCodeRequest(ehcid=card.ehcid, code_type=code_type, context=dut.context()),
    )
    assert_client_error(error, f"code type {code_type}")


@pytest.mark.requirement("NODE-QR-004")
def test_no_code_for_unknown_or_cancelled_cards(dut):
    _, error = qr(dut, "0" * 64, dynamic=False)
    assert_client_error(error, "code for an unknown EHCID")
    card = register(dut).card
    assert card_action(dut, "Cancel", card.ehcid)[1] is None
    _, error = qr(dut, card.ehcid, dynamic=True)
    assert_client_error(error, "code for a cancelled card")


@pytest.mark.requirement("QR-DYN-007")
def test_reissue_while_valid_follows_the_profile(dut, profile):
    card = register(dut).card
    assert qr(dut, card.ehcid, dynamic=True)[1] is None
    _, error = qr(dut, card.ehcid, dynamic=True)
    if profile.param("dynamic_code.refuse_reissue_while_valid"):
        assert_client_error(error, "second dynamic code while the first is valid")
    else:
        assert error is None


def state_refusal(error: dict | None, what: str) -> dict:
    """A refusal that depends on the card's state (suspended, cancelled, wrong state for the
    action): gRPC FAILED_PRECONDITION. Not INVALID_ARGUMENT — gRPC keeps that for arguments wrong
    whatever the state, and a terminal acting on it tells the patient to scan a good code again,
    while the same code verifies after Resume (docs/node.md "Errors")."""
    error = assert_client_error(error, what)
    assert error.get("grpc") == "FAILED_PRECONDITION", (
        f"{what}: refused as {error.get('grpc')} ({error.get('code')}), expected FAILED_PRECONDITION"
    )
    return error


@pytest.mark.requirement("NODE-CARD-001", "NODE-VERIFY-004")
def test_suspend_and_resume(dut):
    r = register(dut)
    assert card_action(dut, "Suspend", r.card.ehcid)[1] is None
    _, error = verify(dut, r.qr_text)
    error = state_refusal(error, "verify a suspended card")
    assert "SUSPEND" in error["code"].upper()
    assert card_action(dut, "Resume", r.card.ehcid)[1] is None
    assert verify(dut, r.qr_text)[1] is None


@pytest.mark.requirement("NODE-CARD-001", "NODE-VERIFY-004")
def test_suspension_applies_to_a_card_verified_just_before(dut):
    """No cached answer survives a status change: verify, suspend, verify again (same code)."""
    r = register(dut)
    dynamic, error = qr(dut, r.card.ehcid, dynamic=True)
    assert error is None, error
    for text in (r.qr_text, dynamic.qr_text):
        assert verify(dut, text)[1] is None
    assert card_action(dut, "Suspend", r.card.ehcid)[1] is None
    for kind, text in (("static", r.qr_text), ("dynamic", dynamic.qr_text)):
        assert_client_error(verify(dut, text)[1], f"{kind} code of a card suspended after it verified")


@pytest.mark.requirement("NODE-CARD-002", "NODE-VERIFY-004")
def test_cancel_is_final(dut):
    r = register(dut)
    assert card_action(dut, "Cancel", r.card.ehcid)[1] is None
    state_refusal(verify(dut, r.qr_text)[1], "verify a cancelled card")
    state_refusal(card_action(dut, "Resume", r.card.ehcid)[1], "resume a cancelled card")
    state_refusal(qr(dut, r.card.ehcid, dynamic=False)[1], "code for a cancelled card")


@pytest.mark.requirement("NODE-CARD-003", "NODE-CARD-004")
def test_modify_keeps_identity_and_query_shows_it(dut):
    r = register(dut)
    response, error = dut.call(
        "issuance",
        "Modify",
        I.ModifyRequest(
            ehcid=r.card.ehcid, phone="13900002222", address="新地址2号", context=dut.context("admin")
        ),
        "admin",
    )
    assert error is None
    got, error = dut.call("issuance", "GetCard", I.GetCardRequest(ehcid=r.card.ehcid), "admin")
    assert error is None
    assert (got.card.ehcid, got.person.main_index) == (r.card.ehcid, r.person.main_index)
    assert got.person.phone == "13900002222" and got.card.status == r.card.status


@pytest.mark.requirement("NODE-CARD-006")
def test_operations_in_the_wrong_state_are_refused(dut):
    card = register(dut).card
    assert card_action(dut, "Suspend", card.ehcid)[1] is None
    state_refusal(card_action(dut, "Suspend", card.ehcid)[1], "suspend a suspended card")
    assert card_action(dut, "Resume", card.ehcid)[1] is None
    state_refusal(card_action(dut, "Resume", card.ehcid)[1], "resume a normal card")


@pytest.mark.requirement("NODE-CARD-005")
def test_family_bind_and_unbind(dut):
    guardian = register(dut).card.ehcid
    child = register(dut).card.ehcid
    request = I.BindFamilyRequest(
        guardian_ehcid=guardian, member_ehcid=child, relation="child", context=dut.context("admin")
    )
    bound, error = dut.call("issuance", "BindFamily", request, "admin")
    assert error is None and child in [m.ehcid for m in bound.members]
    unbound, error = dut.call("issuance", "UnbindFamily", request, "admin")
    assert error is None and child not in [m.ehcid for m in unbound.members]


def _newborn(dut, profile, guardian_number: str, certificate: str, birth_date: str = ""):
    return dut.call(
        "issuance",
        "RegisterNewborn",
        I.RegisterNewbornRequest(
            birth_certificate=certificate,
            document_type=str(profile.param("newborn.document_type")),
            name="新生儿",
            sex="2",
            nation="01",
            birth_date=birth_date or new_newborn()[0],
            area_code="370811",
            guardian_document_type="01",
            guardian_document_number=guardian_number,
            application_mode="3",
            context=dut.context(),
        ),
    )


@pytest.mark.requirement("NODE-TEMP-001", "NODE-TEMP-003", "NODE-TEMP-005", "NODE-VERIFY-006", "ID-005")
def test_newborn_gets_a_temporary_card_on_the_birth_certificate(dut, profile):
    guardian = new_id_number()
    register(dut, id_number=guardian)
    response, error = _newborn(dut, profile, guardian, f"N{new_id_number()[8:17]}")
    assert error is None, error
    assert response.card.attribute == 1, "newborn card is not temporary (attribute 1)"
    assert response.card.document_type == profile.param("newborn.document_type")
    verified, error = verify(dut, response.qr_text)
    assert error is None and verified.flags.temporary and verified.flags.newborn
    _, error = _newborn(dut, profile, guardian, "n12345678")
    assert_client_error(error, "malformed birth certificate number")


@pytest.mark.requirement("NODE-TEMP-002", "NODE-TEMP-004")
def test_temporary_card_upgrade_keeps_the_main_index(dut, profile):
    guardian = new_id_number()
    register(dut, id_number=guardian)
    birth_date, child_id = new_newborn()  # the child's own ID number, fresh on every run
    baby, error = _newborn(dut, profile, guardian, f"M{new_id_number()[8:17]}", birth_date)
    assert error is None
    upgraded, error = dut.call(
        "issuance",
        "UpgradeTemporary",
        I.UpgradeTemporaryRequest(
            ehcid=baby.card.ehcid, document_type="01", document_number=child_id, context=dut.context("admin")
        ),
        "admin",
    )
    assert error is None, error
    assert upgraded.person.main_index == baby.person.main_index
    assert upgraded.card.attribute == 2 and upgraded.card.ehcid != baby.card.ehcid
    assert_client_error(verify(dut, baby.qr_text)[1], "verify the superseded temporary card")
