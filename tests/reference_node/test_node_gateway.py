"""The REST gateway: same auth, JSON errors {code, number, message}, OpenAPI, never a 500 for bad input."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from node_helpers import citizen_id

from reference_node.auth import sign


@pytest.fixture
def gw(tmp_path):
    from reference_node.testing import start_node

    node = start_node(tmp_path, http=True)
    http = httpx.Client(base_url=f"http://127.0.0.1:{node.http_port}", timeout=30)
    yield node, http
    http.close()
    node.stop()


def post(http: httpx.Client, creds, path: str, body: dict | bytes, *, signed: bool = True) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"}
    if signed:
        headers.update(sign(creds.secret, f"POST {path}", raw, terminal_id=creds.terminal_id))
    return http.post(path, content=raw, headers=headers)


def test_register_qr_verify_report_resolve_over_http(gw):
    node, http = gw
    creds = node.credentials
    number = citizen_id()
    r = post(
        http,
        creds,
        "/v1/register",
        {
            "application_mode": "3",
            "name": "王五",
            "document_type": "01",
            "document_number": number,
            "sex": "1",
            "area_code": "370802",
        },
    )
    assert r.status_code == 200, r.text
    ehcid = r.json()["card"]["ehcid"]
    q = post(
        http, creds, "/v1/qr", {"ehcid": ehcid, "code_type": "CODE_TYPE_DYNAMIC", "max_verifications": 1}
    )
    assert q.status_code == 200 and q.json()["surplus_num"] == 1
    ctx = {"use_city": "370800", "channel": "0100", "medical_step": "010101"}
    v = post(http, creds, "/v1/verify/qr", {"qr_text": q.json()["qr_text"], "context": ctx})
    assert v.status_code == 200 and v.json()["person"]["document_number"] == number
    again = post(http, creds, "/v1/verify/qr", {"qr_text": q.json()["qr_text"], "context": ctx})
    assert again.status_code == 409 and again.json() == {
        "code": "NODE_QR_EXHAUSTED",
        "number": 4404,
        "message": again.json()["message"],
    }
    rep = {
        "request_id": "h-1",
        "time": "20261126100000",
        "org_code": creds.org_code,
        "use_city": "370800",
        "scene": "0101011",
        "card_type": "11",
        "channel": "0100",
        "ehcid": ehcid,
    }
    assert post(http, creds, "/v1/usage", rep).json()["accepted"] is True
    assert post(http, creds, "/v1/usage", rep).json()["duplicate"] is True
    res = post(http, creds, "/v1/resolve", {"medium": "MEDIUM_CITIZEN_ID", "identifier": number})
    assert res.status_code == 200 and res.json()["person"]["main_index"] == r.json()["person"]["main_index"]


def test_auth_errors_are_json(gw):
    node, http = gw
    r = post(http, node.credentials, "/v1/register", {}, signed=False)
    assert r.status_code == 401 and r.json()["code"] == "NODE_AUTH_MISSING" and r.json()["number"] == 4201
    headers = sign(node.credentials.secret, "POST /v1/qr", b"{}", terminal_id=node.credentials.terminal_id)
    r = http.post("/v1/register", content=b"{}", headers=headers)  # signed for another path
    assert r.status_code == 401 and r.json()["code"] == "NODE_AUTH_BAD_SIGNATURE"


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=64),
        st.dictionaries(
            st.text(max_size=12),
            st.one_of(st.text(max_size=20), st.integers(), st.none(), st.booleans()),
            max_size=4,
        ).map(lambda d: json.dumps(d).encode()),
    )
)
def test_bad_input_is_never_a_500(gw, body):
    node, http = gw
    for path in ("/v1/register", "/v1/verify/qr", "/v1/usage", "/v1/resolve"):
        r = post(http, node.credentials, path, body)
        assert r.status_code < 500, (path, r.status_code, r.text)
        if r.status_code >= 400:
            assert set(r.json()) >= {"code", "number", "message"}


def test_openapi_and_metrics(gw):
    node, http = gw
    doc = http.get("/openapi.json").json()
    assert {"/v1/register", "/v1/qr", "/v1/verify/qr", "/v1/usage", "/v1/resolve"} <= set(doc["paths"])
    schema = doc["components"]["schemas"]["ehc_node_v1_RegisterRequest"]
    assert "document_number" in schema["properties"]
    assert http.get("/healthz").json()["status"] == "SERVING"
    post(http, node.credentials, "/v1/register", {}, signed=False)
    text = http.get("/metrics").text
    assert "# TYPE ehc_node_http_requests_total counter" in text
    assert 'ehc_node_http_requests_total{path="/v1/register",result="NODE_AUTH_MISSING"} 1' in text
