"""VerifyQr: positive and negative cases, context fields, count limits, concurrency, security."""

from __future__ import annotations

import json
import threading
import time
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance_tests import oracle
from reference_node.proto.ehc.node.v1 import verification_pb2 as V
from reference_node.proto.ehc.node.v1 import verification_pb2_grpc

from .helpers import assert_client_error, qr, register, verify


def _vectors() -> list[dict]:
    data = resources.files("conformance_tests.vectors").joinpath("qr_text_negative.json").read_text("utf-8")
    return [t for group in json.loads(data)["testGroups"] for t in group["tests"]]


@pytest.mark.requirement("NODE-VERIFY-001", "QR-TEXT-001", "NODE-EMPI-001", "NODE-VERIFY-008")
def test_static_code_returns_the_person(dut):
    r = register(dut)
    response, error = verify(dut, r.qr_text)
    assert error is None, error
    p = response.person
    assert p.main_index == r.person.main_index and response.card.ehcid == r.card.ehcid
    for field in (
        "name",
        "document_type",
        "document_number",
        "sex",
        "nation",
        "birth_date",
        "address",
        "phone",
    ):
        assert getattr(p, field), f"verify response lacks person.{field}"
    assert response.verification_id, "no verification id: the use cannot be referred to"


# Real names and addresses outside GB 2312 (喆, 堃, 犇 are in many given names; 𠮷 is outside the
# BMP): a node storing holder data in the card's AN encoding (GB 2312) hands back '?'.
RARE_NAMES = [("张喆堃", "济宁市任城区堃园路8号"), ("𠮷野犇", "济宁市兖州区喆园街𠮷号")]


@pytest.mark.requirement("NODE-VERIFY-001", "NODE-REG-001")
@pytest.mark.parametrize(("name", "address"), RARE_NAMES)
def test_names_outside_gb2312_come_back_exactly(dut, name, address):
    """The person verification answers is the one registered, character for character — compared
    with what the kit SENT, not with the node's own Register answer."""
    r = register(dut, name=name, address=address)
    assert (r.person.name, r.person.address) == (name, address), (
        f"Register answered {r.person.name!r} / {r.person.address!r} for {name!r} / {address!r}"
    )
    response, error = verify(dut, r.qr_text)
    assert error is None, error
    assert (response.person.name, response.person.address) == (name, address), (
        f"VerifyQr answered {response.person.name!r} / {response.person.address!r} for {name!r} / {address!r}"
    )


@pytest.mark.requirement("QR-TEXT-002", "NODE-VERIFY-001")
def test_dynamic_code_returns_the_person(dut):
    r = register(dut)
    code, error = qr(dut, r.card.ehcid, dynamic=True)
    assert error is None
    response, error = verify(dut, code.qr_text)
    assert error is None and response.person.main_index == r.person.main_index
    assert response.code_type == 0 and response.valid_until == code.valid_until


@pytest.mark.requirement("NODE-VERIFY-002", "TERM-002")
@pytest.mark.parametrize("field", ["use_city", "channel", "medical_step"])
def test_context_fields_are_required(dut, field):
    r = register(dut)
    context = dut.context()
    setattr(context, field, "")
    _, error = verify(dut, r.qr_text, context)
    assert_client_error(error, f"verify without context.{field}")


@pytest.mark.requirement("ID-007", "ID-008", "ID-010")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("medical_step", "019999"),
        ("medical_step", "01010"),
        ("use_city", "37080"),
        ("use_city", "ABCDEF"),
        ("channel", "0600"),
        ("channel", "1"),
    ],
)
def test_context_codes_are_checked(dut, field, value):
    r = register(dut)
    context = dut.context()
    setattr(context, field, value)
    _, error = verify(dut, r.qr_text, context)
    assert_client_error(error, f"context.{field}={value}")


@pytest.mark.requirement("NODE-VERIFY-003", "NODE-EMPI-007")
@given(ehcid=st.binary(min_size=32, max_size=32).map(lambda b: b.hex().upper()))
def test_unknown_card_is_not_found(dut, ehcid):
    _, error = verify(dut, f"{ehcid}:1")
    error = assert_client_error(error, "unknown EHCID")
    assert error["grpc"] == "NOT_FOUND", f"unknown card answered {error['grpc']}"


@pytest.mark.parametrize(
    "vector",
    [
        pytest.param(
            v,
            id=f"tc{v['tcId']}-{v['layer']}",
            marks=pytest.mark.requirement(v["requirement"], "NODE-VERIFY-005", "QR-TEXT-010"),
        )
        for v in _vectors()
    ],
)
def test_negative_vectors_are_format_errors(dut, transcript, vector):
    transcript.note(f"tcId {vector['tcId']}: {vector['comment']}")
    _, error = verify(dut, vector["text"])
    error = assert_client_error(error, f"tcId {vector['tcId']} ({vector['comment']})")
    assert error["grpc"] == "INVALID_ARGUMENT", (
        f"tcId {vector['tcId']}: {error['grpc']}, expected a format error"
    )


@pytest.mark.requirement("QR-TEXT-010", "SEC-011")
@given(text=st.text(max_size=200) | st.just("Z" * 5000))
def test_arbitrary_text_never_breaks_the_node(dut, text):
    response, error = verify(dut, text)
    if error is not None:
        assert_client_error(error, "arbitrary text")


@pytest.mark.requirement("QR-TEXT-013", "SEC-002")
def test_errors_do_not_echo_identifiers(dut):
    r = register(dut)
    _, error = verify(dut, r.card.ehcid.lower() + ":1")
    error = assert_client_error(error, "lower-case code")
    assert (
        r.card.ehcid[:32] not in error["message"].upper()
        and r.card.ehcid[32:] not in error["message"].upper()
    )
    bad_number = r.person.document_number[:-1] + ("0" if r.person.document_number[-1] != "0" else "1")
    from .helpers import person_request

    _, error = dut.call("issuance", "Register", person_request(dut, id_number=bad_number))
    assert_client_error(error, "bad ID number")
    assert bad_number not in error["message"], "error message contains the full ID number"


@pytest.mark.requirement("QR-DYN-003")
@given(v=st.binary(min_size=16, max_size=16).map(lambda b: b.hex().upper()))
def test_undecodable_validity_is_refused(dut, v):
    r = register(dut)
    _, error = verify(dut, f"{r.card.ehcid}:0:{v}")
    assert_client_error(error, "dynamic code with a random validity field")


@pytest.mark.requirement("QR-DYN-008")
def test_validity_sealed_with_another_key_is_refused(dut):
    import datetime as dt

    r = register(dut)
    foreign_key = bytes(range(16))  # TEST-ONLY: not the node's protect key
    until = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None) + dt.timedelta(
        seconds=60
    )
    _, error = verify(dut, f"{r.card.ehcid}:0:{oracle.seal_validity(foreign_key, until)}")
    assert_client_error(error, "validity sealed with a foreign key")


@pytest.mark.requirement("QR-DYN-002")
def test_expired_dynamic_code_is_refused(dut, expiring_code):
    """The code was minted when the run started (conftest ``expiring_code``): it verified then."""
    from .conftest import EXPIRY_LIFETIME_S

    if "minted_at" not in expiring_code:  # not minted at the start (selection): mint it now
        expiring_code.clear()
        r = register(dut)
        code, error = qr(dut, r.card.ehcid, dynamic=True, lifetime_seconds=EXPIRY_LIFETIME_S)
        expiring_code.update(minted_at=time.monotonic(), error=error, text=code and code.qr_text)
        expiring_code["fresh_error"] = verify(dut, code.qr_text)[1] if error is None else None
    assert expiring_code["error"] is None, expiring_code["error"]
    assert expiring_code["fresh_error"] is None, f"fresh code refused: {expiring_code['fresh_error']}"
    # past validity + the node's declared clock tolerance + margin, counted from the minting
    left = expiring_code["minted_at"] + EXPIRY_LIFETIME_S + dut.clock_skew_s + 1.5 - time.monotonic()
    time.sleep(max(0.0, left))
    _, error = verify(dut, expiring_code["text"])
    error = assert_client_error(error, "expired dynamic code")
    assert "EXPIRED" in error["code"].upper()
    # the card's state and the clock decide, not the text: the patient refreshes the code on the
    # phone — INVALID_ARGUMENT would tell the terminal the code is malformed (docs/node.md "Errors")
    assert error.get("grpc") == "FAILED_PRECONDITION", (
        f"expired dynamic code refused as {error.get('grpc')}, expected FAILED_PRECONDITION"
    )


@pytest.mark.requirement("QR-DYN-005")
def test_count_limited_code_reports_surplus_and_stops(dut, profile):
    limit = int(profile.param("dynamic_code.max_uses"))
    r = register(dut)
    code, error = qr(dut, r.card.ehcid, dynamic=True, max_verifications=limit)
    assert error is None and code.surplus_num == limit
    seen = []
    for _ in range(limit):
        response, error = verify(dut, code.qr_text)
        assert error is None, error
        seen.append(response.surplus_num)
    assert seen == list(range(limit - 1, -1, -1)), f"surplusNum sequence {seen}"
    assert_client_error(verify(dut, code.qr_text)[1], "verification beyond the count limit")


@pytest.mark.requirement("QR-DYN-006")
def test_last_use_is_granted_to_exactly_one_of_two_terminals(dut, profile):
    limit = int(profile.param("dynamic_code.max_uses"))
    for _round in range(5):
        r = register(dut)
        code, error = qr(dut, r.card.ehcid, dynamic=True, max_verifications=limit)
        assert error is None
        for _ in range(limit - 1):
            assert verify(dut, code.qr_text)[1] is None
        barrier = threading.Barrier(2)
        results: list[dict | None] = [None, None]

        def attempt(i: int, text: str = code.qr_text, gate=barrier, out=results) -> None:
            gate.wait()
            out[i] = verify(dut, text)[1]

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        granted = [e for e in results if e is None]
        assert len(granted) == 1, f"last use granted {len(granted)} times: {results}"


@pytest.mark.requirement("NODE-OPS-002")
def test_concurrent_verifications_do_not_mix_persons(dut):
    cards = [register(dut) for _ in range(8)]
    mismatches: list[str] = []

    def worker(r) -> None:
        for _ in range(5):
            response, error = verify(dut, r.qr_text)
            if error is not None or response.person.main_index != r.person.main_index:
                mismatches.append(f"{error or response.person.main_index[:8]}")

    threads = [threading.Thread(target=worker, args=(r,)) for r in cards]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not mismatches, mismatches


@pytest.mark.requirement("NODE-OPS-001")
def test_health_check_answers_serving(dut):
    assert dut.health() == "SERVING"


@pytest.mark.requirement("NODE-VERIFY-009", "SEC-004", "SEC-006", "SEC-003")
def test_unsigned_calls_are_refused_alike_for_known_and_unknown_cards(dut):
    r = register(dut)
    known = dut.unsigned_call(
        verification_pb2_grpc.VerificationServiceStub,
        "VerifyQr",
        V.VerifyQrRequest(qr_text=r.qr_text, context=dut.context()),
    )
    unknown = dut.unsigned_call(
        verification_pb2_grpc.VerificationServiceStub,
        "VerifyQr",
        V.VerifyQrRequest(qr_text="0" * 64 + ":1", context=dut.context()),
    )
    assert known is not None and known["grpc"] in ("UNAUTHENTICATED", "PERMISSION_DENIED"), known
    assert known == unknown, "an unauthenticated caller can tell a registered card from an unknown one"


@pytest.mark.requirement("NODE-VERIFY-007")
def test_poverty_relief_flag_reaches_the_point_of_care(dut):
    r = register(dut, poverty_relief=True)
    response, error = verify(dut, r.qr_text)
    assert error is None and response.flags.poverty_relief
    other = register(dut, poverty_relief=False)
    assert not verify(dut, other.qr_text)[0].flags.poverty_relief


@pytest.mark.requirement("SEC-010")
def test_replayed_and_stale_signed_requests_are_refused(dut):
    r = register(dut)
    results = dut.replay_probe(
        verification_pb2_grpc.VerificationServiceStub,
        "VerifyQr",
        V.VerifyQrRequest(qr_text=r.qr_text, context=dut.context()),
    )
    assert results["first"] is None, f"correctly signed request refused: {results['first']}"
    assert results["replay"] is not None, "the same signed request was accepted twice"
    assert results["stale"] is not None, "a request signed an hour ago was accepted"


REPLAY_AFTER_CALLS = 300


@pytest.mark.requirement("SEC-010")
def test_a_replay_after_many_other_calls_is_still_refused(dut):
    """A captured call replayed later, within the replay window, after the terminal made a few
    hundred other calls: a node that remembers only its last N nonces (a ring buffer on the hot
    path) refuses a replay sent at once and takes this one."""
    import grpc

    from reference_node.auth import sign
    from reference_node.client import error_of, plain_channel

    r = register(dut)
    creds = dut.credentials("terminal")
    request = V.VerifyQrRequest(qr_text=r.qr_text, context=dut.context())
    method = "/ehc.node.v1.VerificationService/VerifyQr"
    headers = list(
        sign(creds.secret, method, request.SerializeToString(), terminal_id=creds.terminal_id).items()
    )
    channel = plain_channel(dut.target, dut.tls)
    rpc = verification_pb2_grpc.VerificationServiceStub(channel).VerifyQr

    def send() -> dict | None:
        try:
            rpc(request, metadata=headers, timeout=30)
            return None
        except grpc.RpcError as exc:
            return {"code": error_of(exc).code.name, "grpc": exc.code().name}

    try:
        first = send()
        assert first is None, f"correctly signed request refused: {first}"
        stub = dut.client("terminal").verification
        sent, waited = 0, 0.0
        while sent < REPLAY_AFTER_CALLS:  # other, freshly signed calls of the same terminal
            try:
                stub.VerifyQr(request, timeout=30)
                sent += 1
            except grpc.RpcError as exc:
                # a node's documented rate limit (ehc node serve: 100/s, bursts of 200) is flow
                # control, not a verdict: wait and go on, bounded well inside the replay window
                if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or waited >= 60:
                    raise
                time.sleep(0.25)
                waited += 0.25
        replay = send()
    finally:
        channel.close()
    dut.log.call(
        "VerifyQr (replay after other calls)", {"other_calls": REPLAY_AFTER_CALLS}, {"replay": replay}
    )
    assert replay is not None, (
        f"the same signed request was accepted again after {REPLAY_AFTER_CALLS} other calls"
    )
    assert replay["grpc"] in ("UNAUTHENTICATED", "PERMISSION_DENIED"), f"replay refused as {replay['grpc']}"
