"""Who gets in: every attack on call authentication, on gRPC and on the REST gateway alike.

Unsigned, wrongly signed, tampered body, expired / future timestamp, replayed nonce, a terminal
signing as another terminal, another organisation's terminal acting for this one, a terminal
calling an admin operation, a revoked credential, a malformed nonce, a signature for another
method or transport, streams without a signature and with a replayed one. Each must be refused
with its own code; tests/reference_node/test_node_auth.py covers part of this for gRPC only.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

import grpc
import httpx
import pytest
from google.protobuf import json_format

from reference_node.auth import sign
from reference_node.client import Credentials, NodeClient, error_of
from reference_node.proto.ehc.node.v1 import registry_pb2 as rp
from reference_node.proto.ehc.node.v1 import usage_pb2 as up
from reference_node.testing import start_node
from tests.reference_node.node_helpers import issued_ehcid

GRPC_METHOD = "/ehc.node.v1.UsageService/Report"
REST_PATH = "/v1/usage"
_SEQ = itertools.count()
_CARD = {"ehcid": ""}  # an EHCID the module's node issued (usage must name one: REL-F21)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    node = start_node(tmp_path_factory.mktemp("auth"), http=True)
    with node.client("admin") as admin:
        admin.registry.UpsertOrganisation(
            rp.Organisation(code="370802001", name="二院 TEST-ONLY", level="2", area_code="370802")
        )
        creds = {}
        for tid in ("3708020010300", "3708020010301"):
            admin.registry.UpsertTerminal(
                rp.Terminal(terminal_id=tid, org_code="370802001", terminal_type="03")
            )
            secret = bytes.fromhex(
                admin.registry.IssueCredential(rp.IssueCredentialRequest(terminal_id=tid)).secret_hex
            )
            creds[tid] = Credentials(tid, secret, "370802001", use_city="370800")
        admin.registry.RevokeCredential(rp.IssueCredentialRequest(terminal_id="3708020010301"))
    node.grpc.authenticator.forget("3708020010301")
    with node.client() as c:
        _CARD["ehcid"] = issued_ehcid(c)
    channel = grpc.insecure_channel(node.target)
    http = httpx.Client(base_url=f"http://127.0.0.1:{node.http_port}", timeout=30)
    yield {
        "node": node, "channel": channel, "http": http, "other": creds["3708020010300"],
        "revoked": creds["3708020010301"],
    }  # fmt: skip
    http.close()
    channel.close()
    node.stop()


def _record(org: str, ehcid: str = "") -> up.UsageRecord:
    return up.UsageRecord(
        request_id=f"auth-{next(_SEQ)}-{uuid.uuid4().hex[:6]}", time=time.strftime("%Y%m%d%H%M%S"), org_code=org,
        use_city="370800", scene="0101011", card_type="11", channel="0100", ehcid=ehcid or _CARD["ehcid"],
    )  # fmt: skip


def _body(transport: str, rec: up.UsageRecord) -> bytes:
    if transport == "grpc":
        return rec.SerializeToString()
    return json_format.MessageToJson(rec, preserving_proto_field_name=True).encode()


def _signed_for(transport: str) -> str:
    return GRPC_METHOD if transport == "grpc" else f"POST {REST_PATH}"


def _send(env, transport: str, body: bytes, headers: dict[str, str]) -> str:  # noqa: ANN001
    """The kit's error code of the answer, or OK."""
    if transport == "grpc":
        call = env["channel"].unary_unary(GRPC_METHOD, request_serializer=None, response_deserializer=None)
        try:
            call(body, metadata=list(headers.items()), timeout=30)
        except grpc.RpcError as err:
            return error_of(err).code.name
        return "OK"
    resp = env["http"].post(REST_PATH, content=body, headers={**headers, "content-type": "application/json"})
    return "OK" if resp.status_code == 200 else resp.json()["code"]


def _headers(cred: Credentials, method: str, body: bytes, **kw) -> dict[str, str]:  # noqa: ANN003
    return sign(cred.secret, method, body, terminal_id=cred.terminal_id, **kw)


TRANSPORTS = ["grpc", "rest"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_correct_signature_is_accepted(env, transport):
    cred = env["node"].credentials
    body = _body(transport, _record(cred.org_code))
    assert _send(env, transport, body, _headers(cred, _signed_for(transport), body)) == "OK"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_signature_attacks_are_refused(env, transport):
    cred, admin = env["node"].credentials, env["node"].admin_credentials
    method = _signed_for(transport)
    body = _body(transport, _record(cred.org_code))
    window_ms = env["node"].node.config.replay_window_s * 1000
    now_ms = int(time.time() * 1000)
    tampered = _body(transport, _record(cred.org_code))
    other_method = f"POST {REST_PATH}" if transport == "grpc" else GRPC_METHOD
    attacks = {
        "unsigned": ({}, "NODE_AUTH_MISSING"),
        "wrong secret": (sign(b"\x00" * 32, method, body, terminal_id=cred.terminal_id), "NODE_AUTH_BAD_SIGNATURE"),
        "body tampered": (_headers(cred, method, tampered), "NODE_AUTH_BAD_SIGNATURE"),
        "other transport's method": (_headers(cred, other_method, body), "NODE_AUTH_BAD_SIGNATURE"),
        "expired": (_headers(cred, method, body, timestamp_ms=now_ms - window_ms - 5000), "NODE_AUTH_STALE_TIMESTAMP"),
        "future": (_headers(cred, method, body, timestamp_ms=now_ms + window_ms + 5000), "NODE_AUTH_STALE_TIMESTAMP"),
        "short nonce": (_headers(cred, method, body, nonce="abc"), "NODE_AUTH_MISSING"),
        "impersonating the admin terminal": (
            {**_headers(cred, method, body), "x-ehc-terminal": admin.terminal_id}, "NODE_AUTH_BAD_SIGNATURE",
        ),
        "unknown terminal": (
            sign(cred.secret, method, body, terminal_id="9999999999999"), "NODE_AUTH_BAD_SIGNATURE",  # REL-F19
        ),
        "revoked credential": (_headers(env["revoked"], method, body), "NODE_AUTH_CREDENTIAL_REVOKED"),
    }  # fmt: skip
    got = {name: _send(env, transport, body, headers) for name, (headers, _) in attacks.items()}
    assert got == {name: code for name, (_, code) in attacks.items()}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_replayed_request_is_refused(env, transport):
    cred = env["node"].credentials
    body = _body(transport, _record(cred.org_code))
    headers = _headers(cred, _signed_for(transport), body)
    assert _send(env, transport, body, headers) == "OK"
    assert _send(env, transport, body, headers) == "NODE_AUTH_REPLAYED_NONCE"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_other_organisation_cannot_act_for_this_one(env, transport):
    other = env["other"]
    body = _body(transport, _record(env["node"].credentials.org_code))  # reports for the demo hospital
    assert _send(env, transport, body, _headers(other, _signed_for(transport), body)) == "NODE_FORBIDDEN_ORG"


def test_terminal_cannot_call_admin_operations(env):
    with NodeClient(env["node"].target, env["node"].credentials) as c:
        for call in (
            lambda: c.registry.IssueCredential(rp.IssueCredentialRequest(terminal_id="3708020010300")),
            lambda: c.registry.UpsertOrganisation(rp.Organisation(code="370899001", name="x", level="1", area_code="370899")),
            lambda: c.registry.RevokeCredential(rp.IssueCredentialRequest(terminal_id=env["node"].admin_credentials.terminal_id)),
        ):  # fmt: skip
            with pytest.raises(grpc.RpcError) as info:
                call()
            assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert error_of(info.value).code.name == "NODE_FORBIDDEN_ADMIN_ONLY"


def test_streams_need_a_signature_and_a_fresh_nonce(env):
    cred = env["node"].credentials
    method = "/ehc.node.v1.UsageService/ReportStream"
    stream = env["channel"].stream_stream(
        method,
        request_serializer=up.UsageRecord.SerializeToString,
        response_deserializer=up.ReportAck.FromString,
    )
    with pytest.raises(grpc.RpcError) as info:
        list(stream(iter([_record(cred.org_code)]), timeout=30))
    assert error_of(info.value).code.name == "NODE_AUTH_MISSING"
    headers = list(sign(cred.secret, method, None, terminal_id=cred.terminal_id).items())
    acks = list(stream(iter([_record(cred.org_code)]), metadata=headers, timeout=30))
    assert acks[0].accepted
    with pytest.raises(grpc.RpcError) as info:  # the captured stream headers, replayed
        list(stream(iter([_record(cred.org_code)]), metadata=headers, timeout=30))
    assert error_of(info.value).code.name == "NODE_AUTH_REPLAYED_NONCE"


def _replay_across_two_processes(tmp_path, config) -> list[str]:  # noqa: ANN001
    """A call signed once, sent to two node instances on the same store and key file."""
    from reference_node.runtime import start

    first = start_node(tmp_path / "a", db_url=str(tmp_path / "shared.db"), config=config)
    # a second instance behind the same load balancer: same store, same key file
    second = start(
        tmp_path / "b", db_url=str(tmp_path / "shared.db"), keys=first.data_dir / "keys.json", config=config
    )
    try:
        cred = first.credentials  # the demo terminal is the same row in the shared store
        with first.client() as c:
            ehcid = issued_ehcid(c)
        body = _record(cred.org_code, ehcid).SerializeToString()
        headers = list(sign(cred.secret, GRPC_METHOD, body, terminal_id=cred.terminal_id).items())
        results = []
        for node in (first, second):
            with grpc.insecure_channel(node.target) as ch:
                call = ch.unary_unary(GRPC_METHOD, request_serializer=None, response_deserializer=None)
                try:
                    call(body, metadata=headers, timeout=30)
                    results.append("OK")
                except grpc.RpcError as err:
                    results.append(error_of(err).code.name)
        return results
    finally:
        second.stop()
        first.stop()


def test_replay_to_another_process_is_refused_with_shared_nonces(tmp_path):
    from reference_node.config import NodeConfig

    assert _replay_across_two_processes(tmp_path, NodeConfig(shared_nonces=True)) == [
        "OK",
        "NODE_AUTH_REPLAYED_NONCE",
    ]


def test_default_replay_protection_is_per_process_and_documented(tmp_path):
    """REL-F7, decided (node engineer): replay protection stays per process by default and the
    shared check is opt-in (--shared-nonces), because it puts a database write on every call
    (measured on SQLite: static VerifyQr server CPU 469-505 -> 572-600 us/call, p99 8-9 -> 22-25 ms;
    docs/node.md "Authentication"). This pins the documented behaviour both ways, so a change of
    default cannot pass unnoticed: per process by default, refused across processes with the option
    (test_replay_to_another_process_is_refused_with_shared_nonces), documented where operators look."""
    from pathlib import Path

    from reference_node.config import NodeConfig

    assert NodeConfig().shared_nonces is False
    assert _replay_across_two_processes(tmp_path, NodeConfig()) == ["OK", "OK"]
    docs = (Path(__file__).resolve().parents[2] / "docs" / "node.md").read_text(encoding="utf-8")
    assert "--shared-nonces" in docs and "per process" in docs


def _register_one(node) -> tuple[str, str]:  # noqa: ANN001
    from ehc.spec.identifiers import make_citizen_id
    from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip

    number = make_citizen_id("370802", __import__("datetime").date(1971, 3, 4), next(_SEQ) % 1000)
    with node.client() as c:
        reg = c.issuance.Register(ip.RegisterRequest(
            application_mode="3", name="审计测试", document_type="01", document_number=number,
            sex="1" if int(number[16]) % 2 else "2", nation="01", area_code="370802"))  # fmt: skip
    return number, reg.person.main_index


def test_unauthenticated_caller_cannot_tell_registered_from_unknown_ids(env):
    """SEC-003: the refusal of an unsigned Resolve is the same for a registered and an unknown ID."""
    from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp

    registered, _ = _register_one(env["node"])
    unknown = registered[:6] + "19000101" + registered[14:]
    answers = []
    for number in (registered, unknown):
        body = mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_ID, identifier=number).SerializeToString()
        call = env["channel"].unary_unary("/ehc.node.v1.MainIndexService/Resolve", request_serializer=None,
                                          response_deserializer=None)  # fmt: skip
        with pytest.raises(grpc.RpcError) as info:
            call(body, timeout=30)
        answers.append((info.value.code(), info.value.details(), error_of(info.value).code.name))
    assert answers[0] == answers[1] and answers[0][2] == "NODE_AUTH_MISSING"


# REL-F15 (fixed after the node engineer's last commit): GetAudit had no authorisation check.
def test_a_terminal_of_another_organisation_cannot_read_a_persons_audit_trail(env):
    from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp

    _, main_index = _register_one(env["node"])
    with NodeClient(env["node"].target, env["other"]) as other, pytest.raises(grpc.RpcError) as info:
        other.main_index.GetAudit(mp.GetAuditRequest(main_index=main_index), timeout=30)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unknown_terminal_and_wrong_key_are_answered_alike(env, transport):
    """REL-F19: a caller cannot tell an unregistered terminal id from a registered one signed with a
    wrong key (no enumeration of terminal ids); the node's log keeps the difference."""
    import logging

    cred = env["node"].credentials
    method = _signed_for(transport)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("reference_node")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    auth = env["node"].grpc.authenticator
    counts = auth.unknown_terminal.total, auth.bad_signature.total
    auth.unknown_terminal.next_now()
    auth.bad_signature.next_now()
    try:
        answers = []
        for terminal, secret in (("9999999999998", cred.secret), (cred.terminal_id, b"\x07" * 32)):
            body = _body(transport, _record(cred.org_code))
            headers = sign(secret, method, body, terminal_id=terminal)
            if transport == "grpc":
                call = env["channel"].unary_unary(
                    GRPC_METHOD, request_serializer=None, response_deserializer=None
                )
                with pytest.raises(grpc.RpcError) as info:
                    call(body, metadata=list(headers.items()), timeout=30)
                err = info.value
                trailers = {k: v for k, v in err.trailing_metadata() if k != "ehc-error-bin"}
                answers.append((err.code(), err.details(), trailers, error_of(err).to_dict()))
            else:
                r = env["http"].post(
                    REST_PATH, content=body, headers={**headers, "content-type": "application/json"}
                )
                answers.append((r.status_code, r.text))
        assert answers[0] == answers[1]
        assert "NODE_AUTH_BAD_SIGNATURE" in str(answers[0])
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert (auth.unknown_terminal.total, auth.bad_signature.total) == (counts[0] + 1, counts[1] + 1)
    messages = [r.getMessage() for r in records]
    assert any("unknown terminal" in m for m in messages), messages
    assert any("signature does not verify" in m for m in messages), messages


@pytest.mark.parametrize(
    "shape",
    ["key", "nested key", "enum value", "number for an enum", "name as key"],
)
def test_rest_parse_errors_never_echo_an_id_number(env, shape):
    """REL-F20: the JSON parser quoted an unknown key or enum value in full in the 400 message."""
    number, name = "370802199001021234", "张三丰"
    body = {
        "key": {number: "x"},
        "nested key": {"context": {number: "x"}},
        "enum value": {"medium": number},
        "number for an enum": {"medium": int(number)},
        "name as key": {name: 1},
    }[shape]
    raw = json.dumps(body, ensure_ascii=False).encode()
    cred = env["node"].credentials
    headers = sign(cred.secret, "POST /v1/resolve", raw, terminal_id=cred.terminal_id)
    r = env["http"].post("/v1/resolve", content=raw, headers={**headers, "content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "NODE_FIELD_BAD_FORMAT", r.text
    text = r.content.decode()
    assert number not in text and number[:14] not in text and name not in text, text
    assert "ResolveRequest" in r.json()["message"]  # still says what was wrong
