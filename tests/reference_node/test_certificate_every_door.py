"""检测备案 (seed 000) on every door of a certified-terminals-only node: gRPC, the REST gateway and
the three platform envelopes refuse a terminal without a registered PASS certification report, each
in its own error shape with its own code, only once the caller has proved who it is (a wrong
signature or password learns nothing about certification), and admit it once its report is
registered. The rule lives in one place (Authenticator: ``_refusal``), which every door asks."""

from __future__ import annotations

import json
import time
import uuid

import grpc
import httpx
import pytest
from node_helpers import citizen_id, register_request

from conformance_tests.labcert import certify_terminals
from reference_node.auth import sign
from reference_node.client import error_of
from reference_node.config import NodeConfig
from reference_node.platforms.qinghai_client import QinghaiClient
from reference_node.platforms.qinghai_envelope import ENVELOPE_CODES
from reference_node.platforms.sichuan_client import SichuanClient
from reference_node.platforms.sichuan_envelope import RESULT_CODES as SICHUAN_CODES
from reference_node.platforms.tencent_client import TencentClient
from reference_node.platforms.tencent_envelope import RESULT_CODES as TENCENT_CODES
from reference_node.testing import start_node

JINING = NodeConfig(
    require_certified_terminals=True,
    profile="shandong-jining",
    change_poll_ms=50,
    apis=("tencent", "qinghai", "sichuan"),
)


@pytest.fixture
def jining(tmp_path):
    node = start_node(tmp_path, config=JINING, http=True)
    yield node
    node.stop()


def _grpc(node) -> str:
    try:
        node.client().issuance.Register(register_request())
        return ""
    except grpc.RpcError as exc:
        return error_of(exc).code.name


def _rest(node, secret: bytes | None = None) -> dict:
    creds = node.credentials
    path = "/v1/verify/qr"
    raw = json.dumps({"qr_text": "0" * 64 + ":1", "context": {}}).encode()
    headers = {"content-type": "application/json"}
    headers.update(sign(secret or creds.secret, f"POST {path}", raw, terminal_id=creds.terminal_id))
    with httpx.Client(base_url=f"http://127.0.0.1:{node.http_port}", timeout=30) as http:
        return http.post(path, content=raw, headers=headers).json()


def _tencent(node, secret: bytes | None = None) -> int:
    creds = node.credentials
    client = TencentClient(
        f"http://127.0.0.1:{node.http_port}",
        creds.terminal_id,
        (secret or creds.secret).hex(),
        creds.org_code,
    )
    try:
        return client.get_app_token()["commonOut"]["resultCode"]
    finally:
        client.close()


def _qinghai(node, secret: bytes | None = None) -> str:
    creds = node.credentials
    client = QinghaiClient(
        f"http://127.0.0.1:{node.http_port}", creds.terminal_id, secret or creds.secret, creds.org_code
    )
    number = citizen_id()
    person = {
        "name": "张三", "id_type": "01", "id_number": number, "sex": "1" if int(number[16]) % 2 else "2",
        "nation": "01", "birthday": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
    }  # fmt: skip
    return str(client.call("RHC_E0006", person)["resultCode"])


def _sichuan(node, secret: bytes | None = None) -> str:
    creds = node.credentials
    client = SichuanClient(f"http://127.0.0.1:{node.http_port}", creds.terminal_id, secret or creds.secret)
    try:
        number = citizen_id()
        answer = client.post(
            client.body(
                "healthcard.register", {"registerNo": uuid.uuid4().hex, "idNo": number, "name": "张三"}
            )
        )
        return str(answer["code"])
    finally:
        client.close()


def test_an_uncertified_terminal_is_refused_on_every_door_in_each_doors_shape(jining):
    assert _grpc(jining) == "NODE_TERMINAL_NOT_CERTIFIED"
    rest = _rest(jining)
    assert (rest["code"], rest["number"]) == ("NODE_TERMINAL_NOT_CERTIFIED", 4803), rest
    assert _tencent(jining) == TENCENT_CODES["APP_NOT_CERTIFIED"] == 10018
    assert _qinghai(jining) == ENVELOPE_CODES["NOT_CERTIFIED"] == "1012"
    assert _sichuan(jining) == SICHUAN_CODES["NOT_CERTIFIED"] == "1013"
    # the operator registers the terminal's PASS report: every door admits it (the auth cache
    # drops the terminal on the change feed)
    certify_terminals(
        jining.target, jining.admin_credentials, [jining.credentials.terminal_id], "shandong-jining"
    )
    deadline = time.monotonic() + 5
    while _grpc(jining) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _grpc(jining) == ""
    assert _rest(jining)["code"] != "NODE_TERMINAL_NOT_CERTIFIED"
    assert _tencent(jining) == 0
    assert _qinghai(jining) == "0"
    assert _sichuan(jining) not in (SICHUAN_CODES["NOT_CERTIFIED"], SICHUAN_CODES["FORBIDDEN"])


def test_an_unsigned_caller_learns_nothing_about_certification(jining):
    """A wrong secret is refused as a bad signature / password on every door, never as 'not
    certified': certification is answered only to a caller that proved who it is."""
    wrong = bytes(32)
    assert _rest(jining, wrong)["code"] == "NODE_AUTH_BAD_SIGNATURE"
    assert _tencent(jining, wrong) == TENCENT_CODES["SIGN_MISMATCH"]
    assert _qinghai(jining, wrong) == ENVELOPE_CODES["BAD_CREDENTIALS"]
    assert _sichuan(jining, wrong) == SICHUAN_CODES["DIGEST_MISMATCH"]
