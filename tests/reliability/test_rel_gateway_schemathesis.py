"""The REST gateway under Schemathesis: bodies generated from its own OpenAPI document (valid and
invalid, signed with the demo terminal's credential, or with the generated junk headers) must get
200 or a 4xx JSON error {code, number, message} — never a 5xx, a stack trace or a hang."""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from reference_node.auth import sign
from reference_node.testing import start_node

EXAMPLES = 12  # per operation and generation mode
SEEN: Counter[str] = Counter()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    node = start_node(tmp_path_factory.mktemp("gw"), http=True)
    base = f"http://127.0.0.1:{node.http_port}"
    with httpx.Client(base_url=base, timeout=30.0) as http:
        doc = http.get("/openapi.json").json()
        yield node, http, schemathesis.openapi.from_dict(doc), doc
    node.stop()
    print(f"schemathesis: {sum(SEEN.values())} calls, statuses {dict(sorted(SEEN.items()))}")


def _operations() -> list[str]:
    from reference_node.gateway.app import ROUTES

    return [path for path, *_ in ROUTES]


def _check_response(resp: httpx.Response, what: str) -> None:
    SEEN[str(resp.status_code)] += 1
    assert resp.status_code < 500, f"{what}: {resp.status_code} {resp.text[:300]}"
    assert "Traceback" not in resp.text and 'File "' not in resp.text, what
    body = resp.json()
    assert isinstance(body, dict), what
    if resp.status_code >= 400:
        assert isinstance(body.get("code"), str) and isinstance(body.get("number"), int), (what, body)
        assert isinstance(body.get("message"), str), (what, body)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("path", _operations())
def test_gateway_never_fails_with_a_server_error(gateway, path, mode):
    node, http, schema, _ = gateway
    op = schema[path]["POST"]
    creds = node.credentials

    @settings(max_examples=EXAMPLES, database=None, suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=mode), signed=st.booleans())
    def check(case, signed: bool) -> None:
        if case.body is schemathesis.core.NOT_SET:
            body = b""
        elif isinstance(case.body, bytes):
            body = case.body
        else:
            body = json.dumps(case.body, default=repr).encode()
        if signed:
            headers = sign(creds.secret, f"POST {path}", body, terminal_id=creds.terminal_id)
        else:  # whatever Schemathesis generated for the x-ehc-* headers (must be refused: 401)
            headers = {k: str(v) for k, v in (case.headers or {}).items() if str(v).isascii()}
        headers["content-type"] = "application/json"
        resp = http.post(path, content=body, headers=headers)
        _check_response(resp, f"POST {path} signed={signed} body={body[:200]!r}")
        if not signed:
            assert resp.status_code in (400, 401), (resp.status_code, resp.text[:200])

    check()


def test_metrics_and_health_answer(gateway):
    _, http, _, doc = gateway
    assert "/metrics" in doc["paths"] and http.get("/metrics").status_code == 200
    assert http.get("/healthz").json()["status"] == "SERVING"
