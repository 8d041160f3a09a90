"""The Sichuan (Mianyang) front door: MD5 digest over the encrypted bizContent, AES both ways,
time window, replay, field checks with their codes, and a full visit checked in the node's own
records, against a real node over HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st
from node_helpers import citizen_id

from reference_node.client import error_of
from reference_node.platforms.sichuan_envelope import (
    PATH,
    RESULT_CODES,
    aes_key,
    decrypt_biz,
    digest,
    encrypt_biz,
    md5_key,
    sign_string,
)
from reference_node.proto.ehc.node.v1 import issuance_pb2, usage_pb2

DOC = Path(__file__).resolve().parents[2] / "docs" / "platforms.md"


def _block(kind: str) -> str:
    match = re.search(rf"```\w+ {re.escape(kind)}\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"docs/platforms.md has no {kind} block"
    return match.group(1)


def test_the_worked_digest_example_of_the_docs_holds():
    example = json.loads(_block("sichuan-example"))
    secret = bytes.fromhex(example["secret_hex"])
    documented_md5key, documented_aes = _block("sichuan-keys").split()
    assert (md5_key(secret), aes_key(secret).hex()) == (documented_md5key, documented_aes)
    # the ciphertext on the page decrypts, with cryptography alone, to the documented bizContent
    raw = base64.b64decode(example["body"]["bizContent"])
    dec = Cipher(algorithms.AES(bytes.fromhex(documented_aes)), modes.ECB()).decryptor()
    plain = dec.update(raw) + dec.finalize()
    assert json.loads(plain[: -plain[-1]].decode()) == example["biz"]
    assert encrypt_biz(bytes.fromhex(documented_aes), example["biz"]) == example["body"]["bizContent"]
    # the signing string and the digest, recomputed with hashlib from the page
    documented_string = _block("sichuan-sign-string")
    assert sign_string(example["body"], documented_md5key) == documented_string
    assert hashlib.md5(documented_string.encode()).hexdigest().upper() == _block("sichuan-digest")
    assert digest(example["body"], documented_md5key) == _block("sichuan-digest")


@given(
    st.dictionaries(
        st.text("abcdefgXYZ", min_size=1, max_size=6),
        st.text(st.characters(blacklist_characters="&="), max_size=8),
        max_size=6,
    ),
    st.text("0123456789abcdef", min_size=1, max_size=32),
)
@settings(max_examples=50, deadline=None)
def test_sign_string_is_sorted_pairs_without_empty_values_then_the_key(fields, key):
    text = sign_string({**fields, "digest": "ignored"}, key)
    assert text.endswith(f"key={key}")
    body = text[: -len(f"key={key}")]
    pairs = [p.split("=", 1) for p in body.split("&")[:-1]] if body else []
    assert [k for k, _ in pairs] == sorted(k for k, v in fields.items() if v)
    assert dict(pairs) == {k: v for k, v in fields.items() if v}


@pytest.mark.parametrize("mode", ["ECB", "CBC"])
def test_biz_content_round_trips_and_refuses_garbage(mode):
    key = bytes(range(16))
    content = {"name": "张三", "n": 1}
    assert decrypt_biz(key, encrypt_biz(key, content, mode), mode) == content
    for bad in ("", "%%%", base64.b64encode(b"x" * 15).decode(), encrypt_biz(bytes(16), content, mode)):
        with pytest.raises(ValueError):
            decrypt_biz(key, bad, mode)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    from reference_node.config import NodeConfig
    from reference_node.testing import start_node

    node = start_node(tmp_path_factory.mktemp("sichuan"), http=True, config=NodeConfig(apis=("sichuan",)))
    yield node
    node.stop()


@pytest.fixture(scope="module")
def client(platform):
    from reference_node.platforms.sichuan_client import SichuanClient

    creds = platform.credentials
    c = SichuanClient(f"http://127.0.0.1:{platform.http_port}", creds.terminal_id, creds.secret)
    yield c
    c.close()


def _ms(day: str) -> int:
    """Midnight of ``YYYYMMDD`` in Beijing time, in epoch milliseconds."""
    import datetime as dt

    d = dt.datetime.strptime(day, "%Y%m%d").replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return int(d.timestamp() * 1000)


def _register_biz(number: str | None = None, **over: object) -> dict:
    number = number or citizen_id()
    biz = {
        "registerNo": f"R{number[-10:]}{int(time.time() * 1000) % 10**8}",
        "registerTime": int(time.time() * 1000),
        "applyType": "3",
        "idType": "01",
        "idNo": number,
        "name": "李四",
        "gender": "1" if int(number[16]) % 2 else "2",
        "birthday": _ms(number[6:14]),
        "cellphone": "13900000000",
        "address": "绵阳市涪城区",
        "unit": "绵阳市某单位",
    }
    biz.update(over)
    return biz


def _ok(out: dict) -> dict:
    assert out["code"] == "0000", out
    return out["biz"]


def _absent(node, number: str) -> None:
    with pytest.raises(grpc.RpcError) as info:
        node.client("admin").issuance.Query(
            issuance_pb2.QueryRequest(document_type="01", document_number=number)
        )
    assert error_of(info.value).code.name == "NODE_PERSON_UNKNOWN"


def test_a_visit_through_the_envelope(platform, client):
    number = citizen_id()
    card = _ok(client.call("healthcard.register", _register_biz(number)))
    assert re.fullmatch(r"[0-9A-F]{64}", card["ehealthCardId"]) and card["mindexId"] == card["xmanId"]
    assert card["healthCardNo"] == card["ehealthCardId"] + ":1"
    person = platform.client("admin").issuance.Query(
        issuance_pb2.QueryRequest(document_type="01", document_number=number)
    )
    assert person.person.birth_date == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"  # ms read in UTC+8
    code = _ok(
        client.call("healthcard.qrcode.get", {"ehealthCardId": card["ehealthCardId"], "codeType": "0"})
    )
    assert code["qrCode"].startswith(card["ehealthCardId"] + ":0") and code["validUntil"]
    assert base64.b64decode(code["qrCodeImg"])[:8] == b"\x89PNG\r\n\x1a\n"
    seen = _ok(
        client.call(
            "healthcard.qrcode.verify",
            {
                "qrCode": code["qrCode"],
                "useCityCode": "510700",
                "hospitalCode": platform.credentials.org_code,
                "hospitalName": "绵阳市测试医院",
                "channelCode": "0100",
                "medStepCode": "010101",
                "deptCode": "0300",
                "terminalTime": int(time.time() * 1000),
            },
        )  # fmt: skip
    )
    assert (seen["idNo"], seen["mindexId"], seen["name"]) == (number, card["mindexId"], "李四")
    report = {
        "recordNo": f"U-{number[-8:]}", "ehealthCardId": card["ehealthCardId"], "useTime": _ms("20261203"),
        "hospitalCode": platform.credentials.org_code, "useCityCode": "510700", "scene": "0101012",
        "deptCode": "0300", "cardType": "11", "channelCode": "0100", "payType": "0100",
    }  # fmt: skip
    first = _ok(client.call("healthcard.usage.report", report))
    again = _ok(client.call("healthcard.usage.report", report))  # a new envelope, same record: a retry
    assert (first["accepted"], again["duplicate"]) == (True, True) and first["usageId"] == again["usageId"]
    records = platform.client("admin").usage.QueryUsage(
        usage_pb2.QueryUsageRequest(ehcid=card["ehealthCardId"])
    )
    assert [(r.request_id, r.scene, r.card_type, r.department, r.time) for r in records.records] == [
        (report["recordNo"], "0101012", "11", "0300", "20261203000000")
    ], "the node did not store exactly one report with the mapped fields"


def test_answers_are_signed_and_encrypted(client):
    out = client.post(client.body("healthcard.register", _register_biz()))
    assert out["code"] == "0000" and re.fullmatch(r"[0-9A-F]{32}", out["digest"])
    assert out["digest"] == digest(out, md5_key(client.secret))
    assert "李四" not in json.dumps(out, ensure_ascii=False)  # the person travels encrypted only
    forged = {**out, "code": "2001"}
    from reference_node.platforms.sichuan_client import AnswerNotAuthentic

    with pytest.raises(AnswerNotAuthentic):
        client.open(forged)


def _cases(client, number: str) -> dict:
    """case -> (envelope as sent, expected code name)."""
    good = client.body("healthcard.register", _register_biz(number))

    def resigned(body: dict) -> dict:
        body = {k: v for k, v in body.items() if k != "digest"}
        return {**body, "digest": digest(body, md5_key(client.secret))}

    def biz(**over: object) -> dict:
        return client.body("healthcard.register", _register_biz(number, **over))

    stale = resigned({**good, "timestamp": str(int((time.time() - 3600) * 1000))})
    plain_biz = resigned({**good, "bizContent": base64.b64encode(b'{"idNo": "x"}').decode()})
    lower = number.lower() if number.endswith("X") else number
    return {
        "wrong digest": ({**good, "digest": "0" * 32}, "DIGEST_MISMATCH"),
        "altered bizContent": (
            {**good, "bizContent": client.body("healthcard.register", _register_biz())["bizContent"]},
            "DIGEST_MISMATCH",
        ),
        "digest without the key": (
            {**good, "digest": hashlib.md5(sign_string(good, "").encode()).hexdigest().upper()},
            "DIGEST_MISMATCH",
        ),
        "lower-case digest": ({**good, "digest": good["digest"].lower()}, "DIGEST_MISMATCH"),
        "unknown app": ({**good, "appId": "NO-SUCH-APP"}, "APP_UNKNOWN"),
        "stale timestamp": (stale, "TIMESTAMP_OUT_OF_WINDOW"),
        "timestamp in seconds": (
            resigned({**good, "timestamp": str(int(time.time()))}),
            "TIMESTAMP_OUT_OF_WINDOW",
        ),
        "missing method": ({k: v for k, v in good.items() if k != "method"}, "FIELD_MISSING"),
        "over-long method": ({**good, "method": "m" * 51}, "FIELD_TOO_LONG"),
        "unknown envelope field": ({**good, "sign": "x"}, "FIELD_BAD_FORMAT"),
        "version 2.0": (resigned({**good, "version": "2.0"}), "UNSUPPORTED"),
        "unknown method": (resigned({**good, "method": "healthcard.delete"}), "METHOD_UNKNOWN"),
        "bizContent not encrypted": (plain_biz, "DECRYPT_FAILED"),
        "missing idNo": (biz(idNo=""), "FIELD_MISSING"),
        "over-long name": (biz(name="李" * 51), "FIELD_TOO_LONG"),
        "unknown biz field": (biz(nickname="小李"), "FIELD_BAD_FORMAT"),
        "birthday not ms": (biz(birthday="1980-01-01"), "FIELD_BAD_FORMAT"),
        "applyType 7": (biz(applyType="7"), "FIELD_BAD_FORMAT"),
        "lower-case x": (biz(idNo=lower), "ID_LOWERCASE_X"),
        "bad check character": (
            biz(idNo=number[:17] + ("0" if number[17] != "0" else "1")),
            "DOCUMENT_INVALID",
        ),
    }


CASES = [
    "wrong digest", "altered bizContent", "digest without the key", "lower-case digest", "unknown app",
    "stale timestamp", "timestamp in seconds", "missing method", "over-long method", "unknown envelope field",
    "version 2.0", "unknown method", "bizContent not encrypted", "missing idNo", "over-long name",
    "unknown biz field", "birthday not ms", "applyType 7", "lower-case x", "bad check character",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_refusals_have_their_own_codes_and_write_nothing(platform, client, case):
    number = next(n for n in iter(citizen_id, None) if n.endswith("X"))
    body, expected = _cases(client, number)[case]
    out = client.post(body)
    assert out["code"] == RESULT_CODES[expected], out
    assert "bizContent" not in out and not re.search(r"\d{17}[\dXx]", out["message"]), out
    _absent(platform, number)


def test_replayed_envelope_is_refused(platform, client):
    number = citizen_id()
    body = client.body("healthcard.register", _register_biz(number))
    assert client.post(body)["code"] == "0000"
    assert client.post(body)["code"] == RESULT_CODES["REPLAYED"]


@pytest.mark.parametrize(
    "raw",
    [
        b"not json", b"[]", b'{"method": 1.5}', b"\xff\xfe", b'{"method": {"a": 1}}', b"{}",
        b'{"method": "healthcard.register", "appId": "A\\ud800"}',  # an escape without its pair
    ],
)  # fmt: skip
def test_malformed_envelopes_never_crash(client, raw):
    out = client.post(raw)
    expected = {RESULT_CODES["MALFORMED"], RESULT_CODES["FIELD_BAD_FORMAT"], RESULT_CODES["FIELD_MISSING"]}
    assert out["code"] in expected and out["digest"] == "", out


def test_business_refusals_have_their_codes(platform, client):
    unknown = client.call("healthcard.qrcode.get", {"ehealthCardId": "0" * 64})
    assert unknown["code"] == RESULT_CODES["CARD_UNKNOWN"] and "biz" not in unknown, unknown
    card = _ok(client.call("healthcard.register", _register_biz()))
    platform.client("admin").issuance.Suspend(
        issuance_pb2.CardActionRequest(ehcid=card["ehealthCardId"], reason="test")
    )
    verify = {
        "qrCode": card["healthCardNo"], "useCityCode": "510700", "channelCode": "0100", "medStepCode": "010101",
    }  # fmt: skip
    assert client.call("healthcard.qrcode.verify", verify)["code"] == RESULT_CODES["CARD_NOT_USABLE"]
    other = client.call("healthcard.qrcode.verify", {**verify, "hospitalCode": "999999999"})
    assert other["code"] == RESULT_CODES["FORBIDDEN"]


def test_cbc_mode_is_configurable(tmp_path, monkeypatch):
    from reference_node.config import NodeConfig
    from reference_node.platforms.sichuan_client import SichuanClient
    from reference_node.testing import start_node

    monkeypatch.setenv("EHC_SICHUAN_AES_MODE", "CBC")
    node = start_node(tmp_path, http=True, config=NodeConfig(apis=("sichuan",)))
    base = f"http://127.0.0.1:{node.http_port}"
    creds = node.credentials
    try:
        cbc = SichuanClient(base, creds.terminal_id, creds.secret, aes_mode="CBC")
        assert _ok(cbc.call("healthcard.register", _register_biz()))["ehealthCardId"]
        ecb = SichuanClient(base, creds.terminal_id, creds.secret, aes_mode="ECB")
        assert (
            ecb.post(ecb.body("healthcard.register", _register_biz()))["code"]
            == RESULT_CODES["DECRYPT_FAILED"]
        )
        cbc.close()
        ecb.close()
    finally:
        node.stop()


def test_serve_prints_each_envelope_url(tmp_path):
    """``ehc node serve --http-port 0 --api qinghai --api sichuan`` serves both and says where."""
    import httpx

    from reference_node.testing import start_node

    node = start_node(
        tmp_path, subprocess=True, http=True, extra_args=["--api", "qinghai", "--api", "sichuan"]
    )
    try:
        deadline = time.monotonic() + 10
        lines: dict[str, str] = {}
        while time.monotonic() < deadline and len(lines) < 2:
            text = (tmp_path / "node-process.log").read_text(errors="replace")
            lines = dict(re.findall(r"^\s+(qinghai|sichuan) envelope: (\S+)$", text, re.M))
            time.sleep(0.1)
        assert lines.keys() == {"qinghai", "sichuan"}, text
        assert lines["qinghai"].endswith("/qinghai/RHCMessageServer") and lines["sichuan"].endswith(PATH)
        assert httpx.get(lines["qinghai"] + "?wsdl", timeout=10).status_code == 200
        assert (
            httpx.post(lines["sichuan"], content=b"{}", timeout=10).json()["code"]
            == RESULT_CODES["FIELD_MISSING"]
        )
    finally:
        node.stop()
