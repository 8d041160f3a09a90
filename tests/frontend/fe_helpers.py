"""Shared pieces of the front-end tests: a card on the node, usage records, refused-call checks."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from ehc.spec.identifiers import make_citizen_id
from reference_node.client import NodeClient, error_of
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import usage_pb2 as up

_SEQ = itertools.count(random.randrange(5000))


def register_request(**over: str) -> ip.RegisterRequest:
    n = next(_SEQ)
    number = make_citizen_id("370802", dt.date(1950, 1, 1) + dt.timedelta(days=(n * 37) % 20000), n % 1000)
    values: dict[str, str] = {
        "application_mode": "3", "name": "测试居民", "document_type": "01", "document_number": number,
        "sex": "1" if int(number[16]) % 2 else "2", "nation": "01", "area_code": number[:6],
        "phone": "13800000000", "address": "济宁市任城区测试路1号",
    }  # fmt: skip
    values.update(over)
    return ip.RegisterRequest(**values)


def new_card(nc: NodeClient) -> tuple[str, str]:
    """Register a person with ``nc``: (EHCID, static code text)."""
    reg = nc.issuance.Register(register_request())
    static = nc.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=reg.card.ehcid, code_type=1)).qr_text
    return reg.card.ehcid, static


def usage(request_id: str, org_code: str, ehcid: str, **over: str) -> up.UsageRecord:
    values = {
        "request_id": request_id, "time": "20261126110000", "org_code": org_code, "use_city": "370800",
        "scene": "0101011", "card_type": "11", "channel": "0100", "ehcid": ehcid,
    }  # fmt: skip
    values.update(over)
    return up.UsageRecord(**values)


def refused(call: Callable[[], Any], status: grpc.StatusCode, code: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    err = info.value
    assert err.code() == status, (err.code(), err.details())
    assert error_of(err).code.name == code, error_of(err).to_dict()
    return err


def node_usage(nc: NodeClient, ehcid: str) -> list[str]:
    """Request ids of the card's usage records at the node (every row: duplicates would show)."""
    return [r.request_id for r in nc.usage.QueryUsage(up.QueryUsageRequest(ehcid=ehcid, limit=1000)).records]
