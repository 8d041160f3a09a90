"""Assertions on refused calls: the gRPC status and the kit's stable error code."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from ehc.spec.identifiers import make_citizen_id
from reference_node.client import error_of
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip


def refused(call: Callable[[], Any], status: grpc.StatusCode, code: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    err = info.value
    assert err.code() == status, (err.code(), err.details())
    assert error_of(err).code.name == code, error_of(err).to_dict()
    trailers = dict(err.trailing_metadata())
    assert trailers["ehc-error-code"] == code
    assert trailers["ehc-error-number"] == str(error_of(err).code.number)
    return err


_SEQ = itertools.count(random.randrange(1000))


def citizen_id(area: str = "370802", birth: dt.date | None = None) -> str:
    n = next(_SEQ)
    birth = birth or dt.date(1950, 1, 1) + dt.timedelta(days=(n * 37) % 20000)
    return make_citizen_id(area, birth, n % 1000)


def register_request(number: str | None = None, **over: object) -> ip.RegisterRequest:
    number = number or citizen_id()
    values: dict[str, object] = {
        "application_mode": "3",
        "name": "测试居民",
        "document_type": "01",
        "document_number": number,
        "sex": "1" if int(number[16]) % 2 else "2",
        "nation": "01",
        "area_code": number[:6],
        "phone": "13800000000",
        "address": "济宁市任城区测试路1号",
    }
    values.update(over)
    return ip.RegisterRequest(**values)


def birth_certificate() -> str:
    # not the random module: Hypothesis reseeds it per example, which would repeat numbers
    return "Q" + f"{uuid.uuid4().int % 10**9:09d}"


def issued_ehcid(client: Any) -> str:
    """An EHCID the node issued: a usage report must name one (REL-F21, NODE_USAGE_CARD_UNKNOWN)."""
    return client.issuance.Register(register_request()).card.ehcid
