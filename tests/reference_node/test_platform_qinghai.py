"""The Qinghai QWB 002-2017 SOAP front door: a real spyne service called through zeep against a
real node — credentials, time window, msgGuid replay, XML safety (bomb, XXE), field checks with
their resultCodes, sensitive-field encryption both ways, and a full visit checked in the node's
own records."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from pathlib import Path

import grpc
import httpx
import pytest
from gmssl import func, sm3, sm4
from node_helpers import citizen_id

from reference_node.client import error_of
from reference_node.platforms.qinghai_envelope import (
    ENVELOPE_CODES,
    PATH,
    build_flat,
    decrypt_field,
    encrypt_field,
    field_key,
    parse_response,
    user_pwd,
)
from reference_node.proto.ehc.node.v1 import issuance_pb2, usage_pb2

DOC = Path(__file__).resolve().parents[2] / "docs" / "platforms.md"
PNG = b"\x89PNG\r\n\x1a\n"


def _block(kind: str) -> str:
    match = re.search(rf"```\w+ {re.escape(kind)}\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"docs/platforms.md has no {kind} block"
    return match.group(1)


def test_the_worked_example_of_the_docs_holds():
    example = json.loads(_block("qinghai-example"))
    secret = bytes.fromhex(example["secret_hex"])
    # recomputed with gmssl (an independent SM3/SM4), from the page: the docs cannot drift
    digest = sm3.sm3_hash(func.bytes_to_list(secret + b"qinghai-userPwd"))
    assert digest[:32] == _block("qinghai-userpwd") == user_pwd(secret)
    key_hex = sm3.sm3_hash(func.bytes_to_list(secret + b"qinghai-sm4"))[:32]
    assert key_hex == _block("qinghai-sm4-key") == field_key(secret).hex()
    cipher = sm4.CryptSM4()  # PKCS#7 padding, as the envelope uses
    cipher.set_key(bytes.fromhex(key_hex), sm4.SM4_ENCRYPT)
    encrypted = base64.b64encode(cipher.crypt_ecb(example["plain"].encode())).decode()
    assert encrypted == _block("qinghai-encrypted") == encrypt_field(field_key(secret), example["plain"])
    assert decrypt_field(field_key(secret), encrypted) == example["plain"]


@pytest.mark.parametrize(
    "bad", ["", "!!!", base64.b64encode(b"short").decode(), base64.b64encode(bytes(32)).decode()]
)
def test_a_field_that_does_not_decrypt_is_a_value_error(bad):
    with pytest.raises(ValueError):
        decrypt_field(bytes(16), bad)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    from reference_node.config import NodeConfig
    from reference_node.testing import start_node

    node = start_node(tmp_path_factory.mktemp("qinghai"), http=True, config=NodeConfig(apis=("qinghai",)))
    yield node
    node.stop()


def _client(node, **kw):
    from reference_node.platforms.qinghai_client import QinghaiClient

    creds = node.credentials
    return QinghaiClient(
        f"http://127.0.0.1:{node.http_port}", creds.terminal_id, creds.secret, creds.org_code, **kw
    )


@pytest.fixture(scope="module")
def client(platform):
    return _client(platform)


def _person(number: str | None = None, **over: str) -> dict[str, str]:
    number = number or citizen_id()
    fields = {
        "name": "张三",
        "id_type": "01",
        "id_number": number,
        "sex": "1" if int(number[16]) % 2 else "2",
        "nation": "01",
        "birthday": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
        "cellphone": "13800000000",
        "address": "西宁市城中区",
    }
    fields.update(over)
    return fields


def _png(size: int = 64) -> str:
    return base64.b64encode(PNG + bytes(size - len(PNG))).decode()


def _ok(out: dict) -> dict:
    assert out["result"] == "success" and out["resultCode"] == "0", out
    return out["data"]


def _absent(node, number: str) -> None:
    """Nothing was written for this document number."""
    with pytest.raises(grpc.RpcError) as info:
        node.client("admin").issuance.Query(
            issuance_pb2.QueryRequest(document_type="01", document_number=number)
        )
    assert error_of(info.value).code.name == "NODE_PERSON_UNKNOWN"


def _verify_fields(client, qr_code: str) -> dict[str, str]:
    return {
        "qr_code": qr_code,
        "time": "2026-12-03 10:00:00",
        "sam": client.org_id + "0300",
        "use_citycode": "630100",
        "use_cityname": "西宁市",
        "hospital_code": client.org_id,
        "hospital_name": "测试医院",
        "channel_code": "0100",
        "channel_name": "人工窗口",
        "medstep_code": "010101",
        "medstep_name": "挂号",
    }


def test_a_visit_through_the_soap_envelope(platform, client):
    number = citizen_id()
    card = _ok(client.call("RHC_E0006", _person(number)))
    assert re.fullmatch(r"[0-9A-F]{64}", card["ecardId"]) and card["qr_code"] == card["ecardId"] + ":1"
    codes = _ok(client.call("RHC_E0005", {"ecard_id": card["ecardId"]}))
    assert codes["qr_code"] == card["qr_code"] and codes["dt_qr_code"].startswith(card["ecardId"] + ":0")
    for image in ("qr_code_img", "dt_qr_code_img"):
        assert base64.b64decode(codes[image])[:8] == PNG
    seen = _ok(client.call("RHC_E0003", _verify_fields(client, codes["dt_qr_code"])))
    assert (seen["id_number"], seen["ecardId"], seen["main_index"]) == (
        number,
        card["ecardId"],
        card["main_index"],
    )
    assert (
        seen["qr_codetext"] == codes["dt_qr_code"] and seen["name"] == "张三" and seen["is_temporary"] == "0"
    )
    static = _ok(client.call("RHC_E0002", {"ecard_id": card["ecardId"], "qrcode_type": "1"}))
    assert static["qr_code"] == card["qr_code"]

    usage = {
        "card_no": number,
        "atr": "3B6D00000081318655000000000000",
        "sam_no": "630100000001",
        "time": "2026-12-03 10:05:00",
        "use_citycode": "630100",
        "hospital_code": client.org_id,
        "channel_code": "0100",
        "medstep_code": "010101",
        "dept_code": "0300",
        "pay_type": "0200",
    }
    guid = uuid.uuid4().hex
    first = _ok(client.call("RHC_E0009", usage, msg_guid=guid))
    again = _ok(client.call("RHC_E0009", usage, msg_guid=guid))  # a retry after a lost answer
    assert (first["duplicate"], again["duplicate"]) == ("0", "1") and first["record_id"] == again["record_id"]
    records = platform.client("admin").usage.QueryUsage(usage_pb2.QueryUsageRequest(org_code=client.org_id))
    mine = [r for r in records.records if r.request_id == guid]
    assert [(r.card_type, r.atr, r.sam_number, r.department, r.payment_category) for r in mine] == [
        ("10", usage["atr"], usage["sam_no"], "0300", "0200")
    ], "the node did not store exactly one physical-card use with the mapped fields"


def test_encrypted_sensitive_fields_both_ways(platform):
    client = _client(platform, encryption=True)
    number = citizen_id()
    images = {"id_front_img": _png(), "id_back_img": _png(), "face_img": _png()}
    raw_message = client.message({**_person(number), **images})
    assert number not in raw_message and "张三" not in raw_message  # encrypted on the wire
    card = _ok(client.call("RHC_E0001", {**_person(number), **images}))
    seen = client.call("RHC_E0003", _verify_fields(client, card["qr_code"]))
    assert _ok(seen)["id_number"] == number and seen["data"]["cellphone"] == "13800000000"
    wire = seen["encrypted_data"]
    assert wire["id_number"] != number and decrypt_field(client.key, wire["id_number"]) == number
    assert wire["ecardId"] == card["ecardId"]  # not a sensitive field: plain
    # the same call unencrypted answers the plain values
    assert _ok(_client(platform).call("RHC_E0003", _verify_fields(client, card["qr_code"])))["name"] == "张三"
    # a plain value where an encrypted one is announced does not decrypt: refused, nothing written
    other = citizen_id()
    answer = client.raw(client.action("RHC_E0006"), client.message(_person(other), encryption=False))
    assert parse_response(answer)["resultCode"] == ENVELOPE_CODES["DECRYPT_FAILED"]
    _absent(platform, other)


def _send(client, business: str, message: str, **action) -> dict:
    return parse_response(client.raw(client.action(business, **action), message))


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE message [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><message><name>&d;</name></message>'
)
XXE = '<?xml version="1.0"?><!DOCTYPE action [<!ENTITY x SYSTEM "file:///etc/passwd">]><action>&x;</action>'


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong password", "1005"),
        ("unknown user", "1005"),
        ("stale time", "1006"),
        ("future time", "1006"),
        ("missing msgGuid", "1002"),
        ("missing stdVerCode", "1002"),
        ("stdVerCode 2.0", "1004"),
        ("over-long msgGuid", "1003"),
        ("msgType 2", "1004"),
        ("unknown action field", "1004"),
        ("orgId and appCode", "1008"),
        ("neither orgId nor appCode", "1008"),
        ("another orgId", "1010"),
        ("unknown business", "1011"),
        ("malformed action", "1001"),
        ("external entity", "1001"),
        ("XML bomb", "1001"),
        ("malformed message", "1001"),
        ("missing name", "6001"),
        ("lower-case x", "6002"),
        ("over-long name", "6003"),
        ("unknown message field", "6004"),
        ("image over 400 kB", "6005"),
        ("online image over 200 kB", "1105"),
        ("online without photos", "1101"),
        ("bad check character", "6006"),
    ],
)
def test_refusals_have_their_own_codes_and_write_nothing(platform, client, case, expected):
    number = next(n for n in iter(citizen_id, None) if n.endswith("X")) if "x" in case else citizen_id()
    person = _person(number)
    message = client.message(person)
    business = "RHC_E0006"
    action: dict = {}
    raw_action = None
    if case == "wrong password":
        action = {"password": user_pwd(b"not the secret")}
    elif case == "unknown user":
        action = {"user_name": "NO-SUCH-TERMINAL"}
    elif case == "stale time":
        action = {
            "create_time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600 - 3600))
        }
    elif case == "future time":
        action = {
            "create_time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600 + 900))
        }
    elif case == "over-long msgGuid":
        action = {"msg_guid": "A" * 33}
    elif case in (
        "missing msgGuid",
        "missing stdVerCode",
        "stdVerCode 2.0",
        "msgType 2",
        "unknown action field",
        "orgId and appCode",
        "neither orgId nor appCode",
    ):
        fields = {
            "msgGuid": uuid.uuid4().hex, "msgType": "1", "bussinessCode": business,
            "msgCreateTime": client.create_time(), "orgId": client.org_id, "userName": client.user_name,
            "userPwd": client.password, "stdVerCode": "1.0", "encryption": "0",
        }  # fmt: skip
        if case == "missing msgGuid":
            del fields["msgGuid"]
        elif case == "missing stdVerCode":
            del fields["stdVerCode"]
        elif case == "stdVerCode 2.0":
            fields["stdVerCode"] = "2.0"
        elif case == "msgType 2":
            fields["msgType"] = "2"
        elif case == "unknown action field":
            fields["sessionKey"] = "x"
        elif case == "orgId and appCode":
            fields["appCode"] = "APP001"
        else:
            del fields["orgId"]
        raw_action = build_flat("action", fields)
    elif case == "another orgId":
        action = {"org_id": "999999999"}
    elif case == "unknown business":
        business = "RHC_E0014"
    elif case == "malformed action":
        raw_action = "<action><msgGuid>"
    elif case == "external entity":
        raw_action = XXE
    elif case == "XML bomb":
        message = BOMB
    elif case == "malformed message":
        message = "<message><name>张三</message>"
    elif case == "missing name":
        message = client.message({k: v for k, v in person.items() if k != "name"})
    elif case == "lower-case x":
        message = client.message({**person, "id_number": number.lower()})
    elif case == "over-long name":
        message = client.message({**person, "name": "张" * 51})
    elif case == "unknown message field":
        message = client.message({**person, "nickname": "小张"})
    elif case == "image over 400 kB":
        message = client.message({**person, "face_img": _png(400 * 1024 + 1)})
    elif case.startswith("online"):
        business = "RHC_E0001"
        images = {"id_front_img": _png(), "id_back_img": _png()}
        if case == "online image over 200 kB":
            images["face_img"] = _png(200 * 1024 + 1)
        message = client.message({**person, **images})
    elif case == "bad check character":
        message = client.message({**person, "id_number": number[:17] + ("0" if number[17] != "0" else "1")})
    if raw_action is None:
        raw_action = client.action(business, **action)
    out = parse_response(client.raw(raw_action, message))
    assert (out["result"], out["resultCode"]) == ("failure", expected), out
    assert "data" not in out
    assert not re.search(r"\d{17}[\dXx]", out["desc"]), "an ID number in desc"
    _absent(platform, number)


def test_a_replayed_msg_guid_is_refused(client):
    guid = uuid.uuid4().hex
    fields = _verify_fields(client, "A" * 64 + ":1")
    first = client.call("RHC_E0003", fields, msg_guid=guid)
    assert first["resultCode"] == "3007", first  # an unknown card, answered with E0003's own code
    assert client.call("RHC_E0003", fields, msg_guid=guid)["resultCode"] == ENVELOPE_CODES["GUID_REPLAYED"]
    over = client.call("RHC_E0003", {**fields, "qr_code": "A" * 257})
    assert over["resultCode"] == "3003", over
    other_org = client.call("RHC_E0003", {**fields, "hospital_code": "999999999"})
    assert other_org["resultCode"] == "3012", other_org
    bad_sam = client.call("RHC_E0003", {**fields, "sam": "9999999990300"})
    assert bad_sam["resultCode"] == "3004", bad_sam


def test_a_refused_usage_upload_writes_nothing(platform, client):
    admin = platform.client("admin")
    before = len(
        admin.usage.QueryUsage(usage_pb2.QueryUsageRequest(org_code=client.org_id, limit=1000)).records
    )
    out = client.call(
        "RHC_E0009",
        {
            "card_no": citizen_id(), "atr": "3B6D00", "sam_no": "630100000001", "time": "2026-12-03 10:05:00",
            "use_citycode": "630100", "channel_code": "0777", "medstep_code": "010101",
        },
    )  # fmt: skip
    assert out["resultCode"] == "9004", out  # channel not in its code table: E0009's format reason
    after = len(
        admin.usage.QueryUsage(usage_pb2.QueryUsageRequest(org_code=client.org_id, limit=1000)).records
    )
    assert after == before


def test_family_cancel_modify_and_temporary_card(platform, client):
    guardian_number = citizen_id()
    guardian = _ok(client.call("RHC_E0006", _person(guardian_number)))
    child = _ok(client.call("RHC_E0006", _person(citizen_id(), name="张小")))
    bound = _ok(
        client.call(
            "RHC_E0007",
            {
                "guardian_ecard_id": guardian["ecardId"],
                "member_ecard_id": child["ecardId"],
                "relation": "child",
            },
        )
    )
    assert [m["ecardId"] for m in bound["members"]] == [child["ecardId"]]
    family = _ok(client.call("RHC_E0010", {"guardian_ecard_id": guardian["ecardId"]}))
    assert family["main_index"] == guardian["main_index"] and len(family["members"]) == 1
    _ok(
        client.call(
            "RHC_E0008", {"guardian_ecard_id": guardian["ecardId"], "member_ecard_id": child["ecardId"]}
        )
    )
    assert _ok(client.call("RHC_E0010", {"guardian_ecard_id": guardian["ecardId"]}))["members"] == ""

    changed = _ok(client.call("RHC_E0011", {"ecard_id": child["ecardId"], "address": "西宁市城东区"}))
    assert changed["address"] == "西宁市城东区"

    newborn = _ok(
        client.call(
            "RHC_E0012",
            {"id_number": "Q630100001", "name": "张宝宝", "sex": "1", "birthday": "2026-11-30",
             "guardian_id_number": guardian_number},
        )
    )  # fmt: skip
    seen = _ok(client.call("RHC_E0013", _verify_fields(client, newborn["qr_code"])))
    assert seen["is_temporary"] == "1" and seen["id_type"] == "99" and seen["ecardId"] == newborn["ecardId"]

    cancelled = _ok(client.call("RHC_E0004", {"ecard_id": child["ecardId"], "reason": "test"}))
    assert cancelled["card_status"] == "3"
    refused = client.call("RHC_E0003", _verify_fields(client, child["qr_code"]))
    assert refused["resultCode"] == "3008", refused  # a cancelled card


def test_wsdl_and_soap_level_safety(platform, client):
    base = f"http://127.0.0.1:{platform.http_port}{PATH}"
    wsdl = httpx.get(base + "?wsdl", timeout=10)
    assert wsdl.status_code == 200 and "RHCMessageServer" in wsdl.text and "action" in wsdl.text
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:r="http://ehc-kit.local/qinghai/rhc"><soapenv:Body><r:RHCMessageServer>'
        "<r:action>&b;</r:action><r:message/></r:RHCMessageServer></soapenv:Body></soapenv:Envelope>"
    )
    answer = httpx.post(base, content=bomb.encode(), headers={"Content-Type": "text/xml"}, timeout=10)
    assert answer.status_code in (400, 500) and "Fault" in answer.text and "aaaaaaaaaa" not in answer.text
    assert client.call("RHC_E0005", {"ecard_id": "0" * 64})["resultCode"] == "5007"  # still serving


def test_the_envelope_is_not_served_unless_switched_on(tmp_path):
    from reference_node.testing import start_node

    node = start_node(tmp_path, http=True)
    try:
        assert httpx.get(f"http://127.0.0.1:{node.http_port}{PATH}?wsdl", timeout=10).status_code == 404
    finally:
        node.stop()
