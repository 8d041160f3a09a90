"""A node or platform through the Sichuan (Mianyang) JSON envelope (role ``node-sichuan``).

Every check is made through the envelope alone, as a hospital's HIS sees the platform: a refusal is
a ``code`` other than 0000 with no holder data in ``bizContent`` (the platform's failure numbers are
not public, so no number other than 0000 is asserted). Fresh people per run.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import time
from typing import Any

import pytest

from conformance_tests.suites.node.helpers import new_id_number
from reference_node.platforms.sichuan_envelope import (
    aes_key,
    decrypt_biz,
    digest,
    encrypt_biz,
    md5_key,
    sign_string,
)

ID_RE = re.compile(r"\d{17}[\dXx]")
BEIJING = dt.timezone(dt.timedelta(hours=8))
HOLDER_FIELDS = ("idNo", "name", "ehealthCardId", "mindexId", "cellphone")


def _content(dut: Any, out: dict[str, Any]) -> dict[str, Any]:
    """The answer's bizContent as the HIS reads it (decrypted; a plain JSON one as it is)."""
    text = out.get("bizContent")
    if not text:
        return {}
    try:
        return decrypt_biz(aes_key(dut.secret), str(text), dut.aes_mode)
    except ValueError:
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            return {"raw": str(text)}
        return value if isinstance(value, dict) else {"raw": str(text)}


def _ok(out: dict[str, Any]) -> bool:
    return out.get("code") == "0000"


def _refused(dut: Any, out: dict[str, Any]) -> bool:
    content = _content(dut, out)
    return out.get("code") not in ("0000", "", None) and not any(content.get(k) for k in HOLDER_FIELDS)


def _biz(dut: Any, out: dict[str, Any]) -> dict[str, Any]:
    """A success answer opened as the HIS must: digest checked, bizContent decrypted."""
    assert _ok(out), f"refused: {out.get('code')} {out.get('message')}"
    try:
        return dut.client.open(out).get("biz", {})
    except ValueError as exc:
        raise AssertionError(f"the answer's bizContent does not decrypt: {exc}") from None


def _call(dut: Any, method: str, content: dict[str, Any], client: Any = None) -> dict[str, Any]:
    client = client or dut.client
    return client.post(client.body(method, content))


def _ms(day: str) -> int:
    """Midnight of ``YYYYMMDD`` in Beijing time, in epoch milliseconds."""
    return int(dt.datetime.strptime(day, "%Y%m%d").replace(tzinfo=BEIJING).timestamp() * 1000)


def _person(number: str | None = None) -> dict[str, Any]:
    number = number or new_id_number()
    return {
        "registerNo": "R" + secrets.token_hex(12).upper(),
        "registerTime": int(time.time() * 1000),
        "applyType": "3",
        "idType": "01",
        "idNo": number,
        "name": "测试居民",
        "gender": "1" if int(number[16]) % 2 else "2",
        "birthday": _ms(number[6:14]),
        "cellphone": "13900000000",
        "address": "绵阳市涪城区测试地址",
    }


def _register(dut: Any, number: str | None = None) -> dict[str, Any]:
    return _biz(dut, _call(dut, "healthcard.register", _person(number)))


def _verify(dut: Any, code: str) -> dict[str, Any]:
    return {
        "qrCode": code,
        "useCityCode": str(dut.run.profile.param("area.city", "370800")),
        "hospitalName": "测试医院",
        "channelCode": "0100",
        "medStepCode": "010101",
        "deptCode": "0300",
        "terminalTime": int(time.time() * 1000),
    }


@pytest.mark.requirement("SICHUAN-001")
@pytest.mark.parametrize(
    "alteration",
    [
        "biz-after-signing",
        "method-after-signing",
        "timestamp-after-signing",
        "no-digest",
        "random",
        "digest-lower-case",
        "digest-padded-with-spaces",
    ],
)
def test_an_altered_or_unsigned_envelope_is_refused(dut, alteration):
    card = _register(dut)
    body = dut.client.body("healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]))
    if alteration == "biz-after-signing":
        body["bizContent"] = encrypt_biz(
            aes_key(dut.secret), _verify(dut, card["healthCardNo"]) | {"medStepCode": "010103"}, dut.aes_mode
        )
    elif alteration == "method-after-signing":
        body["method"] = "healthcard.qrcode.get"
    elif alteration == "timestamp-after-signing":
        body["timestamp"] = str(int(body["timestamp"]) + 1)
    elif alteration == "no-digest":
        del body["digest"]
    elif alteration == "digest-lower-case":
        # the digest is upper-case hex: a platform comparing case-insensitively serves a HIS the
        # real platform refuses
        body["digest"] = body["digest"].lower()
        assert body["digest"] != body["digest"].upper(), "the digest holds no letter"
    elif alteration == "digest-padded-with-spaces":
        body["digest"] = f" {body['digest']} "
    else:
        body["digest"] = secrets.token_hex(16).upper()
    out = dut.client.post(body)
    assert _refused(dut, out), f"{alteration}: accepted ({out.get('code')})"


def _plain_biz_digest(body: dict[str, Any], content: dict[str, Any], key: str) -> str:
    plain = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return digest(body | {"bizContent": plain}, key)


@pytest.mark.requirement("SICHUAN-002")
@pytest.mark.parametrize(
    "variant",
    ["plain-bizContent", "no-key", "no-key-no-ampersand", "key-first", "unsorted"],
)
def test_the_digest_input_is_exactly_sorted_pairs_of_the_sent_envelope_plus_key(dut, variant):
    card = _register(dut)
    content = _verify(dut, card["healthCardNo"])
    body = dut.client.body("healthcard.qrcode.verify", content)
    key = md5_key(dut.secret)
    if variant == "plain-bizContent":
        body["digest"] = _plain_biz_digest(body, content, key)
    elif variant.startswith("no-key"):  # the k=v& pairs alone, key= never appended
        text = sign_string(body, key).removesuffix(f"key={key}")
        text = text.removesuffix("&") if variant == "no-key-no-ampersand" else text
        body["digest"] = hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the platform's
    elif variant == "key-first":  # key= in front of the sorted pairs
        pairs = sign_string(body, key).removesuffix(f"key={key}")
        text = f"key={key}&" + pairs.removesuffix("&")
        body["digest"] = hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324
    else:  # the pairs in the order the JSON body lists them
        pairs = "".join(f"{k}={v}&" for k, v in body.items() if k != "digest" and v not in ("", None))
        assert pairs + f"key={key}" != sign_string(body, key), "the body happens to be in sorted order"
        body["digest"] = hashlib.md5((pairs + f"key={key}").encode("utf-8")).hexdigest().upper()  # noqa: S324
    out = dut.client.post(body)
    assert _refused(dut, out), f"a digest made {variant} was accepted ({out.get('code')})"
    control = _call(dut, "healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]))
    assert _ok(control), f"the correctly signed control call failed ({control.get('code')})"


@pytest.mark.requirement("SICHUAN-003")
@pytest.mark.parametrize("offset_s", [-3600, 900, "seconds"])
def test_a_stale_or_future_timestamp_is_refused(dut, offset_s):
    card = _register(dut)
    if offset_s == "seconds":
        # the current time in seconds, correctly signed: read as the milliseconds the interface
        # says, it is January 1970 (a platform that "tolerates" 10-digit timestamps accepts it)
        body = dut.client.body("healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]))
        body["timestamp"] = str(int(time.time()))
        body["digest"] = digest(body, md5_key(dut.secret))
        out = dut.client.post(body)
    else:
        skewed = dut.new_client(clock=lambda: time.time() + offset_s)
        try:
            out = _call(dut, "healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]), client=skewed)
        finally:
            skewed.close()
    assert _refused(dut, out), f"timestamp {offset_s} accepted ({out.get('code')})"


@pytest.mark.requirement("SICHUAN-004")
@pytest.mark.parametrize(
    "method",
    ["healthcard.qrcode.verify", "healthcard.qrcode.get", "healthcard.qrcode.get-after-another-call"],
)
def test_a_replayed_envelope_gives_no_person(dut, method):
    # every method, not only verify: a replayed qrcode.get hands a fresh code to whoever replays it
    card = _register(dut)
    if method == "healthcard.qrcode.verify":
        content = _verify(dut, card["healthCardNo"])
    else:
        content = {"ehealthCardId": card["ehealthCardId"], "codeType": "0"}
    later = method.endswith("-after-another-call")  # a replay memory of one envelope is no memory
    body = dut.client.body(method.removesuffix("-after-another-call"), content)
    first = dut.client.post(dict(body))
    assert _ok(first), f"{method} refused: {first.get('code')} {first.get('message')}"
    if later:
        other = _call(dut, "healthcard.qrcode.get", {"ehealthCardId": card["ehealthCardId"], "codeType": "1"})
        assert _ok(other), f"the call in between was refused: {other.get('code')}"
    again = dut.client.post(dict(body))
    assert _refused(dut, again) and not _content(dut, again).get("qrCode"), (
        f"{method}: the same envelope was answered twice ({again.get('code')})"
    )


@pytest.mark.requirement("SICHUAN-005")
def test_answers_are_signed_and_encrypted(dut):
    number = new_id_number()
    person = _person(number)
    registered = _call(dut, "healthcard.register", person)
    card = _biz(dut, registered)
    seen = _call(dut, "healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]))
    for out in (registered, seen):
        assert _ok(out), f"refused: {out.get('code')}"
        assert re.fullmatch(r"[0-9A-F]{32}", str(out.get("digest", ""))), "the answer is not signed"
        assert out["digest"] == digest(out, md5_key(dut.secret)), "the answer's digest does not verify"
        try:
            decrypt_biz(aes_key(dut.secret), str(out.get("bizContent", "")), dut.aes_mode)
        except ValueError:
            raise AssertionError("the answer's bizContent is not encrypted with the app's key") from None
        wire = json.dumps(out, ensure_ascii=False)
        assert number not in wire and person["name"] not in wire, "holder data travels in plain text"
    assert _biz(dut, seen).get("idNo") == number
    # a refusal once the app is known is signed too (docs/platforms.md "Digest"): an unsigned one
    # could be forged by anyone on the path
    refused = _call(dut, "healthcard.qrcode.verify", _verify(dut, f"{secrets.randbits(256):064X}:1"))
    assert not _ok(refused), "an unknown card was accepted"
    assert refused.get("digest") and refused["digest"] == digest(refused, md5_key(dut.secret)), (
        f"a refusal ({refused.get('code')}) is not signed with the app's key"
    )


@pytest.mark.requirement("SICHUAN-006")
@pytest.mark.parametrize(
    "case",
    [
        "unknown-card",
        "garbage-code",
        "unknown-method",
        "malformed-body",
        "missing-field",
        "undecryptable-biz",
    ],
)
def test_every_refusal_has_a_code_other_than_0000(dut, case):
    if case == "undecryptable-biz":
        # correctly signed, but bizContent is random bytes (bad padding): a decrypt error is a
        # refusal, not an empty success
        body = dut.client.body("healthcard.qrcode.get", {"ehealthCardId": "0" * 64, "codeType": "0"})
        body["bizContent"] = base64.b64encode(secrets.token_bytes(48)).decode()
        body["digest"] = digest(body, md5_key(dut.secret))
        out = dut.client.post(body)
    elif case == "unknown-card":
        out = _call(dut, "healthcard.qrcode.verify", _verify(dut, f"{secrets.randbits(256):064X}:1"))
    elif case == "garbage-code":
        out = _call(dut, "healthcard.qrcode.verify", _verify(dut, "NOT-A-HEALTH-CODE"))
    elif case == "unknown-method":
        out = _call(dut, "healthcard.no.such.method", {"ehealthCardId": "0" * 64})
    elif case == "malformed-body":
        out = dut.client.post(b'{"method": "healthcard.register", "appId":')
    else:
        out = _call(dut, "healthcard.register", {k: v for k, v in _person().items() if k != "name"})
    assert _refused(dut, out), f"{case}: code {out.get('code')!r} ({out.get('message')})"


@pytest.mark.requirement("SICHUAN-007")
@pytest.mark.parametrize("field", ["name", "qrCode"])
def test_an_over_long_field_is_refused_not_truncated(dut, field):
    if field == "name":
        out = _call(dut, "healthcard.register", _person() | {"name": "张" * 51})
    else:
        card = _register(dut)
        out = _call(dut, "healthcard.qrcode.verify", _verify(dut, card["healthCardNo"] + "0" * 257))
    assert _refused(dut, out), f"a {field} over its bound was accepted ({out.get('code')})"


@pytest.mark.requirement("SICHUAN-008")
def test_a_visit_through_the_envelope(dut):
    from qr_codec.image import read_codes

    number = new_id_number()
    card = _register(dut, number)
    ehcid = str(card.get("ehealthCardId", ""))
    assert re.fullmatch(r"[0-9A-F]{64}", ehcid) and card.get("healthCardNo") == ehcid + ":1", card
    code = _biz(dut, _call(dut, "healthcard.qrcode.get", {"ehealthCardId": ehcid, "codeType": "0"}))
    text = str(code.get("qrCode", ""))
    assert text.startswith(ehcid + ":0:"), f"codeType 0 did not give a dynamic code: {text[:80]}"
    decoded = [m.text for m in read_codes(base64.b64decode(str(code.get("qrCodeImg", ""))))]
    assert decoded == [text], "qrCodeImg does not show qrCode"
    seen = _biz(dut, _call(dut, "healthcard.qrcode.verify", _verify(dut, text)))
    assert (seen.get("idNo"), seen.get("ehealthCardId"), seen.get("mindexId")) == (
        number,
        ehcid,
        card.get("mindexId"),
    ), "the verified holder is not the registered one"
    report = {
        "recordNo": "U" + secrets.token_hex(12).upper(),
        "ehealthCardId": ehcid,
        "useTime": int(time.time() * 1000),
        "useCityCode": str(dut.run.profile.param("area.city", "370800")),
        "scene": str(dut.run.profile.param("scenes.registration", "0101011")),
        "deptCode": "0300",
        "cardType": "11",
        "channelCode": "0100",
    }
    first = _biz(dut, _call(dut, "healthcard.usage.report", report))
    again = _biz(dut, _call(dut, "healthcard.usage.report", report))  # a retry after a lost answer
    assert first.get("accepted") is True and again.get("duplicate") is True, (first, again)
    assert first.get("usageId") == again.get("usageId"), "the retry made a second record"


@pytest.mark.requirement("SICHUAN-009")
def test_a_lower_case_x_is_refused(dut):
    number = next(n for n in iter(new_id_number, None) if n.endswith("X"))
    out = _call(dut, "healthcard.register", _person(number) | {"idNo": number.lower()})
    assert _refused(dut, out), f"an ID number with a lower-case x was accepted ({out.get('code')})"


@pytest.mark.requirement("SICHUAN-010")
def test_refusals_never_echo_an_id_number(dut):
    number = new_id_number()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")  # wrong check character
    x_number = next(n for n in iter(new_id_number, None) if n.endswith("X")).lower()
    outs = [
        _call(dut, "healthcard.register", _person(number) | {"idNo": bad}),
        _call(dut, "healthcard.register", _person(number) | {"idNo": x_number}),
        _call(dut, "healthcard.register", _person(number) | {"name": "张" * 51}),
    ]
    for out in outs:
        assert _refused(dut, out), out.get("code")
        assert not ID_RE.search(str(out.get("message", ""))), "message holds a full ID number"


@pytest.mark.requirement("SICHUAN-011")
@pytest.mark.parametrize("method", ["healthcard.qrcode.verify", "healthcard.usage.report"])
def test_another_hospital_is_refused(dut, method):
    # any organisation code but the app's: the suite does not need to know the app's own
    card = _register(dut)
    other = "91" + secrets.token_hex(8).upper()
    if method == "healthcard.usage.report":
        # a card use filed in another hospital's name is as wrong as a verification
        report = {
            "recordNo": "U" + secrets.token_hex(12).upper(),
            "ehealthCardId": card["ehealthCardId"],
            "useTime": int(time.time() * 1000),
            "hospitalCode": other,
            "useCityCode": str(dut.run.profile.param("area.city", "370800")),
            "scene": str(dut.run.profile.param("scenes.registration", "0101011")),
            "cardType": "11",
            "channelCode": "0100",
        }
        out = _call(dut, method, report)
        assert _refused(dut, out) and not _content(dut, out).get("accepted"), (
            f"a usage report for another organisation was accepted ({out.get('code')})"
        )
        return
    out = _call(dut, "healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]) | {"hospitalCode": other})
    assert _refused(dut, out), f"a hospitalCode of another organisation was accepted ({out.get('code')})"
    control = _call(dut, "healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]))
    assert _ok(control), f"the control call without hospitalCode failed: {control.get('code')}"


@pytest.mark.requirement("SICHUAN-012")
def test_bizcontent_in_the_other_aes_mode_is_refused(dut):
    # correctly signed, encrypted with the app's key but in the mode the node is not configured for:
    # a platform that "tries the other mode" accepts ECB where CBC was chosen
    card = _register(dut)
    other = "CBC" if dut.aes_mode == "ECB" else "ECB"
    body = dut.client.body("healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]))
    body["bizContent"] = encrypt_biz(aes_key(dut.secret), _verify(dut, card["healthCardNo"]), other)
    body["digest"] = digest(body, md5_key(dut.secret))
    out = dut.client.post(body)
    assert _refused(dut, out), (
        f"a bizContent in {other} was accepted by a {dut.aes_mode} node ({out.get('code')})"
    )


@pytest.mark.requirement("NODE-CERT-001")
def test_an_app_without_a_certification_report_is_refused(dut):
    """检测备案 through the envelope (shandong-jining): an app the registry lists but no PASS report
    names is refused on a verification and a registration alike, with no holder data (its answer
    read with its own keys); the suite's certified app is served meanwhile. A platform that checks
    certificates on its gRPC door only fails here."""
    from conformance_tests.adapters.sichuan import SichuanPlatform
    from conformance_tests.suites.node.envelope_certificates import uncertified_app

    with uncertified_app(dut) as app:
        card = _register(dut)  # the suite's own app, certified by the lab
        other = SichuanPlatform(dut.run, dut.base_url, app.terminal_id, app.secret, dut.aes_mode)
        try:
            for method, content in (
                ("healthcard.qrcode.verify", _verify(dut, card["healthCardNo"])),
                ("healthcard.register", _person()),
            ):
                out = _call(other, method, content)
                assert _refused(other, out), (
                    f"{method} by an app without a certification report: {out.get('code')} {out.get('message')}"
                )
        finally:
            other.client.close()
        control = _call(dut, "healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]))
        assert _ok(control), (
            f"the suite's certified app is refused: {control.get('code')} {control.get('message')}"
        )


@pytest.mark.requirement("SICHUAN-004")
def test_an_envelope_captured_before_a_restart_does_not_replay_after_it(dut):
    """A platform whose replay cache lives in its process forgets it when it restarts: the captured
    envelope (stamped a few seconds earlier, inside the window) must still be refused."""
    from conformance_tests.suites.node.envelope_restart import captured_clock, reference_restart

    restart = reference_restart(dut)
    card = _register(dut)
    earlier = dut.new_client(clock=captured_clock)
    try:
        body = earlier.body("healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]))
        first = earlier.post(body)
        assert _ok(first), f"the captured envelope itself was refused: {first.get('code')}"
    finally:
        earlier.close()
    restart()
    later = dut.new_client()
    try:
        again = later.post(body)
        assert _refused(dut, again), f"an envelope captured before the restart replayed: {again.get('code')}"
        control = _call(dut, "healthcard.qrcode.verify", _verify(dut, card["healthCardNo"]), client=later)
        assert _ok(control), f"a fresh envelope after the restart is refused: {control.get('code')}"
    finally:
        later.close()
