"""Helpers of the node suite: synthetic persons and short-hand calls over the adapter."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from ehc.spec.identifiers import make_citizen_id
from reference_node.proto.ehc.node.v1 import common_pb2 as C
from reference_node.proto.ehc.node.v1 import issuance_pb2 as I
from reference_node.proto.ehc.node.v1 import verification_pb2 as V

_SEQ = itertools.count(1)
CST = dt.timezone(dt.timedelta(hours=8))
CLIENT_ERRORS = {
    "INVALID_ARGUMENT",
    "NOT_FOUND",
    "FAILED_PRECONDITION",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
    "RESOURCE_EXHAUSTED",
    "OUT_OF_RANGE",
}


def new_id_number(area: str = "370811") -> str:
    """A fresh valid citizen ID number (synthetic, unique within the run)."""
    n = next(_SEQ)
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=(n * 37) % 25000)
    return make_citizen_id(area, birth, n % 999 + 1)


def person_request(dut: Any, id_number: str | None = None, **over: Any) -> I.RegisterRequest:
    number = id_number or new_id_number()
    fields = dict(
        application_mode="3",
        name="测试居民",
        document_type="01",
        document_number=number,
        sex="1",
        nation="01",
        birth_date=f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
        phone="13800001111",
        address="山东省济宁市测试路1号",
        area_code=number[:6],
        context=dut.context(),
    )
    fields.update(over)
    return I.RegisterRequest(**fields)


def register(dut: Any, **over: Any) -> Any:
    response, error = dut.call("issuance", "Register", person_request(dut, **over))
    assert error is None, f"Register refused: {error}"
    return response


def qr(dut: Any, ehcid: str, dynamic: bool, **over: Any) -> tuple[Any, dict | None]:
    code_type = C.CODE_TYPE_DYNAMIC if dynamic else C.CODE_TYPE_STATIC
    return dut.call(
        "issuance",
        "GetQrCode",
        I.GetQrCodeRequest(ehcid=ehcid, code_type=code_type, context=dut.context(), **over),
    )


def verify(dut: Any, text: str, context: Any = None) -> tuple[Any, dict | None]:
    return dut.call(
        "verification", "VerifyQr", V.VerifyQrRequest(qr_text=text, context=context or dut.context())
    )


def card_action(dut: Any, action: str, ehcid: str) -> tuple[Any, dict | None]:
    return dut.call(
        "issuance",
        action,
        I.CardActionRequest(ehcid=ehcid, reason="conformance test", context=dut.context("admin")),
        "admin",
    )


def assert_client_error(error: dict | None, what: str) -> None:
    """Refused, with a stable code and a client-side gRPC status (never INTERNAL/UNKNOWN)."""
    assert error is not None, f"{what}: accepted"
    assert error.get("grpc") in CLIENT_ERRORS, f"{what}: refused as {error.get('grpc')} ({error.get('code')})"
    assert error.get("code"), f"{what}: no error code"
