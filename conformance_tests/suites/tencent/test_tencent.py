"""A node or platform through the Tencent HealthCardOpenAPI envelope (role ``node-tencent``).

Every check is made through the envelope alone, as a hospital's HIS sees the platform: a refusal is
a non-zero ``commonOut.resultCode`` with no holder data (the platform's failure numbers are not
public, so no number other than 0 is asserted). Fresh people per run: a platform that already holds
data, or is certified twice, passes the same way.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from typing import Any

import pytest

from conformance_tests.suites.node.helpers import new_id_number
from reference_node.platforms.tencent_envelope import OPERATION_PREFIX, sign, sign_input

ID_RE = re.compile(r"\d{17}[\dXx]")


def _ok(out: dict[str, Any]) -> bool:
    return out.get("commonOut", {}).get("resultCode") == 0


def _refused(out: dict[str, Any]) -> bool:
    code = out.get("commonOut", {}).get("resultCode")
    rsp = out.get("rsp") or {}
    return isinstance(code, int) and code != 0 and not any(rsp.get(k) for k in ("idNumber", "name", "phid"))


def _person(number: str | None = None) -> dict[str, str]:
    number = number or new_id_number()
    return {
        "wechatCode": "ehc-certify",
        "name": "测试居民",
        "gender": "男" if int(number[16]) % 2 else "女",
        "nation": "汉族",
        "birthday": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
        "idNumber": number,
        "idType": "01",
        "phone1": "13800000000",
        "address": "测试地址",
    }


def _register(dut: Any, number: str | None = None) -> dict[str, Any]:
    out = dut.client.call("registerHealthCard", _person(number))
    assert _ok(out), f"registerHealthCard refused: {out.get('commonOut')}"
    return out["rsp"]


def _verify_req(dut: Any, text: str) -> dict[str, str]:
    return {
        "qrCodeText": text,
        "terminalId": "EHC-CERTIFY-01",
        "time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600)),
        "medicalStep": "010101",
        "channelCode": "0100",
        "useCityCode": str(dut.run.profile.param("area.city", "370800")),
        "hospitalCode": dut.hospital_id,
        "useType": "01",
    }


@pytest.mark.requirement("TENCENT-001")
def test_app_token_is_issued_for_7200_seconds_and_accepted(dut):
    out = dut.client.get_app_token()
    assert _ok(out), out.get("commonOut")
    assert out["rsp"].get("appToken") and out["rsp"].get("expiresIn") == 7200, out["rsp"]
    card = _register(dut)
    assert re.fullmatch(r"[0-9A-F]{64}", card["healthCardId"]), card


@pytest.mark.requirement("TENCENT-002")
def test_a_new_token_invalidates_the_previous_one(dut):
    card = _register(dut)
    old = dut.client.app_token
    dut.client.get_app_token()
    assert dut.client.app_token and dut.client.app_token != old, "getAppToken returned the same token"
    body = dut.client.body({"healthCardId": card["healthCardId"]}, token=old)
    stale = dut.client.post(OPERATION_PREFIX + "getHealthCardByHealthCardId", body)
    assert _refused(stale), f"the previous token still works: {stale.get('commonOut')}"
    fresh = dut.client.post(
        OPERATION_PREFIX + "getHealthCardByHealthCardId",
        dut.client.body({"healthCardId": card["healthCardId"]}),
    )
    assert _ok(fresh), f"the new token is refused: {fresh.get('commonOut')}"


@pytest.mark.requirement("TENCENT-003")
@pytest.mark.parametrize(
    "alteration",
    [
        "req-after-signing",
        "common-after-signing",
        "sign-missing",
        "sign-garbage",
        "sign-reused-new-request-id",
        "sign-case-swapped",
        "sign-padded-with-spaces",
    ],
)
def test_an_altered_or_unsigned_request_is_refused(dut, alteration):
    card = _register(dut)
    body = dut.client.body(_verify_req(dut, card["qrCodeText"]))
    if alteration == "sign-reused-new-request-id":
        # A sign that verified once must not verify again over another commonIn: a platform that
        # caches "good signs" by req lets a captured request be re-sent with a fresh requestId.
        first = dut.client.post(OPERATION_PREFIX + "verifyQRCode", body)
        assert _ok(first), f"the correctly signed call failed: {first.get('commonOut')}"
        body = {**body, "commonIn": {**body["commonIn"], "requestId": secrets.token_hex(16).upper()}}
    elif alteration == "req-after-signing":
        body["req"]["medicalStep"] = "010103"
    elif alteration == "common-after-signing":
        body["commonIn"]["channelNum"] = 1
    elif alteration == "sign-missing":
        del body["commonIn"]["sign"]
    elif alteration == "sign-case-swapped":
        # Base64 is case-sensitive: a platform comparing signs case-insensitively (or trimming
        # them) accepts values the real platform refuses and checks far fewer bits.
        swapped = body["commonIn"]["sign"].swapcase()
        assert swapped != body["commonIn"]["sign"], "the sign holds no letter"
        body["commonIn"]["sign"] = swapped
    elif alteration == "sign-padded-with-spaces":
        body["commonIn"]["sign"] = f" {body['commonIn']['sign']} "
    else:
        body["commonIn"]["sign"] = base64.b64encode(secrets.token_bytes(32)).decode()
    out = dut.client.post(OPERATION_PREFIX + "verifyQRCode", body)
    assert _refused(out), f"{alteration}: accepted ({out.get('commonOut')})"


def _resign(dut: Any, body: dict[str, Any], text: str) -> dict[str, Any]:
    body["commonIn"]["sign"] = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return body


@pytest.mark.requirement("TENCENT-004")
@pytest.mark.parametrize(
    "variant", ["no-secret", "secret-prepended", "unsorted", "secret-with-ampersand", "empty-field-included"]
)
def test_the_sign_input_is_exactly_sorted_pairs_plus_the_secret(dut, variant):
    card = _register(dut)
    # an optional field sent empty: the document leaves empty values out of the input
    body = dut.client.body(_verify_req(dut, card["qrCodeText"]) | {"useCityName": ""})
    correct = sign_input(body["commonIn"], body["req"])
    secret = dut.app_secret
    if variant == "empty-field-included":
        values = {k: v for k, v in body["commonIn"].items() if k != "sign"} | body["req"]
        text = "&".join(f"{k}={v}" for k, v in sorted(values.items())) + secret
        assert "useCityName=&" in text, text
    elif variant == "no-secret":
        text = correct
    elif variant == "secret-prepended":
        text = secret + correct
    elif variant == "unsorted":  # the pairs in the order the JSON body lists them, not sorted
        pairs = [
            f"{k}={v}"
            for part in (body["commonIn"], body["req"])
            for k, v in part.items()
            if k != "sign" and v not in ("", None)
        ]
        text = "&".join(pairs) + secret
        assert "&".join(pairs) != correct, "the body happens to be in sorted order"
    else:
        text = correct + "&" + secret
    out = dut.client.post(OPERATION_PREFIX + "verifyQRCode", _resign(dut, body, text))
    assert _refused(out), f"a sign made {variant} was accepted ({out.get('commonOut')})"
    control = dut.client.body(_verify_req(dut, card["qrCodeText"]))
    assert _ok(dut.client.post(OPERATION_PREFIX + "verifyQRCode", control)), (
        "the correctly signed control call failed"
    )


@pytest.mark.requirement("TENCENT-005")
@pytest.mark.parametrize("offset_s", [-3600, 3600])
def test_a_stale_or_future_timestamp_is_refused(dut, offset_s):
    card = _register(dut)
    skewed = dut.new_client(clock=lambda: time.time() + offset_s)
    try:
        skewed.app_token = dut.client.app_token
        body = skewed.body(_verify_req(dut, card["qrCodeText"]))
        out = skewed.post(OPERATION_PREFIX + "verifyQRCode", body)
    finally:
        skewed.close()
    assert _refused(out), f"timestamp {offset_s:+d} s accepted ({out.get('commonOut')})"


@pytest.mark.requirement("TENCENT-006")
def test_a_replayed_request_id_gives_no_person(dut):
    card = _register(dut)
    body = dut.client.body(_verify_req(dut, card["qrCodeText"]))
    first = dut.client.post(OPERATION_PREFIX + "verifyQRCode", body)
    assert _ok(first), first.get("commonOut")
    replay = dut.client.post(OPERATION_PREFIX + "verifyQRCode", body)
    assert _refused(replay), f"the same signed request was answered twice ({replay.get('commonOut')})"


@pytest.mark.requirement("TENCENT-006")
def test_a_request_id_used_on_one_operation_is_refused_on_another(dut):
    """The requestId cache is one per app, not one per operation: a captured requestId sent again
    on another operation, correctly signed, is refused."""
    card = _register(dut)
    request_id = secrets.token_hex(16).upper()
    first = dut.client.call("verifyQRCode", _verify_req(dut, card["qrCodeText"]), request_id=request_id)
    assert _ok(first), f"the first call failed: {first.get('commonOut')}"
    again = dut.client.call(
        "getHealthCardByHealthCardId", {"healthCardId": card["healthCardId"]}, request_id=request_id
    )
    assert _refused(again), f"a requestId used on verifyQRCode was served again: {again.get('commonOut')}"
    assert not (again.get("rsp") or {}).get("card"), "the replayed requestId was answered a card"


@pytest.mark.requirement("TENCENT-013")
def test_a_batch_answers_every_item_in_order(dut):
    """registerBatchHealthCard answers one rspItems entry per healthCardItems entry, in order; an
    item the platform refuses carries its error and no healthCardId — it is never left out."""
    numbers = [new_id_number() for _ in range(3)]
    bad = numbers[1][:-1] + ("0" if numbers[1][-1] != "0" else "1")  # wrong check character
    items = [_person(numbers[0]), _person(numbers[1]) | {"idNumber": bad}, _person(numbers[2])]
    out = dut.client.call("registerBatchHealthCard", {"healthCardItems": items})
    assert _ok(out), f"registerBatchHealthCard refused: {out.get('commonOut')}"
    rows = (out.get("rsp") or {}).get("rspItems")
    assert isinstance(rows, list) and len(rows) == 3, f"rspItems has {len(rows or [])} rows for 3 items"
    assert [r.get("idNumber") for r in rows] == [numbers[0], bad, numbers[2]], "rspItems out of order"
    assert rows[0].get("healthCardId") and rows[2].get("healthCardId"), "a valid item was not issued"
    assert not rows[1].get("healthCardId") and rows[1].get("errMsg"), f"the invalid item: {rows[1]}"
    assert not ID_RE.search(str(rows[1].get("errMsg"))), "errMsg holds a full ID number"


@pytest.mark.requirement("TENCENT-014")
def test_a_dynamic_code_is_not_verified_beyond_its_limit_in_parallel(dut):
    """A burst of verifyQRCode calls of one dynamic code, all sent at once (a screenshot shown at
    several desks), succeeds at most the code's use limit times."""
    from concurrent.futures import ThreadPoolExecutor

    limit = int(dut.run.profile.param("dynamic_code.max_uses", 5))
    if limit <= 0 or limit > 20:
        pytest.skip(f"profile dynamic_code.max_uses = {limit}: no small use limit to exceed")
    number = new_id_number()
    card = _register(dut, number)
    code = dut.client.call(
        "getDynamicQRCode",
        {"healthCardId": card["healthCardId"], "idType": "01", "idNumber": number, "codeType": "0"},
    )
    assert _ok(code), code.get("commonOut")
    text = code["rsp"]["qrCodeText"]
    burst = limit + 3
    gate = threading.Barrier(burst)

    def scan(_: int) -> dict[str, Any]:
        gate.wait(10)
        return dut.client.call("verifyQRCode", _verify_req(dut, text))

    with ThreadPoolExecutor(burst) as pool:
        outs = list(pool.map(scan, range(burst)))
    served = sum(1 for out in outs if _ok(out))
    assert 1 <= served <= limit, f"{served} of {burst} parallel verifications succeeded (limit {limit})"


@pytest.mark.requirement("TENCENT-007")
@pytest.mark.parametrize("case", ["unknown-code", "malformed-envelope", "unknown-operation", "garbage-code"])
def test_every_refusal_has_a_non_zero_result_code(dut, case):
    client = dut.client
    if not client.app_token:
        client.get_app_token()
    if case == "unknown-code":
        out = client.call("verifyQRCode", _verify_req(dut, f"{secrets.randbits(256):064X}:1"))
    elif case == "malformed-envelope":
        out = client.post(OPERATION_PREFIX + "verifyQRCode", b'{"commonIn": "x"}')
    elif case == "unknown-operation":
        out = client.call("noSuchOperationEhcCertify", {})
    else:
        out = client.call("verifyQRCode", _verify_req(dut, "NOT-A-HEALTH-CODE"))
    assert _refused(out), f"{case}: resultCode {out.get('commonOut')} with rsp {bool(out.get('rsp'))}"


@pytest.mark.requirement("TENCENT-008")
@pytest.mark.parametrize("field", ["name", "qrCodeText"])
def test_an_over_long_field_is_refused_not_truncated(dut, field):
    if field == "name":
        person = {**_person(), "name": "张" * 51}
        out = dut.client.call("registerHealthCard", person)
    else:
        card = _register(dut)
        out = dut.client.call("verifyQRCode", _verify_req(dut, card["qrCodeText"] + "0" * 260))
    assert _refused(out), f"a {field} over its bound was accepted ({out.get('commonOut')})"


@pytest.mark.requirement("TENCENT-009")
def test_a_visit_through_the_envelope(dut):
    from qr_codec.image import read_codes

    number = new_id_number()
    card = _register(dut, number)
    assert card["qrCodeText"] == card["healthCardId"] + ":1", card
    code = dut.client.call(
        "getDynamicQRCode",
        {"healthCardId": card["healthCardId"], "idType": "01", "idNumber": number, "codeType": "0"},
    )
    assert _ok(code), code.get("commonOut")
    text = code["rsp"]["qrCodeText"]
    assert text.startswith(card["healthCardId"] + ":0:"), (
        f"codeType 0 did not give a dynamic code: {text[:80]}"
    )
    decoded = [m.text for m in read_codes(base64.b64decode(code["rsp"]["qrCodeImg"]))]
    assert decoded == [text], "qrCodeImg does not show qrCodeText"
    seen = dut.client.call("verifyQRCode", _verify_req(dut, text))
    assert _ok(seen), seen.get("commonOut")
    assert seen["rsp"].get("idNumber") == number and seen["rsp"].get("healthCardId") == card["healthCardId"]
    report = {
        "qrCodeText": card["qrCodeText"],
        "name": "测试居民",
        "time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600)),
        "hospitalCode": dut.hospital_id,
        "scene": str(dut.run.profile.param("scenes.registration", "0101011")),
        "department": "内科",
        "cardType": "11",
        "cardChannel": "0100",
        "cardCostTypes": "0100",
    }
    request_id = secrets.token_hex(16).upper()
    first = dut.client.call("reportHISData", report, request_id=request_id)
    assert _ok(first), f"reportHISData refused: {first.get('commonOut')}"
    assert (first.get("rsp") or {}).get("duplicate") is False, (
        f"a first report is a duplicate: {first.get('rsp')}"
    )
    retry = dut.client.call("reportHISData", report, request_id=request_id)
    assert _ok(retry), f"a HIS retry of the same report failed: {retry.get('commonOut')}"
    # the retry must be the same record, not a second card use (requestId is the idempotency key)
    assert (retry.get("rsp") or {}).get("duplicate") is True, (
        f"a retry with the same requestId was stored as a new report: {retry.get('rsp')}"
    )


def _other_org(org: str) -> str:
    """An organisation code of the same form that is not ``org``."""
    return org[:-2] + ("00" if org[-2:] != "00" else "11")


@pytest.mark.requirement("TENCENT-012")
@pytest.mark.parametrize("where", ["req.hospitalCode", "commonIn.hospitalId", "reportHISData.hospitalCode"])
def test_another_hospital_is_refused(dut, where):
    card = _register(dut)
    req = _verify_req(dut, card["qrCodeText"])
    if where == "reportHISData.hospitalCode":
        # a usage report filed in another hospital's name is as wrong as a verification
        report = {
            "qrCodeText": card["qrCodeText"],
            "name": "测试居民",
            "time": req["time"],
            "hospitalCode": _other_org(dut.hospital_id),
            "scene": str(dut.run.profile.param("scenes.registration", "0101011")),
            "department": "内科",
            "cardType": "11",
            "cardChannel": "0100",
            "cardCostTypes": "0100",
        }
        out = dut.client.call("reportHISData", report)
        assert _refused(out) and not (out.get("rsp") or {}).get("result"), (
            f"reportHISData for another organisation accepted ({out.get('commonOut')}, {out.get('rsp')})"
        )
        return
    if where == "req.hospitalCode":
        req["hospitalCode"] = _other_org(dut.hospital_id)
        body = dut.client.body(req)
    else:
        body = dut.client.body(req)
        body["commonIn"]["hospitalId"] = _other_org(dut.hospital_id)
        body["commonIn"]["sign"] = sign(body["commonIn"], body["req"], dut.app_secret)
    out = dut.client.post(OPERATION_PREFIX + "verifyQRCode", body)
    assert _refused(out), f"{where} of another organisation accepted ({out.get('commonOut')})"
    control = dut.client.call("verifyQRCode", _verify_req(dut, card["qrCodeText"]))
    assert _ok(control), f"the control call of the app's own hospital failed: {control.get('commonOut')}"


@pytest.mark.requirement("TENCENT-010")
def test_a_lower_case_x_is_refused(dut):
    number = next(n for n in iter(new_id_number, None) if n.endswith("X"))
    out = dut.client.call("registerHealthCard", _person(number.lower()) | {"idNumber": number.lower()})
    assert _refused(out), f"an ID number with a lower-case x was accepted ({out.get('commonOut')})"


@pytest.mark.requirement("TENCENT-011")
def test_refusals_never_echo_an_id_number(dut):
    number = new_id_number()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")  # wrong check character
    outs = [
        dut.client.call("registerHealthCard", _person(number) | {"idNumber": bad}),
        dut.client.call("getDynamicQRCode", {"healthCardId": "0" * 64, "idType": "01", "idNumber": number}),
    ]
    for out in outs:
        assert _refused(out), out.get("commonOut")
        message = str(out.get("commonOut", {}).get("errMsg", ""))
        assert not ID_RE.search(message), "errMsg holds a full ID number"


@pytest.mark.requirement("NODE-CERT-001")
def test_an_app_without_a_certification_report_is_refused(dut):
    """检测备案 through the envelope (shandong-jining): an app the registry lists but no PASS report
    names gets no token, or a token every call of which is refused; the suite's certified app is
    served meanwhile. A platform that checks certificates on its gRPC door only fails here."""
    from conformance_tests.adapters.tencent import TencentPlatform
    from conformance_tests.suites.node.envelope_certificates import uncertified_app

    with uncertified_app(dut) as app:
        card = _register(dut)  # the suite's own app, certified by the lab
        other = TencentPlatform(dut.run, dut.base_url, app.terminal_id, app.secret.hex(), app.org_code)
        try:
            token = other.client.get_app_token()
            if _ok(token):  # a token alone gives nothing; every call with it must be refused
                for operation, req in (
                    ("verifyQRCode", _verify_req(dut, card["qrCodeText"])),
                    ("registerHealthCard", _person()),
                ):
                    out = other.client.call(operation, req)
                    assert _refused(out), (
                        f"{operation} by an app without a certification report: accepted ({out.get('commonOut')})"
                    )
            else:
                assert _refused(token), f"getAppToken answered {token.get('commonOut')}"
        finally:
            other.client.close()
        control = dut.client.call("verifyQRCode", _verify_req(dut, card["qrCodeText"]))
        assert _ok(control), f"the suite's certified app is refused: {control.get('commonOut')}"


@pytest.mark.requirement("TENCENT-006")
def test_a_request_captured_before_a_restart_does_not_replay_after_it(dut):
    """A platform whose requestId cache lives in its process forgets it when it restarts: the
    captured request (stamped a few seconds earlier, inside the window) must still be refused."""
    from conformance_tests.suites.node.envelope_restart import captured_clock, reference_restart

    restart = reference_restart(dut)
    card = _register(dut)
    earlier = dut.new_client(clock=captured_clock)
    try:
        assert _ok(earlier.get_app_token()), "getAppToken refused"
        body = earlier.body(_verify_req(dut, card["qrCodeText"]))
        first = earlier.post(OPERATION_PREFIX + "verifyQRCode", body)
        assert _ok(first), f"the captured request itself was refused: {first.get('commonOut')}"
    finally:
        earlier.close()
    restart()
    later = dut.new_client()
    try:
        again = later.post(OPERATION_PREFIX + "verifyQRCode", body)
        assert _refused(again), f"a request captured before the restart replayed: {again.get('commonOut')}"
        control = later.call("verifyQRCode", _verify_req(dut, card["qrCodeText"]))
        assert _ok(control), f"a fresh request after the restart is refused: {control.get('commonOut')}"
    finally:
        later.close()
