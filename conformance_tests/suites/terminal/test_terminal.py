"""Terminals: QR images, chip cards, ID and social-security cards, what reaches the node.

The kit is lower tester (images, reader records, and the user card and PSAM, hosted by the kit) and
upper tester (the reference node, reached through the kit's recording proxy). Verdicts rest on the
kit's own evidence: the card-side transcript (every APDU the card and PSAM received) and the calls
the node received (``dut.received``). What the driver says is only what the terminal *showed*.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest

from conformance_tests.adapters.terminal import person_for
from conformance_tests.suites.node.helpers import card_action, new_id_number, qr, register
from conformance_tests.suites.terminal.cardside import card_access, cryptograms_not_from_psam, psam_apdus
from reference_node.proto.ehc.node.v1 import usage_pb2 as U

IDENTIFYING = {"VerifyQr", "VerifyChipCard", "Resolve", "GetQrCode"}
#: usage-report card type per medium the terminal declares (ehc.spec.codes.CARD_MEDIA)
CARD_TYPES = {
    "ehc-qr-static": "11",
    "ehc-qr-dynamic": "11",
    "resident-card": "10",
    "id-card": "20",
    "ssc": "30",
}
CST = dt.timezone(dt.timedelta(hours=8))


def _person(answer: dict) -> dict | None:
    return answer.get("result", {}).get("person")


def _verify_texts(dut, since: int) -> list[str]:
    return [c.request.qr_text for c in dut.received(since, "VerifyQr")]


def _identifying(dut, since: int) -> list:
    return [c for c in dut.received(since) if c.method in IDENTIFYING]


# ---------------------------------------------------------------------------------------- QR codes
@pytest.fixture(scope="session")
def short_codes(dut) -> dict:
    """Two dynamic codes valid for 1 s, of two holders (a profile may refuse a second dynamic code
    while one is valid). Made early in the run so that the expiry test at the end of the suite
    mostly finds them expired already instead of sleeping."""
    out: dict = {"scanned": False}
    for name in ("seen", "unseen"):
        r = register(dut.node)
        code, error = qr(dut.node, r.card.ehcid, dynamic=True, lifetime_seconds=1)
        assert error is None, error
        out[name], out[f"{name}_holder"] = code, r
    return out


def _scan_fresh(dut, short_codes) -> dict:
    code, holder = short_codes["seen"], short_codes["seen_holder"]
    mark = dut.mark()
    answer = dut.present_qr_text(code.qr_text)
    short_codes["scanned"] = True
    assert (p := _person(answer)) and p["main_index"] == holder.person.main_index, answer
    assert _verify_texts(dut, mark) == [code.qr_text], "the node did not verify the dynamic code online"
    return answer


@pytest.mark.requirement("QR-TEXT-002", "QR-DYN-009")
def test_dynamic_code_is_verified_online(dut, short_codes):
    _scan_fresh(dut, short_codes)


@pytest.mark.requirement("QR-TEXT-001", "TERM-001", "QR-IMG-001")
@pytest.mark.parametrize("ec_level", ["L", "M", "Q", "H"])
def test_static_code_at_every_ecc_level_is_sent_unchanged(dut, ec_level):
    r = register(dut.node)
    mark = dut.mark()
    answer = dut.present_qr_text(r.qr_text, ec_level=ec_level)
    assert answer["ok"] and (p := _person(answer)) and p["main_index"] == r.person.main_index, answer
    assert _verify_texts(dut, mark) == [r.qr_text], "the node did not receive the code text unchanged"


@pytest.mark.requirement("TERM-002", "NODE-VERIFY-002", "ID-009", "ID-008", "ID-010")
def test_verify_calls_carry_the_configured_terminal_context(dut):
    r = register(dut.node)
    mark = dut.mark()
    dut.present_qr_text(r.qr_text, scene="0101012")
    calls = dut.received(mark, "VerifyQr")
    assert calls, "the node received no verification"
    context = calls[0].request.context
    for field in ("terminal_id", "org_code", "use_city", "channel", "medical_step"):
        assert getattr(context, field), f"context.{field} missing"
    assert re.fullmatch(r"\d{6}", context.use_city), context.use_city
    assert context.terminal_id.startswith(context.org_code), "terminal id does not start with the org code"
    assert re.fullmatch(r"\d{4}", context.terminal_id[len(context.org_code) :]), "no 4-digit department"
    assert context.channel in ("0100", "0200", "0300", "0401", "0402", "0403", "0500", "9900")
    # The context is the identity the terminal was configured with, not one it made up.
    creds = dut.credentials
    assert (context.terminal_id, context.org_code) == (creds.terminal_id, creds.org_code), (
        f"context says terminal {context.terminal_id} of {context.org_code}; configured as "
        f"{creds.terminal_id} of {creds.org_code}"
    )


@pytest.mark.requirement("QR-IMG-002")
def test_200_pixel_code_image(dut):
    from PIL import Image

    from qr_codec.image import render_png

    r = register(dut.node)
    big = Image.open(io.BytesIO(render_png(r.qr_text, scale=4)))
    buf = io.BytesIO()
    big.convert("L").resize((200, 200), Image.Resampling.NEAREST).save(buf, format="PNG")
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
    mark = dut.mark()
    answer = dut.present_qr_png(buf.getvalue(), "noise, no code")
    assert not _person(answer) and answer.get("result", {}).get("error"), answer
    assert dut.received(mark) == [], "the node received something for an unreadable image"


@pytest.mark.requirement("QR-TEXT-010", "QR-TEXT-013")
@pytest.mark.parametrize("defect", ["type", "short"])
def test_malformed_codes_never_give_a_person(dut, defect):
    r = register(dut.node)
    text = {"type": r.qr_text[:-1] + "7", "short": r.qr_text[1:]}[defect]
    answer = dut.present_qr_text(text)
    assert answer["ok"] and not _person(answer), answer
    error = answer["result"]["error"]
    assert error.get("code"), "refusal without an error code"
    assert r.card.ehcid[:32] not in str(error).upper(), "the refusal echoes the EHCID"


@pytest.mark.requirement("QR-TEXT-004", "QR-TEXT-013")
def test_lower_case_code_is_not_repaired(dut):
    r = register(dut.node)
    mark = dut.mark()
    answer = dut.present_qr_text(r.qr_text.lower())
    assert answer["ok"] and not _person(answer), "a lower-case (malformed) code gave a person"
    assert r.qr_text not in _verify_texts(dut, mark), "the terminal upper-cased the code before sending it"
    assert r.card.ehcid[:32] not in str(answer["result"].get("error", "")).upper(), (
        "the refusal echoes the EHCID"
    )


@pytest.mark.requirement("QR-TEXT-011")
def test_opaque_token_is_forwarded_unchanged(dut):
    token = "HZ-TOKEN-" + "7" * 150
    mark = dut.mark()
    dut.present_qr_text(token)
    assert _verify_texts(dut, mark) == [token], "opaque token not forwarded as is"


@pytest.mark.requirement("QR-TEXT-012")
def test_oversize_token_is_rejected_locally(dut, profile):
    token = "T" * (int(profile.param("qr.opaque_max_length")) + 40)
    mark = dut.mark()
    answer = dut.present_qr_text(token)
    assert not _person(answer)
    assert dut.received(mark) == [], "an oversize token was sent to the node"


# ---------------------------------------------------------------------------------------- refusals
@pytest.mark.requirement("TERM-006")
def test_node_refusal_is_shown_without_local_fallback(dut):
    r = register(dut.node)
    assert card_action(dut.node, "Suspend", r.card.ehcid)[1] is None
    answer = dut.present_qr_text(r.qr_text)
    assert not _person(answer), "a person was shown for a suspended card"
    assert "SUSPEND" in answer["result"]["error"]["code"].upper()


@pytest.mark.requirement("TERM-006")
@pytest.mark.parametrize("action", ["Suspend", "Cancel"])
def test_card_refused_after_the_terminal_has_seen_it_shows_no_remembered_person(dut, action):
    r = register(dut.node)
    assert _person(dut.present_qr_text(r.qr_text)), "the valid card was not accepted first"
    assert card_action(dut.node, action, r.card.ehcid)[1] is None
    mark = dut.mark()
    answer = dut.present_qr_text(r.qr_text)
    calls = dut.received(mark, "VerifyQr")
    assert calls and calls[-1].outcome != "OK", "the node was not asked again (or accepted the card)"
    assert not _person(answer), f"a remembered person was shown for a card {action.lower()}ed since"


@pytest.mark.requirement("TERM-006")
def test_unreachable_node_gives_no_remembered_person(dut):
    """An "offline mode" shows a person the terminal identified before when the node cannot be
    reached — also for a card suspended meanwhile. The kit's proxy answers UNAVAILABLE for the
    identifying calls (the node is unreachable); no person may be shown, for a code or a card."""
    r = register(dut.node)
    assert _person(dut.present_qr_text(r.qr_text)), "the valid code was not accepted first"
    number, card = _registered_card(dut)
    assert _person(dut.insert_card(card)), "the valid card was not accepted first"
    assert card_action(dut.node, "Suspend", r.card.ehcid)[1] is None
    proxy = dut.proxy
    try:
        for method in IDENTIFYING:
            proxy.fail_next(method, 1000)  # unreachable for the whole presentation, retries too
        mark = dut.mark()
        code_answer = dut.present_qr_text(r.qr_text)
        card_answer = dut.insert_card(card)
        asked = [c.method for c in dut.received(mark) if c.outcome == "UNAVAILABLE"]
    finally:
        for method in IDENTIFYING:
            proxy.fail_next(method, 0)
    assert asked, "the terminal did not try the node (kit error: nothing was refused as unreachable)"
    assert not _person(code_answer), "node unreachable: a remembered person was shown for a (suspended) code"
    assert not _person(card_answer), "node unreachable: a remembered person was shown for a chip card"


def _wait_expired(dut, valid_until: str) -> None:
    """Sleep until the node refuses a code valid until ``valid_until`` (YYYYMMDDHHMMSS, UTC+8)."""
    until = dt.datetime.strptime(valid_until, "%Y%m%d%H%M%S").replace(tzinfo=CST)
    skew = float(getattr(dut.node, "clock_skew_s", 2))
    wait = (until - dt.datetime.now(CST)).total_seconds() + skew + 1.2  # the node's clock has 1 s steps
    if wait > 0:
        time.sleep(wait)


def _refused_without_rescue(dut, text: str, what: str) -> None:
    mark = dut.mark()
    answer = dut.present_qr_text(text, scene="0101012")
    calls = _identifying(dut, mark)
    assert not _person(answer), f"{what}: a person was shown"
    assert answer["result"].get("error", {}).get("code"), f"{what}: no refusal shown"
    # The node's own record: one verification of the scanned text, refused, and nothing after it.
    assert [(c.method, getattr(c.request, "qr_text", None)) for c in calls] == [("VerifyQr", text)], (
        f"{what}: the terminal tried to rescue the refused code: {[c.method for c in calls]}"
    )
    assert calls[0].outcome != "OK", f"{what}: the node accepted the code"


# ---------------------------------------------------------------------------------------- usage
def _reports(dut, since: int) -> list:
    return dut.received(since, "Report") + dut.received(since, "ReportStream")


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


def _stored(dut, record) -> bool:
    """The node's usage table holds ``record`` (looked up by its time window and request id)."""
    until = dt.datetime.strptime(record.time, "%Y%m%d%H%M%S") + dt.timedelta(seconds=1)
    found, error = dut.node.call(
        "usage",
        "QueryUsage",
        U.QueryUsageRequest(from_time=record.time, to_time=until.strftime("%Y%m%d%H%M%S"), limit=1000),
        "admin",
    )
    return error is None and any(u.request_id == record.request_id for u in found.records)


@pytest.mark.requirement("TERM-017", "TERM-007")
def test_every_declared_medium_is_reported_with_its_card_type(dut, profile):
    offered = set(dut.hello["driver"].get("media", []))
    media = [m for m in CARD_TYPES if m in offered and m in set(profile.media)]
    number = new_id_number()
    r = register(dut.node, id_number=number)
    code, error = qr(dut.node, r.card.ehcid, dynamic=True)
    assert error is None
    scene = "0101012"
    present = {
        "ehc-qr-static": lambda: dut.present_qr_text(r.qr_text, scene=scene),
        "ehc-qr-dynamic": lambda: dut.present_qr_text(code.qr_text, scene=scene),
        "resident-card": lambda: dut.insert_card(dut.make_card(person_for(number)), scene=scene),
        "id-card": lambda: dut.request("present_id_card", record=_id_record(number), scene=scene),
        "ssc": lambda: dut.request("present_ssc", record=_ssc_record(number), scene=scene),
    }
    problems = []
    for medium in media:
        mark = dut.mark()
        answer = present[medium]()
        if not _person(answer):
            problems.append(f"{medium}: not accepted ({answer.get('result')})")
            continue
        reports = [c for c in _reports(dut, mark) if c.outcome == "OK"]
        if len(reports) != 1:
            problems.append(f"{medium}: the node received {len(reports)} accepted usage reports, not 1")
            continue
        record = reports[0].request
        if record.card_type != CARD_TYPES[medium]:
            problems.append(f"{medium}: card type {record.card_type!r}, expected {CARD_TYPES[medium]}")
        if record.scene != scene:
            problems.append(f"{medium}: scene {record.scene!r}, expected {scene}")
        if medium.startswith("ehc-qr") and record.ehcid != r.card.ehcid:
            problems.append(f"{medium}: the report names another EHCID")
        if not medium.startswith("ehc-qr") and not record.card_number:
            problems.append(f"{medium}: the report has no card number")
        if not _stored(dut, record):
            problems.append(f"{medium}: the node has no usage record of the report")
    assert not problems, "; ".join(problems)


@pytest.mark.requirement("TERM-017", "TERM-007")
def test_each_card_use_is_reported_with_its_own_card_number(dut, profile):
    """Two holders, one after the other, with every card medium the terminal declares: each usage
    report must name the card just presented (a report filled from the previous presentation's
    buffer books every use on the previous patient). A chip card may be reported by the holder's
    ID number or by its item 8 card number."""
    offered = set(dut.hello["driver"].get("media", []))
    media = [m for m in ("id-card", "ssc", "resident-card") if m in offered and m in set(profile.media)]
    if not media:
        pytest.skip("the terminal declares no card medium (ID card, social-security card, chip card)")
    holders = [new_id_number(), new_id_number()]
    for number in holders:
        register(dut.node, id_number=number)
    problems = []
    for medium in media:
        for number in holders:
            expected = {number}
            if medium == "resident-card":
                card = dut.make_card(person_for(number))
                expected.add(card.item_raw(0xDDF1, 0xEF05, 8).rstrip(b"\x00").decode("ascii", "replace"))
                present = lambda card=card: dut.insert_card(card, scene="0101012")  # noqa: E731
            elif medium == "id-card":
                present = lambda number=number: dut.request(  # noqa: E731
                    "present_id_card", record=_id_record(number), scene="0101012"
                )
            else:
                present = lambda number=number: dut.request(  # noqa: E731
                    "present_ssc", record=_ssc_record(number), scene="0101012"
                )
            mark = dut.mark()
            if not _person(present()):
                problems.append(f"{medium}: not accepted")
                continue
            named = [c.request.card_number for c in _reports(dut, mark) if c.outcome == "OK"]
            if len(named) != 1 or named[0] not in expected:
                problems.append(f"{medium}: the usage report names another card ({len(named)} reports)")
    assert not problems, "; ".join(problems)


@pytest.mark.requirement("TERM-018")
def test_refused_presentations_are_not_reported(dut):
    r = register(dut.node)
    mark = dut.mark()
    dut.present_qr_text(r.qr_text[:-1] + "7", scene="0101012")  # refused locally
    assert card_action(dut.node, "Suspend", r.card.ehcid)[1] is None
    answer = dut.present_qr_text(r.qr_text, scene="0101012")  # refused by the node
    assert not _person(answer), answer
    number = new_id_number()
    register(dut.node, id_number=number)
    counterfeit = dut.make_card(person_for(number), keys=_counterfeit_keys())
    assert not _person(dut.insert_card(counterfeit, scene="0101012"))
    record = _id_record(number)
    record["id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")  # bad check character
    assert not _person(dut.request("present_id_card", record=record, scene="0101012"))
    reports = _reports(dut, mark)
    assert not reports, f"the node received {len(reports)} usage reports for refused presentations"


# ---------------------------------------------------------------------------------------- chip card
def _registered_card(dut, **card):
    number = new_id_number()
    register(dut.node, id_number=number)
    return number, dut.make_card(person_for(number), **card)


def _counterfeit_keys():
    from card_emulators.personalise import CardKeys

    return CardKeys.generate("counterfeit: not the keys of the terminal's PSAM")  # random, as the run's own


@pytest.mark.requirement("TERM-003", "CARD-AUTH-001", "CARD-AUTH-007")
def test_chip_card_is_read_with_psam_authentication(dut):
    number, card = _registered_card(dut)
    mark = dut.mark()
    answer = dut.insert_card(card)
    assert _person(answer), answer
    access = card_access(dut.card_side)
    # Whatever the card answered, a protected file read before a successful EXTERNAL AUTHENTICATE
    # is the terminal's fault (the card-side transcript shows the order).
    assert not access.early_reads, "; ".join(access.early_reads)
    assert access.authenticated_at, "the card never received a successful EXTERNAL AUTHENTICATE"
    assert psam_apdus(dut.card_side), "the PSAM received nothing: the cryptogram was not made by the PSAM"
    problems = cryptograms_not_from_psam(dut.card_side)
    assert not problems, "; ".join(problems)
    assert access.holder_reads_after_auth(), "EF06 was not read after the authentication"
    resolved = [c.request.identifier for c in dut.received(mark, "Resolve")]
    assert resolved == [number], "the node did not receive the card's number once"


def _assert_authenticated_read(dut, what: str) -> None:
    access = card_access(dut.card_side)
    assert not access.early_reads, f"{what}: " + "; ".join(access.early_reads)
    assert access.authenticated_at, f"{what}: the card never received a successful EXTERNAL AUTHENTICATE"
    problems = cryptograms_not_from_psam(dut.card_side)
    assert not problems, f"{what}: " + "; ".join(problems)
    assert access.holder_reads_after_auth(), f"{what}: EF06 was not read after the authentication"


@pytest.mark.requirement("TERM-003", "CARD-AUTH-007")
def test_a_card_seen_before_is_read_again_with_psam_authentication(dut):
    """A terminal that remembers card numbers may skip the authentication the second time; the
    card-side transcript of the second insertion must show the whole read again."""
    number, card = _registered_card(dut)
    assert _person(dut.insert_card(card)), "the card was not accepted the first time"
    mark = dut.mark()
    answer = dut.insert_card(card)
    assert _person(answer), f"the same card was not accepted the second time: {answer}"
    _assert_authenticated_read(dut, "second insertion of the same card")
    assert [c.request.identifier for c in dut.received(mark, "Resolve")] == [number]


@pytest.mark.requirement("TERM-014")
def test_counterfeit_copy_of_a_card_seen_before_is_refused(dut):
    """A copy of a genuine card's files (the same EF05, EF06 and issuer signature) made without its
    keys: a terminal that recognises the card number from the free file and trusts what it read
    last time accepts the copy. It must fail EXTERNAL AUTHENTICATE and give no person."""
    number, card = _registered_card(dut)
    assert _person(dut.insert_card(card)), "the genuine card was not accepted"
    copy = dut.make_card(person_for(number), keys=_counterfeit_keys())
    mark = dut.mark()
    answer = dut.insert_card(copy)
    assert not _person(answer), "a copy of a card seen before (other keys) was accepted"
    assert not _identifying(dut, mark), "the terminal asked the node about the copy's card number"


@pytest.mark.requirement("TERM-014")
def test_counterfeit_card_failing_external_authentication_is_refused(dut):
    _, card = _registered_card(dut, keys=_counterfeit_keys())
    mark = dut.mark()
    answer = dut.insert_card(card)
    access = card_access(dut.card_side)
    assert access.auth_attempts, "the terminal did not try EXTERNAL AUTHENTICATE"
    assert not access.authenticated_at, "the counterfeit card authenticated (kit error)"
    assert not _person(answer), "a person was shown for a card that failed external authentication"
    assert not _identifying(dut, mark), "the terminal fell back to the free-read card number"


@pytest.mark.requirement("TERM-015", "TERM-010")
def test_card_from_an_untrusted_issuer_is_refused(dut):
    _, card = _registered_card(dut, issuer=dut.other_issuer)
    answer = dut.insert_card(card)
    assert not _person(answer), "a card signed by an issuer the terminal does not trust was accepted"


@pytest.mark.requirement("TERM-008")
def test_card_removed_during_reading_gives_no_identity(dut):
    _, card = _registered_card(dut)
    answer = dut.insert_card(card, faults=[{"kind": "remove", "ins": 0xB2, "after": 2}])
    assert any(e.kind == "removed" for e in dut.card_side), "the card was not removed (kit error)"
    assert not _person(answer) and answer["result"]["error"], answer


@pytest.mark.requirement("TERM-008")
def test_card_removed_at_its_last_read_gives_no_identity(dut):
    """Removal at the end: a terminal that identifies the patient as soon as it has EF06 and takes
    what follows (EF08: validity, phones) as optional passes a removal early in the read. A first
    card is read whole to learn the terminal's own read sequence; a second card of another holder
    is pulled out at the terminal's last READ command."""
    _, first = _registered_card(dut)
    assert _person(dut.insert_card(first)), "the calibration card was not accepted"
    reads = [
        e.command[1]
        for e in dut.card_side
        if e.slot == "card" and e.kind == "apdu" and e.command[1:2] in (b"\xb0", b"\xb2")
    ]
    assert reads, "the terminal read nothing from the card"
    last = reads[-1]
    _, card = _registered_card(dut)
    mark = dut.mark()
    answer = dut.insert_card(card, faults=[{"kind": "remove", "ins": last, "after": reads.count(last) - 1}])
    assert any(e.kind == "removed" for e in dut.card_side), (
        "the card was not removed: the terminal read the second card with fewer commands than the first"
    )
    assert not _person(answer) and answer["result"].get("error"), (
        f"a card removed during the last READ (INS {last:02X}) gave a person: {answer}"
    )
    assert not _identifying(dut, mark), "the terminal asked the node about a card removed during its read"


@pytest.mark.requirement("TERM-009")
def test_card_error_status_word_is_a_read_failure(dut):
    _, card = _registered_card(dut)
    answer = dut.insert_card(card, faults=[{"kind": "force_sw", "sw": "6A82", "ins": 0xA4}])
    assert any(e.kind == "apdu" and e.response[-2:] == b"\x6a\x82" for e in dut.card_side)
    assert not _person(answer) and answer["result"]["error"], answer


@pytest.mark.requirement("TERM-009")
def test_card_error_at_the_last_select_is_a_read_failure(dut):
    """An error at the end of the read: a terminal that takes the files after EF06 (EF08: validity,
    phones) as optional passes an error on the first SELECT. A first card is read whole to learn the
    terminal's own SELECT sequence; the second card answers 6A82 to the terminal's last SELECT."""
    _, first = _registered_card(dut)
    assert _person(dut.insert_card(first)), "the calibration card was not accepted"
    selects = sum(
        1 for e in dut.card_side if e.slot == "card" and e.kind == "apdu" and e.command[1:2] == b"\xa4"
    )
    assert selects, "the terminal selected no file on the card"
    _, card = _registered_card(dut)
    card.faults.force_sw(0x6A82, ins=0xA4, skip=selects - 1)
    answer = dut.insert_card(card)
    refused = [
        e
        for e in dut.card_side
        if e.slot == "card"
        and e.kind == "apdu"
        and e.command[1:2] == b"\xa4"
        and e.response[-2:] == b"\x6a\x82"
    ]
    assert refused, "the terminal's last SELECT was not reached: it read the second card differently"
    assert not _person(answer) and answer["result"].get("error"), (
        f"the card answered 6A82 to the terminal's last SELECT and a person was shown: {answer}"
    )


@pytest.mark.requirement("TERM-010")
def test_card_with_a_bad_issuer_signature_is_refused(dut):
    _, card = _registered_card(dut, tamper_signature=True)
    answer = dut.insert_card(card)
    assert not _person(answer), "card with a bad issuer signature accepted"


# ---------------------------------------------------------------------------------------- documents
def _id_record(number: str) -> dict:
    from card_emulators.readers.idcard import simulate_from_person

    return simulate_from_person(person_for(number)).to_dict()


def _ssc_record(number: str) -> str:
    from card_emulators.readers.sscard import format_record, simulate_from_person

    return format_record(simulate_from_person(person_for(number)))


@pytest.mark.requirement("TERM-004", "SEC-002")
def test_id_card_resolves_through_the_main_index(dut):
    number = new_id_number()
    r = register(dut.node, id_number=number)
    mark = dut.mark()
    answer = dut.request("present_id_card", record=_id_record(number))
    assert (p := _person(answer)) and p["main_index"] == r.person.main_index, answer
    assert [c.request.identifier for c in dut.received(mark, "Resolve")] == [number]
    assert number not in str(answer), "the terminal's answer shows the full ID number"


@pytest.mark.requirement("TERM-005")
def test_social_security_card_resolves_through_the_main_index(dut):
    number = new_id_number()
    r = register(dut.node, id_number=number)
    answer = dut.request("present_ssc", record=_ssc_record(number))
    assert (p := _person(answer)) and p["main_index"] == r.person.main_index, answer


@pytest.mark.requirement("TERM-012")
def test_every_medium_of_the_profile_is_accepted(dut, profile):
    offered = set(dut.hello["driver"].get("media", []))
    wanted = {"ehc-qr-static", "ehc-qr-dynamic", "resident-card", "id-card", "ssc"} & set(profile.media)
    assert wanted <= offered, f"driver does not offer {sorted(wanted - offered)}"
    number, card = _registered_card(dut)
    r = register(dut.node, id_number=number)
    code, _ = qr(dut.node, r.card.ehcid, dynamic=True)
    answers = {
        "ehc-qr-static": dut.present_qr_text(r.qr_text),
        "ehc-qr-dynamic": dut.present_qr_text(code.qr_text),
        "resident-card": dut.insert_card(card),
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
    mark = dut.mark()
    answer = dut.request("present_id_card", record=record)
    assert not _person(answer), answer
    assert dut.received(mark) == [], "an invalid ID number was sent to the node"


# Last in the file: the codes made by ``short_codes`` at the start have expired meanwhile.
@pytest.mark.requirement("TERM-016", "QR-DYN-009")
def test_expired_dynamic_code_is_refused_and_not_rescued(dut, short_codes):
    if not short_codes["scanned"]:  # run on its own (-k): scan the first code while it is valid
        _scan_fresh(dut, short_codes)
    seen, unseen = short_codes["seen"], short_codes["unseen"]
    _wait_expired(dut, max(seen.valid_until, unseen.valid_until))
    _refused_without_rescue(dut, unseen.qr_text, "code expired when scanned")
    _refused_without_rescue(dut, seen.qr_text, "code expired between two scans")
