"""The REST gateway's OpenAPI (issue #17): every gRPC operation of the node has an HTTP operation
(its short path, an extension's route or ``/v1/rpc/<Service>/<Method>``), and the request
signature is a security scheme of four headers, not four plain parameters."""

from __future__ import annotations

import json

import httpx
import pytest
from google.protobuf import json_format
from node_helpers import register_request

from reference_node.auth import sign
from reference_node.gateway.app import SIGNATURE_HEADERS
from reference_node.server import PACKAGE, SERVICES
from reference_node.testing import start_node


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    node = start_node(tmp_path_factory.mktemp("openapi"), http=True)
    http = httpx.Client(base_url=f"http://127.0.0.1:{node.http_port}", timeout=30)
    yield node, http, http.get("/openapi.json").json()
    http.close()
    node.stop()


def post(http: httpx.Client, creds, path: str, body: object) -> httpx.Response:  # noqa: ANN001
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json"}
    headers.update(sign(creds.secret, f"POST {path}", raw, terminal_id=creds.terminal_id))
    return http.post(path, content=raw, headers=headers)


def _operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_every_grpc_operation_has_an_http_operation(gw):
    _, _, doc = gw
    expected = {f"{PACKAGE}.{service}/{name}" for service, table in SERVICES.items() for name in table}
    assert len(expected) >= 40  # the node's services (core + extensions), not an empty registry
    mirrored = {op.get("x-grpc-method") for _, _, op in _operations(doc)} - {None}
    grpc_only = {entry["method"]: entry["reason"] for entry in doc["info"]["x-grpc-only"]}
    # a credential's secret never crosses the plain-HTTP gateway; everything else does
    assert set(grpc_only) == {"ehc.node.v1.RegistryService/IssueCredential"}, grpc_only
    assert all(len(reason) > 20 for reason in grpc_only.values())
    assert not mirrored & set(grpc_only)
    assert expected - set(grpc_only) <= mirrored, sorted(expected - set(grpc_only) - mirrored)
    for path, _, op in _operations(doc):
        if "x-grpc-method" in op:
            assert op["requestBody"]["content"]["application/json"]["schema"], path
            assert "200" in op["responses"], path


def test_signature_headers_are_a_security_scheme(gw):
    _, _, doc = gw
    schemes = doc["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values() if s["type"] == "apiKey" and s["in"] == "header"} == {
        "x-ehc-terminal",
        "x-ehc-timestamp",
        "x-ehc-nonce",
        "x-ehc-signature",
    }
    signed = 0
    for path, method, op in _operations(doc):
        names = {p["name"].lower() for p in op.get("parameters", [])}
        assert not names & {"x-ehc-terminal", "x-ehc-timestamp", "x-ehc-nonce", "x-ehc-signature"}, path
        if method == "post" and path.startswith("/v1/"):
            # one requirement naming all four schemes: they are sent together
            assert op["security"] == [{name: [] for name in SIGNATURE_HEADERS}], path
            signed += 1
        elif path in ("/metrics", "/healthz"):
            assert "security" not in op, path
    assert signed >= 40


def test_mirrored_operations_work_and_keep_authorisation(gw):
    node, http, _ = gw
    path = "/v1/rpc/RegistryService/ListOrganisations"
    r = post(http, node.admin_credentials, path, {})
    assert r.status_code == 200, r.text
    assert any(o["code"] == node.credentials.org_code for o in r.json()["organisations"])
    upsert = "/v1/rpc/RegistryService/UpsertOrganisation"
    org = {"code": "370800077", "name": "测试医院", "level": "2", "area_code": "370800"}
    refused = post(http, node.credentials, upsert, org)  # a terminal credential is not an administrator
    assert refused.status_code == 403 and refused.json()["code"].startswith("NODE_"), refused.text
    assert post(http, node.admin_credentials, upsert, org).status_code == 200
    listed = post(http, node.admin_credentials, path, {}).json()["organisations"]
    assert any(o["code"] == "370800077" for o in listed)
    unsigned = http.post(path, content=b"{}", headers={"content-type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "NODE_AUTH_MISSING"
    # a streaming method: a JSON array of requests in, a JSON array of answers out
    batch = [
        json_format.MessageToDict(register_request(), preserving_proto_field_name=True) for _ in range(2)
    ]
    r = post(http, node.credentials, "/v1/rpc/IssuanceService/RegisterBatch", batch)
    assert r.status_code == 200, r.text
    answers = r.json()  # RegisterBatch answers in acknowledgement batches, each with its items
    assert isinstance(answers, list) and answers, answers
    items = [item for ack in answers for item in ack["items"]]
    assert len(items) == 2 and all(i["ok"] and len(i["ehcid"]) == 64 for i in items), items
    bad = post(http, node.credentials, "/v1/rpc/IssuanceService/RegisterBatch", {"not": "an array"})
    assert bad.status_code == 400 and bad.json()["code"] == "NODE_FIELD_BAD_FORMAT", bad.text
    metrics = http.get("/metrics").text
    assert (
        'ehc_node_http_requests_total{path="/v1/rpc/IssuanceService/RegisterBatch",result="OK"} 1' in metrics
    )


def test_every_mirrored_operation_answers_empty_input_without_a_server_error(gw):
    node, http, doc = gw
    for path, _, op in _operations(doc):
        if not path.startswith("/v1/rpc/"):
            continue
        is_stream = op["requestBody"]["content"]["application/json"]["schema"].get("type") == "array"
        for creds in (node.credentials, node.admin_credentials):
            r = post(http, creds, path, [] if is_stream else {})
            assert r.status_code < 500, (path, r.status_code, r.text[:300])
            body = r.json()
            if r.status_code >= 400:
                assert {"code", "number", "message"} <= set(body), (path, body)


def _mirror_paths() -> list[str]:
    return sorted(
        f"/v1/rpc/{service}/{name}"
        for service, table in SERVICES.items()
        for name in table
        if service in ("IssuanceService", "MainIndexService", "UsageService", "RegistryService")
    )


def _fuzz(http: httpx.Client, operation, path: str, creds, generation) -> None:  # noqa: ANN001
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=3, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=generation))
    def check(case) -> None:  # noqa: ANN001
        body = b"" if case.body is schemathesis.core.NOT_SET else json.dumps(case.body, default=repr).encode()
        headers = sign(creds.secret, f"POST {path}", body, terminal_id=creds.terminal_id)
        headers["content-type"] = "application/json"
        r = http.post(path, content=body, headers=headers)
        assert r.status_code < 500, (path, r.status_code, r.text[:300], body[:200])
        if r.status_code >= 400:
            assert {"code", "number", "message"} <= set(r.json()), (path, r.text[:200])

    check()


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_mirrored_operations_never_answer_a_server_error(gw, mode):
    """Schemathesis bodies from the OpenAPI document itself (valid and invalid), signed by the
    administrator (so administrator-only operations get past authorisation): 200 or a 4xx JSON
    error, never a 5xx."""
    import schemathesis
    from schemathesis.generation import GenerationMode

    node, http, doc = gw
    schema = schemathesis.openapi.from_dict(doc)
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    paths = [p for p in _mirror_paths() if p in doc["paths"]]
    assert len(paths) >= 20, paths
    assert "/v1/rpc/RegistryService/IssueCredential" not in doc["paths"]
    for path in paths:
        _fuzz(http, schema[path]["POST"], path, node.admin_credentials, generation)
