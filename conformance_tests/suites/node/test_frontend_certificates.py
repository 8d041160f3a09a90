"""检测备案 behind a hospital front-end server (NODE-CERT-004, H7).

A hospital's terminals may reach the node through a front-end (前置服务器, docs/frontend.md) that
signs every call with ONE credential of the hospital. Unless the node judges the terminal behind
it, an uncertified terminal is served under the front-end's certificate. The suite registers a
front-end (terminal type 98) and certifies it, then relays as a front-end does: naming the real
terminal in ``x-ehc-on-behalf-of`` (signed). A certified terminal is served; an uncertified one,
one the node never registered, and a front-end naming nobody are refused. A vendor's node that
takes the front-end's certificate for the hospital (serves what a front-end relays whatever the
terminal) passes NODE-CERT-001 and fails here.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from reference_node.auth import sign
from reference_node.proto.ehc.node.v1 import verification_pb2 as V

from .helpers import new_digits, operator_terminal, register
from .test_certificates import REFUSED_AS, _add, _report, _trusted_lab
from .test_profile_rules import _certificate_rule

FRONTEND_TYPE = "98"  # ehc.spec.codes.TERMINAL_TYPES 前置服务器 (kit code)
VERIFY_QR = "/ehc.node.v1.VerificationService/VerifyQr"


def _registered(dut: Any, kind: str, terminal_type: str, role: str = "") -> str:
    """A fresh terminal of the suite's organisation (the registry even calls it CERTIFIED: only a
    report counts); with ``role`` it gets a credential the suite signs with as that role."""
    org = dut.context().org_code
    terminal_id = f"{org}{kind}{new_digits(4)}"
    description = "TEST-ONLY conformance: terminals behind a front-end"
    operator_terminal(dut, terminal_id, org, terminal_type, description, role)
    return terminal_id


def _relayed(dut: Any, behalf: str, qr_text: str) -> dict | None:
    """VerifyQr as the front-end relays it (its own signature over the call and ``behalf``);
    the refusal as ``dut.call`` reports one, None when served."""
    from reference_node.client import error_of, plain_channel

    fe = dut.credentials("fe-relay")
    request = V.VerifyQrRequest(qr_text=qr_text, context=dut.context("fe-relay"))
    headers = sign(fe.secret, VERIFY_QR, request.SerializeToString(), terminal_id=fe.terminal_id,
                   on_behalf_of=behalf)  # fmt: skip
    channel = plain_channel(dut.target, getattr(dut, "tls", None))
    error = None
    try:
        rpc: Any = channel.unary_unary(
            VERIFY_QR, request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=V.VerifyResponse.FromString,
        )  # fmt: skip
        rpc(request, metadata=tuple(headers.items()), timeout=30)
    except grpc.RpcError as exc:
        err = error_of(exc)
        error = {"code": err.code.name, "number": err.code.number, "message": err.message,
                 "grpc": exc.code().name}  # fmt: skip
    finally:
        channel.close()
    dut.log.call(
        f"VerificationService.VerifyQr (front-end, on behalf of {behalf or 'nobody'})", {}, None, error
    )
    return error


@pytest.mark.requirement("NODE-CERT-004")
def test_a_front_end_lends_no_certificate_to_the_terminals_behind_it(dut, profile):
    holder = register(dut)
    key = _trusted_lab(dut)
    with _certificate_rule(dut):
        frontend = _registered(dut, "98", FRONTEND_TYPE, role="fe-relay")
        good = _registered(dut, "01", "01")
        uncertified = _registered(dut, "01", "01")
        _, error = _add(dut, _report(key, profile.name), frontend, good)  # the front-end is certified too
        assert error is None, f"AddCertificate of a good report refused: {error}"
        assert _relayed(dut, good, holder.qr_text) is None, (
            "a certified terminal behind a certified front-end is refused"
        )
        cases = {
            "an uncertified terminal behind a certified front-end": uncertified,
            "a terminal the node never registered, behind a certified front-end": f"{good[:-4]}{new_digits(4)}X",
            "a front-end that names no terminal (everything under its own certificate)": "",
        }
        for what, behalf in cases.items():
            error = _relayed(dut, behalf, holder.qr_text)
            assert error is not None, f"{what}: VerifyQr is served"
            assert error.get("grpc") in REFUSED_AS, (
                f"{what}: refused as {error.get('grpc')} ({error.get('code')})"
            )
