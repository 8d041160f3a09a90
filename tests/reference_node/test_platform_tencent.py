"""The Tencent HealthCardOpenAPI front door: signature, token life, replay, time window, field
checks, error mapping and a full visit, against a real node over HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from node_helpers import citizen_id

from reference_node.platforms.tencent_envelope import OPERATION_PREFIX, RESULT_CODES, sign, sign_input

DOC = Path(__file__).resolve().parents[2] / "docs" / "platforms.md"


def _block(kind: str) -> str:
    match = re.search(rf"```\w+ {re.escape(kind)}\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"docs/platforms.md has no {kind} block"
    return match.group(1)


def test_the_worked_signature_example_of_the_docs_holds():
    example = json.loads(_block("tencent-sign-example"))
    documented_input, documented_sign = _block("tencent-sign-input"), _block("tencent-sign")
    assert sign_input(example["commonIn"], example["req"]) == documented_input
    # recomputed with hashlib alone, from the documented input: the page cannot drift from SHA-256
    digest = hashlib.sha256((documented_input + example["appSecret"]).encode("utf-8")).digest()
    assert base64.b64encode(digest).decode() == documented_sign
    assert sign(example["commonIn"], example["req"], example["appSecret"]) == documented_sign


@given(
    # values without & and =: the platform's k=v&k=v input is ambiguous for them (docs/platforms.md)
    st.dictionaries(
        st.text("abcdefgXYZ", min_size=1, max_size=6),
        # no lone surrogates: no UTF-8 JSON body carries one (the node refuses such a body before
        # signing: test_malformed_envelopes_never_crash)
        st.text(st.characters(blacklist_characters="&=", blacklist_categories=("Cs",)), max_size=8),
        max_size=6,
    ),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
)
@settings(max_examples=50, deadline=None)
def test_sign_input_is_sorted_pairs_without_empty_values(req, secret):
    common = {"requestId": "R1", "timestamp": "1", "appToken": "", "sign": "ignored"}
    text = sign_input(common, req)
    pairs = [p.split("=", 1) for p in text.split("&")] if text else []
    keys = [k for k, _ in pairs]
    assert keys == sorted(keys) and "sign" not in keys and "appToken" not in keys
    merged = {**{k: v for k, v in common.items() if k != "sign"}, **req}
    assert dict(pairs) == {k: v for k, v in merged.items() if v != ""}
    assert len(sign(common, req, secret)) == 44


@pytest.fixture
def platform(tmp_path):
    from reference_node.config import NodeConfig
    from reference_node.platforms.tencent_client import TencentClient
    from reference_node.testing import start_node

    node = start_node(tmp_path, http=True, config=NodeConfig(apis=("tencent",)))
    creds = node.credentials
    client = TencentClient(
        f"http://127.0.0.1:{node.http_port}",
        creds.terminal_id,
        creds.secret.hex(),
        creds.org_code,
        channel_num=4,
    )
    yield node, client
    client.close()
    node.stop()


def _code(out: dict) -> int:
    return out["commonOut"]["resultCode"]


def _register(client, number: str | None = None) -> dict:
    number = number or citizen_id()
    out = client.call(
        "registerHealthCard",
        {
            "wechatCode": "wx-test-only",
            "name": "张三",
            "gender": "男",
            "nation": "汉族",
            "birthday": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
            "idNumber": number,
            "idType": "01",
            "phone1": "13800000000",
            "address": "济宁市任城区",
            "patid": f"P-{number[-8:]}",
        },
    )
    assert _code(out) == 0, out
    return out["rsp"]


def test_a_visit_through_the_envelope(platform):
    from reference_node.proto.ehc.node.v1 import usage_pb2

    node, client = platform
    token = client.get_app_token()
    assert _code(token) == 0 and token["rsp"]["expiresIn"] == 7200
    number = citizen_id()
    card = _register(client, number)
    assert (
        re.fullmatch(r"[0-9A-F]{64}", card["healthCardId"])
        and card["qrCodeText"] == card["healthCardId"] + ":1"
    )
    code = client.call(
        "getDynamicQRCode", {"healthCardId": card["healthCardId"], "idType": "01", "idNumber": number}
    )
    assert _code(code) == 0, code
    assert base64.b64decode(code["rsp"]["qrCodeImg"])[:8] == b"\x89PNG\r\n\x1a\n"
    seen = client.call(
        "verifyQRCode",
        {
            "qrCodeText": code["rsp"]["qrCodeText"],
            "terminalId": "SCANNER-01",
            "time": "2026-12-03 10:00:00",
            "medicalStep": "010101",
            "channelCode": "0100",
            "useCityCode": "370800",
            "hospitalCode": client.hospital_id,
            "useType": "01",
        },
    )
    assert _code(seen) == 0 and seen["rsp"]["idNumber"] == number and seen["rsp"]["phid"] == card["phid"], (
        seen
    )
    report = {
        "qrCodeText": card["qrCodeText"],
        "name": "张三",
        "time": "2026-12-03 10:01:00",
        "hospitalCode": client.hospital_id,
        "scene": "0101012",
        "department": "内科",
        "cardType": "11",
        "cardChannel": "0100",
        "cardCostTypes": "0100",
    }
    first = client.call("reportHISData", report, request_id="VISIT-REPORT-0001")
    again = client.call("reportHISData", report, request_id="VISIT-REPORT-0001")  # a HIS retry
    assert _code(first) == 0 and first["rsp"]["duplicate"] is False
    assert _code(again) == 0 and again["rsp"]["duplicate"] is True
    records = node.client("admin").usage.QueryUsage(usage_pb2.QueryUsageRequest(ehcid=card["healthCardId"]))
    assert [(r.scene, r.card_type, r.department, r.payment_category) for r in records.records] == [
        ("0101012", "11", "0300", "0100")
    ], "the node did not store exactly one report with the mapped fields"
    by_id = client.call("getHealthCardByHealthCardId", {"healthCardId": card["healthCardId"]})
    assert _code(by_id) == 0 and by_id["rsp"]["card"]["phid"] == card["phid"]
    by_qr = client.call("getHealthCardByQRCode", {"qrCodeText": card["qrCodeText"]})
    assert _code(by_qr) == 0 and by_qr["rsp"]["card"]["healthCardId"] == card["healthCardId"]


def test_bad_signature_is_refused_and_nothing_is_written(platform):
    node, client = platform
    client.get_app_token()
    number = citizen_id()
    body = client.body({"name": "李四", "idNumber": number, "idType": "01", "gender": "2"})
    body["req"]["name"] = "王五"  # altered after signing
    out = client.post(OPERATION_PREFIX + "registerHealthCard", body)
    assert _code(out) == RESULT_CODES["SIGN_MISMATCH"]
    from reference_node.proto.ehc.node.v1 import issuance_pb2

    with pytest.raises(Exception) as missing:
        node.client("admin").issuance.Query(
            issuance_pb2.QueryRequest(document_type="01", document_number=number)
        )
    assert "NOT_FOUND" in str(missing.value) or "UNKNOWN" in str(missing.value).upper()


def test_secret_not_appended_is_a_sign_mismatch(platform):
    _, client = platform
    body = client.body({"appId": client.app_id}, token="")
    digest = hashlib.sha256(sign_input(body["commonIn"], body["req"]).encode()).digest()
    body["commonIn"]["sign"] = base64.b64encode(digest).decode()
    out = client.post("/rest/auth/HealthCard/HealthOpenAuth/AuthObj/getAppToken", body)
    assert _code(out) == RESULT_CODES["SIGN_MISMATCH"]


def test_a_new_token_supersedes_the_previous_one(platform):
    _, client = platform
    client.get_app_token()
    old = client.app_token
    client.get_app_token()
    assert client.app_token != old
    out = client.post(
        OPERATION_PREFIX + "getHealthCardByHealthCardId", client.body({"healthCardId": "0" * 64}, token=old)
    )
    assert _code(out) == RESULT_CODES["TOKEN_SUPERSEDED"]


def test_an_expired_token_is_refused(platform):
    node, client = platform
    client.get_app_token()
    from reference_node.platforms.tencent import AppTokens

    tokens = AppTokens(lifetime_s=7200)
    token = tokens.issue("APP", now=1000.0)
    assert tokens.app_of(token, 1000.0 + 7199) == "APP"
    with pytest.raises(Exception) as expired:
        tokens.app_of(token, 1000.0 + 7200)
    assert getattr(expired.value, "result", "") == "TOKEN_INVALID"
    out = client.post(OPERATION_PREFIX + "verifyQRCode", client.body({"qrCodeText": "X"}, token="F" * 32))
    assert _code(out) == RESULT_CODES["TOKEN_INVALID"]


def test_replayed_request_id_and_stale_timestamp_are_refused(platform):
    _, client = platform
    card = _register(client)
    req = {
        "qrCodeText": card["qrCodeText"],
        "medicalStep": "010101",
        "channelCode": "0100",
        "useCityCode": "370800",
    }
    body = client.body(req)
    assert _code(client.post(OPERATION_PREFIX + "verifyQRCode", body)) == 0
    assert _code(client.post(OPERATION_PREFIX + "verifyQRCode", body)) == RESULT_CODES["REQUEST_ID_REPLAYED"]
    client.clock = lambda: time.time() - 3600
    assert (
        _code(client.post(OPERATION_PREFIX + "verifyQRCode", client.body(req)))
        == RESULT_CODES["TIMESTAMP_OUT_OF_WINDOW"]
    )


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        ({"idType": "01", "gender": "1"}, "FIELD_MISSING"),  # no name, no idNumber
        ({"name": "张" * 51, "idNumber": "X", "gender": "1"}, "FIELD_TOO_LONG"),
        ({"name": "张三", "idNumber": ["1"], "gender": "1"}, "FIELD_BAD_FORMAT"),
        ({"name": "张三", "idNumber": "LOWERX", "gender": "1"}, "DOCUMENT_INVALID"),
    ],
)
def test_field_errors_have_their_own_codes(platform, req, expected):
    _, client = platform
    if req.get("idNumber") == "LOWERX":
        number = next(n for n in iter(citizen_id, None) if n.endswith("X"))
        req = {**req, "idNumber": number.lower()}  # QWB 6002-style rule: the X must be upper case
    out = client.call("registerHealthCard", req)
    assert _code(out) == RESULT_CODES[expected], out
    assert not re.search(r"\d{17}[\dXx]", out["commonOut"]["errMsg"]), "an ID number in errMsg"


LONE_SURROGATE = (
    b'{"commonIn": {"requestId": "R\\ud800", "timestamp": "1", "sign": "x"}, "req": {}}',
    b'{"commonIn": {"requestId": "R1", "timestamp": "1", "sign": "x"}, "req": {"qrCode": "\\uDC00"}}',
)


@pytest.mark.parametrize(
    "raw", [b"not json", b"[]", b'{"commonIn": 1}', b'{"commonIn": {}}', b"\xff\xfe", *LONE_SURROGATE]
)
def test_malformed_envelopes_never_crash(platform, raw):
    _, client = platform
    out = client.post(OPERATION_PREFIX + "verifyQRCode", raw)
    assert _code(out) in (RESULT_CODES["ENVELOPE_MALFORMED"], RESULT_CODES["FIELD_MISSING"]), out


def test_unknown_operation_and_foreign_hospital(platform):
    _, client = platform
    assert _code(client.call("noSuchOperation", {})) == RESULT_CODES["OPERATION_UNKNOWN"]
    out = client.call(
        "verifyQRCode",
        {
            "qrCodeText": "A" * 64 + ":1",
            "hospitalCode": "OTHER-HOSPITAL",
            "medicalStep": "010101",
            "useCityCode": "370800",
        },
    )
    assert _code(out) == RESULT_CODES["APP_FORBIDDEN"]


def test_a_suspended_card_is_refused_with_its_code(platform):
    from reference_node.proto.ehc.node.v1 import issuance_pb2

    node, client = platform
    card = _register(client)
    node.client("admin").issuance.Suspend(
        issuance_pb2.CardActionRequest(ehcid=card["healthCardId"], reason="test")
    )
    out = client.call(
        "verifyQRCode",
        {
            "qrCodeText": card["qrCodeText"],
            "medicalStep": "010101",
            "channelCode": "0100",
            "useCityCode": "370800",
        },
    )
    assert _code(out) == RESULT_CODES["CARD_SUSPENDED"] and out["commonOut"]["errMsg"].startswith(
        "NODE_CARD_SUSPENDED"
    )


def test_the_envelope_is_not_served_unless_switched_on(tmp_path):
    import httpx

    from reference_node.testing import start_node

    node = start_node(tmp_path, http=True)
    try:
        answer = httpx.post(
            f"http://127.0.0.1:{node.http_port}{OPERATION_PREFIX}verifyQRCode", json={}, timeout=10
        )
        assert answer.status_code == 404
    finally:
        node.stop()


def test_tokens_hold_across_the_processes_of_one_node(tmp_path):
    """`ehc node serve --processes 2`: a token from one process works in the other, a new token
    supersedes the old one in every process, and a replayed request is refused by every process
    (fresh connections land on either process)."""
    from reference_node.platforms.tencent_client import TencentClient
    from reference_node.testing import start_node

    node = start_node(
        tmp_path,
        subprocess=True,
        http=True,
        extra_args=["--api", "tencent", "--processes", "2", "--rate-limit", "0"],
    )
    try:
        creds = node.credentials
        base = f"http://127.0.0.1:{node.http_port}"
        first = TencentClient(base, creds.terminal_id, creds.secret.hex(), creds.org_code)
        first.get_app_token()
        ehcid = "0" * 64

        def fresh_call(token: str) -> int:
            client = TencentClient(base, creds.terminal_id, creds.secret.hex(), creds.org_code)
            try:  # a new connection each time: SO_REUSEPORT spreads them over the processes
                body = client.body({"healthCardId": ehcid}, token=token)
                return _code(client.post(OPERATION_PREFIX + "getHealthCardByHealthCardId", body))
            finally:
                client.close()

        old = first.app_token
        codes_old = {fresh_call(old) for _ in range(16)}
        assert codes_old == {RESULT_CODES["CARD_UNKNOWN"]}, codes_old  # the token works everywhere
        first.get_app_token()
        codes_after = {fresh_call(old) for _ in range(16)}
        assert codes_after == {RESULT_CODES["TOKEN_SUPERSEDED"]}, codes_after
        # one signed request replayed on fresh connections: refused whichever process answers
        body = first.body({"healthCardId": ehcid})
        replies = []
        for _ in range(8):
            client = TencentClient(base, creds.terminal_id, creds.secret.hex(), creds.org_code)
            try:
                replies.append(_code(client.post(OPERATION_PREFIX + "getHealthCardByHealthCardId", body)))
            finally:
                client.close()
        assert replies[0] == RESULT_CODES["CARD_UNKNOWN"]
        assert set(replies[1:]) == {RESULT_CODES["REQUEST_ID_REPLAYED"]}, replies
        first.close()
    finally:
        node.stop()
