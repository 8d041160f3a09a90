"""A node or platform through the Qinghai QWB 002-2017 SOAP envelope (role ``node-qinghai``).

Every check is made through ``RHCMessageServer(action, message)`` alone, as a hospital's system
sees the platform: a refusal is result "failure" with a non-zero resultCode and no holder data (or a
SOAP fault). Only the platform's own numbers are asserted (0, 1005, 6002). Fresh people per run.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import time
import uuid
from typing import Any

import pytest

from conformance_tests.suites.node.helpers import new_id_number
from reference_node.platforms.qinghai_envelope import (
    SENSITIVE_FIELDS,
    XmlRefused,
    build_flat,
    decrypt_field,
    parse_response,
    user_pwd,
)

ID_RE = re.compile(r"\d{17}[\dXx]")
BEIJING = dt.timezone(dt.timedelta(hours=8))
HOLDER_FIELDS = ("id_number", "id_card", "name", "ecardId", "main_index", "qr_codetext")


def _send(client: Any, action: str, message: str) -> dict[str, Any]:
    """One call with the two strings as given; a SOAP fault counts as a failure answer."""
    from zeep.exceptions import Fault

    try:
        return parse_response(client.raw(action, message))
    except Fault as fault:
        return {"result": "failure", "resultCode": "soap-fault", "desc": str(fault.message)[:200]}
    except XmlRefused:
        return {"result": "unparsable", "resultCode": "", "desc": ""}


def _call(dut: Any, business: str, fields: dict[str, str], *, client: Any = None, **action: Any) -> dict:
    client = client or dut.client
    return _send(client, client.action(business, **action), client.message(fields))


def _ok(out: dict[str, Any]) -> bool:
    return out.get("result") == "success" and out.get("resultCode") == "0"


def _refused(out: dict[str, Any]) -> bool:
    data = out.get("data") or {}
    holder = isinstance(data, dict) and any(data.get(k) for k in HOLDER_FIELDS)
    return out.get("result") == "failure" and out.get("resultCode") not in ("", "0", None) and not holder


def _now() -> str:
    return dt.datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _person(number: str | None = None) -> dict[str, str]:
    number = number or new_id_number()
    return {
        "name": "测试居民",
        "id_type": "01",
        "id_number": number,
        "sex": "1" if int(number[16]) % 2 else "2",
        "nation": "01",
        "birthday": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
        "cellphone": "13800000000",
        "address": "西宁市城中区测试地址",
    }


def _register(dut: Any, number: str | None = None) -> dict[str, Any]:
    out = _call(dut, "RHC_E0006", _person(number))
    assert _ok(out), f"RHC_E0006 refused: {out.get('resultCode')} {out.get('desc')}"
    return out["data"]


def _verify_fields(dut: Any, qr_code: str) -> dict[str, str]:
    return {
        "qr_code": qr_code,
        "time": _now(),
        "sam": dut.org_id + "0300",
        "use_citycode": str(dut.run.profile.param("area.city", "370800")),
        "hospital_code": dut.org_id,
        "hospital_name": "测试医院",
        "channel_code": "0100",
        "medstep_code": "010101",
    }


@pytest.mark.requirement("QINGHAI-001")
@pytest.mark.parametrize(
    "case",
    [
        "wrong-password",
        "unknown-user",
        "password-of-another-secret",
        "password-upper-case",
        "password-padded",
    ],
)
def test_credentials_are_checked(dut, case):
    action: dict[str, Any] = {}
    if case == "wrong-password":
        action["password"] = secrets.token_hex(16)
    elif case == "password-upper-case":  # userPwd is lower-case hex: another case is another value
        action["password"] = dut.client.password.upper()
        assert action["password"] != dut.client.password, "userPwd holds no letter"
    elif case == "unknown-user":
        action["user_name"] = "EHC-NO-SUCH-USER-" + secrets.token_hex(4).upper()
    else:
        action["password"] = user_pwd(secrets.token_bytes(32))
    out = _call(dut, "RHC_E0006", _person(), **action)
    assert _refused(out) and out.get("resultCode") == "1005", (
        f"{case}: answered {out.get('result')} {out.get('resultCode')} (1005 expected)"
    )
    assert _ok(_call(dut, "RHC_E0006", _person())), "the correctly authenticated control call failed"


@pytest.mark.requirement("QINGHAI-002")
@pytest.mark.parametrize("second", ["same-call", "other-message", "after-another-call"])
def test_a_replayed_msg_guid_gives_no_person(dut, second):
    card = _register(dut)
    guid = uuid.uuid4().hex
    first = _call(dut, "RHC_E0003", _verify_fields(dut, card["qr_code"]), msg_guid=guid)
    assert _ok(first), f"verify refused: {first.get('resultCode')} {first.get('desc')}"
    fields = _verify_fields(dut, card["qr_code"])
    if second == "other-message":
        # the msgGuid is what is unique, not the whole call: a replay cache keyed on the content
        # lets the same msgGuid through with one field changed
        fields["medstep_code"] = "010103"
    elif second == "after-another-call":  # a replay memory of one call is no memory
        other = _call(dut, "RHC_E0005", {"ecard_id": card["ecardId"]})
        assert _ok(other), f"the call in between was refused: {other.get('resultCode')}"
    again = _call(dut, "RHC_E0003", fields, msg_guid=guid)
    assert _refused(again), f"{second}: the same msgGuid was answered twice ({again.get('resultCode')})"


@pytest.mark.requirement("QINGHAI-003")
# -28800: a HIS that writes msgCreateTime in UTC is eight hours stale in Beijing time; a platform
# that falls back to reading it as UTC accepts any call captured in the last eight hours.
@pytest.mark.parametrize("offset_s", [-3600, 900, -8 * 3600])
def test_a_stale_or_future_create_time_is_refused(dut, offset_s):
    card = _register(dut)
    skewed = dut.new_client(clock=lambda: time.time() + offset_s)
    out = _call(dut, "RHC_E0003", _verify_fields(dut, card["qr_code"]), client=skewed)
    assert _refused(out), f"msgCreateTime {offset_s:+d} s accepted ({out.get('resultCode')})"


@pytest.mark.requirement("QINGHAI-004")
@pytest.mark.parametrize("case", ["orgId-and-appCode", "neither"])
def test_exactly_one_of_org_id_and_app_code(dut, case):
    client = dut.client
    fields = {
        "msgGuid": uuid.uuid4().hex, "msgType": "1", "bussinessCode": "RHC_E0006",
        "msgCreateTime": client.create_time(), "userName": client.user_name, "userPwd": client.password,
        "stdVerCode": "1.0", "encryption": "0",
    }  # fmt: skip
    if case == "orgId-and-appCode":
        fields |= {"orgId": dut.org_id, "appCode": "APP001"}
    out = _send(client, build_flat("action", fields), client.message(_person()))
    assert _refused(out), f"{case}: accepted ({out.get('resultCode')})"


@pytest.mark.requirement("QINGHAI-005")
def test_a_lower_case_x_is_refused_with_6002(dut):
    number = next(n for n in iter(new_id_number, None) if n.endswith("X"))
    out = _call(dut, "RHC_E0006", _person(number) | {"id_number": number.lower()})
    assert _refused(out) and out.get("resultCode") == "6002", (
        f"an ID number with a lower-case x: {out.get('result')} {out.get('resultCode')} (6002 expected)"
    )


@pytest.mark.requirement("QINGHAI-006")
@pytest.mark.parametrize(
    "case", ["unknown-card", "unknown-business", "malformed-message", "unknown-field", "garbage-code"]
)
def test_every_refusal_is_a_failure_with_a_non_zero_code(dut, case):
    client = dut.client
    if case == "unknown-card":
        out = _call(dut, "RHC_E0003", _verify_fields(dut, f"{secrets.randbits(256):064X}:1"))
    elif case == "unknown-business":
        out = _send(client, client.action("RHC_E0099"), client.message({"ecard_id": "0" * 64}))
    elif case == "malformed-message":
        out = _send(client, client.action("RHC_E0006"), "<message><name>测试</message>")
    elif case == "unknown-field":
        out = _call(dut, "RHC_E0006", _person() | {"nickname": "小测"})
    else:
        out = _call(dut, "RHC_E0003", _verify_fields(dut, "NOT-A-HEALTH-CODE"))
    # a well-formed SOAP call is answered in the body: a SOAP fault carries no resultCode a hospital
    # system coded to the document can read (faults are for a SOAP request that is itself broken)
    assert out.get("resultCode") != "soap-fault", f"{case}: answered as a SOAP fault ({out.get('desc')})"
    assert _refused(out), f"{case}: result {out.get('result')!r} resultCode {out.get('resultCode')!r}"


_XXE = '<!DOCTYPE message [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
_BOMB = (
    '<!DOCTYPE message [<!ENTITY a "测"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)


def _soap_with_entity(dut: Any, action: str, message: str) -> dict[str, Any]:
    """The SOAP request itself carries a DTD whose entity is the caller's userName, referenced in
    the action: an entity-expanding SOAP stack hands the platform a valid call."""
    import httpx
    from lxml import etree

    client = dut.client
    envelope = client.soap.create_message(client.soap.service, "RHCMessageServer", action, message)
    text = etree.tostring(envelope, encoding="unicode")
    escaped = f"&lt;userName&gt;{client.user_name}&lt;/userName&gt;"
    assert escaped in text, "the SOAP request does not carry the action as escaped text"
    text = text.replace(escaped, "&lt;userName&gt;&u;&lt;/userName&gt;")
    doctype = f'<!DOCTYPE {envelope.prefix}:Envelope [<!ENTITY u "{client.user_name}">]>'
    raw = f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}\n{text}'.encode()
    address = client.soap.service._binding_options["address"]
    answer = httpx.post(address, content=raw, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30)
    dut.log.call("qinghai SOAP request with a DTD", {"bytes": len(raw)}, {"http_status": answer.status_code})
    try:
        tree = etree.fromstring(answer.content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {"result": "failure", "resultCode": f"http-{answer.status_code}"}
    found = [
        e.text or ""
        for e in tree.iter()
        if isinstance(e.tag, str) and e.tag.endswith("RHCMessageServerResult")
    ]
    if not found:  # a SOAP fault
        return {"result": "failure", "resultCode": "soap-fault"}
    try:
        return parse_response(found[0])
    except XmlRefused:
        return {"result": "unparsable", "resultCode": ""}


@pytest.mark.requirement("QINGHAI-007")
@pytest.mark.parametrize(
    "case",
    ["external-entity", "internal-entity", "entity-bomb", "entity-in-action", "entity-in-soap-request"],
)
def test_a_dtd_or_entity_is_refused(dut, case):
    client = dut.client
    person = _person()
    message = client.message(person)
    action = client.action("RHC_E0006")
    if case == "entity-in-soap-request":
        out = _soap_with_entity(dut, action, message)
        assert _refused(out), (
            f"a DTD in the SOAP request was accepted ({out.get('result')} {out.get('resultCode')})"
        )
        return
    if case == "external-entity":  # an XXE: a platform that resolves it reads its own files
        message = _XXE + message.replace("<address>" + person["address"], "<address>&x;")
    elif case == "internal-entity":
        decl = f'<!DOCTYPE message [<!ENTITY n "{person["name"]}">]>'
        message = decl + message.replace("<name>" + person["name"], "<name>&n;")
    elif case == "entity-bomb":  # bounded (1000 characters): a billion laughs in miniature
        message = _BOMB + message.replace("<address>" + person["address"], "<address>&d;")
    else:
        decl = f'<!DOCTYPE action [<!ENTITY u "{client.user_name}">]>'
        action = decl + action.replace(f"<userName>{client.user_name}<", "<userName>&u;<")
    assert "<!DOCTYPE" in message + action and re.search(r"&[a-z];", message + action), "payload not built"
    out = _send(client, action, message)
    assert _refused(out), f"{case}: a DTD was accepted ({out.get('result')} {out.get('resultCode')})"


@pytest.mark.requirement("QINGHAI-008")
def test_sensitive_fields_travel_encrypted_when_asked(dut):
    client = dut.new_client(encryption=True)
    person = _person()
    wire = client.message(person)
    assert person["id_number"] not in wire and person["name"] not in wire
    card = _send(client, client.action("RHC_E0006"), wire)
    assert _ok(card), f"encrypted RHC_E0006 refused: {card.get('resultCode')} {card.get('desc')}"
    seen = _send(
        client, client.action("RHC_E0003"), client.message(_verify_fields(dut, card["data"]["qr_code"]))
    )
    assert _ok(seen), f"encrypted RHC_E0003 refused: {seen.get('resultCode')}"
    data = seen["data"]
    expected = {k: person[k] for k in ("name", "id_number", "cellphone", "address")}
    assert all(data.get(k) for k in expected), f"the answer lacks {[k for k in expected if not data.get(k)]}"
    for name, value in data.items():
        if name in SENSITIVE_FIELDS and isinstance(value, str) and value:
            assert value not in person.values(), f"{name} answered in plain text under encryption=1"
            try:
                plain = decrypt_field(client.key, value)
            except ValueError:
                raise AssertionError(f"{name} of the answer does not decrypt with the field key") from None
            if name in expected:
                assert plain == expected[name], f"{name} decrypts to another value"
    plain_message = client.message(_person(), encryption=False)
    out = _send(client, client.action("RHC_E0006"), plain_message)
    assert _refused(out), f"plain sensitive fields under encryption=1 were accepted ({out.get('resultCode')})"


@pytest.mark.requirement("QINGHAI-009")
@pytest.mark.parametrize("field", ["name", "qr_code"])
def test_an_over_long_field_is_refused_not_truncated(dut, field):
    if field == "name":
        out = _call(dut, "RHC_E0006", _person() | {"name": "张" * 51})
    else:
        card = _register(dut)
        out = _call(dut, "RHC_E0003", _verify_fields(dut, card["qr_code"] + "0" * 257))
    assert _refused(out), f"a {field} over its bound was accepted ({out.get('resultCode')})"


@pytest.mark.requirement("QINGHAI-010")
def test_a_visit_through_the_envelope(dut):
    from qr_codec.image import read_codes

    number = new_id_number()
    card = _register(dut, number)
    ecard = card.get("ecardId", "")
    assert re.fullmatch(r"[0-9A-F]{64}", ecard) and card.get("qr_code") == ecard + ":1", card
    codes = _call(dut, "RHC_E0005", {"ecard_id": ecard})
    assert _ok(codes), f"RHC_E0005 refused: {codes.get('resultCode')}"
    got = codes["data"]
    assert got.get("qr_code") == card["qr_code"], "RHC_E0005 static code is not the card's"
    assert got.get("dt_qr_code", "").startswith(ecard + ":0:"), "RHC_E0005 gave no dynamic code"
    for text, image in (("qr_code", "qr_code_img"), ("dt_qr_code", "dt_qr_code_img")):
        decoded = [m.text for m in read_codes(base64.b64decode(got.get(image, "")))]
        assert decoded == [got[text]], f"{image} does not show {text}"
    seen = _call(dut, "RHC_E0003", _verify_fields(dut, got["dt_qr_code"]))
    assert _ok(seen), f"RHC_E0003 refused: {seen.get('resultCode')}"
    holder = seen["data"]
    assert (holder.get("id_number"), holder.get("ecardId"), holder.get("main_index")) == (
        number,
        ecard,
        card.get("main_index"),
    ), "the verified holder is not the registered one"
    use = {
        "card_no": number,
        "atr": "3B6D00000081318655000000000000",
        "sam_no": dut.org_id[-6:] + "000001",
        "time": _now(),
        "use_citycode": str(dut.run.profile.param("area.city", "370800")),
        "hospital_code": dut.org_id,
        "channel_code": "0100",
        "medstep_code": "010101",
        "dept_code": "0300",
    }
    guid = uuid.uuid4().hex
    first = _call(dut, "RHC_E0009", use, msg_guid=guid)
    assert _ok(first), f"RHC_E0009 refused: {first.get('resultCode')} {first.get('desc')}"
    again = _call(dut, "RHC_E0009", use, msg_guid=guid)  # the HIS retries after a lost answer
    assert _ok(again), f"a retry of the same upload failed: {again.get('resultCode')}"
    assert (first["data"].get("duplicate"), again["data"].get("duplicate")) == ("0", "1")
    assert first["data"].get("record_id") == again["data"].get("record_id"), "the retry made a second record"


@pytest.mark.requirement("QINGHAI-011")
def test_refusals_never_echo_an_id_number(dut):
    number = new_id_number()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")  # wrong check character
    x_number = next(n for n in iter(new_id_number, None) if n.endswith("X")).lower()
    outs = [
        _call(dut, "RHC_E0006", _person(number) | {"id_number": bad}),
        _call(dut, "RHC_E0006", _person(x_number) | {"id_number": x_number}),
        _call(dut, "RHC_E0006", _person(number) | {"name": "张" * 51}),
    ]
    for out in outs:
        assert _refused(out), f"{out.get('result')} {out.get('resultCode')}"
        assert not ID_RE.search(str(out.get("desc", ""))), "desc holds a full ID number"


@pytest.mark.requirement("QINGHAI-012")
@pytest.mark.parametrize("where", ["orgId", "hospital_code", "E0009.hospital_code"])
def test_another_organisation_is_refused(dut, where):
    card = _register(dut)
    other = dut.org_id[:-2] + ("00" if dut.org_id[-2:] != "00" else "11")
    fields = _verify_fields(dut, card["qr_code"])
    if where == "E0009.hospital_code":
        # a card-usage upload filed in another organisation's name is as wrong as a verification
        use = {
            "card_no": new_id_number(),
            "atr": "3B6D00000081318655000000000000",
            "sam_no": dut.org_id[-6:] + "000001",
            "time": _now(),
            "use_citycode": str(dut.run.profile.param("area.city", "370800")),
            "hospital_code": other,
            "channel_code": "0100",
            "medstep_code": "010101",
        }
        out = _call(dut, "RHC_E0009", use)
        assert _refused(out) and not (out.get("data") or {}).get("record_id"), (
            f"RHC_E0009 for another organisation accepted ({out.get('resultCode')})"
        )
        return
    if where == "orgId":
        out = _call(dut, "RHC_E0003", fields, org_id=other)
    else:
        out = _call(dut, "RHC_E0003", fields | {"hospital_code": other})
    assert out.get("resultCode") != "soap-fault", f"{where}: answered as a SOAP fault ({out.get('desc')})"
    assert _refused(out), f"{where} of another organisation accepted ({out.get('resultCode')})"
    control = _call(dut, "RHC_E0003", _verify_fields(dut, card["qr_code"]))
    assert _ok(control), (
        f"the control call of the account's own organisation failed: {control.get('resultCode')}"
    )


@pytest.mark.requirement("QINGHAI-013")
def test_answer_fields_keep_their_formats(dut):
    """The holder RHC_E0003 answers is written in the formats the message uses: birthday
    yyyy-MM-dd (the registered date), sex a GB/T 2261.1 code, nation a GB 3304 code."""
    number = new_id_number()
    person = _person(number)
    card = _register(dut, number)
    seen = _call(dut, "RHC_E0003", _verify_fields(dut, card["qr_code"]))
    assert _ok(seen), f"RHC_E0003 refused: {seen.get('resultCode')}"
    holder = seen["data"]
    assert holder.get("birthday") == person["birthday"], f"birthday {holder.get('birthday')!r}"
    assert holder.get("sex") == person["sex"], f"sex {holder.get('sex')!r}"
    assert holder.get("nation") == person["nation"], f"nation {holder.get('nation')!r}"


@pytest.mark.requirement("NODE-CERT-001")
def test_a_terminal_without_a_certification_report_is_refused(dut):
    """检测备案 through the envelope (shandong-jining): a terminal the registry lists but no PASS
    report names is refused on a verification and a registration alike, with no holder data; the
    suite's certified terminal is served meanwhile. A platform that checks certificates on its
    gRPC door only fails here."""
    from conformance_tests.adapters.qinghai import QinghaiPlatform
    from conformance_tests.suites.node.envelope_certificates import uncertified_app

    with uncertified_app(dut) as app:
        card = _register(dut)  # the suite's own terminal, certified by the lab
        other = QinghaiPlatform(dut.run, dut.base_url, app.terminal_id, app.secret, app.org_code)
        for business, fields in (
            ("RHC_E0003", _verify_fields(dut, card["qr_code"])),
            ("RHC_E0006", _person()),
        ):
            out = _call(dut, business, fields, client=other.client)
            assert _refused(out), (
                f"{business} by a terminal without a certification report: {out.get('result')} "
                f"{out.get('resultCode')}"
            )
        control = _call(dut, "RHC_E0003", _verify_fields(dut, card["qr_code"]))
        assert _ok(control), f"the suite's certified terminal is refused: {control.get('resultCode')}"


@pytest.mark.requirement("QINGHAI-002")
def test_a_msg_guid_captured_before_a_restart_does_not_replay_after_it(dut):
    """A platform whose msgGuid cache lives in its process forgets it when it restarts: the captured
    call (created a few seconds earlier, inside the window) must still give no person."""
    from conformance_tests.suites.node.envelope_restart import captured_clock, reference_restart

    restart = reference_restart(dut)
    card = _register(dut)
    earlier = dut.new_client(clock=captured_clock)
    action, message = earlier.action("RHC_E0003"), earlier.message(_verify_fields(dut, card["qr_code"]))
    first = _send(earlier, action, message)
    assert _ok(first), f"the captured call itself was refused: {first.get('resultCode')}"
    restart()
    later = dut.new_client()
    again = _send(later, action, message)
    assert _refused(again), f"a msgGuid captured before the restart replayed: {again.get('resultCode')}"
    control = _call(dut, "RHC_E0003", _verify_fields(dut, card["qr_code"]), client=later)
    assert _ok(control), f"a fresh call after the restart is refused: {control.get('resultCode')}"
