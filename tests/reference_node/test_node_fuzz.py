"""Arbitrary field values on every unary request type: always a coded refusal or an answer,
never INTERNAL / UNKNOWN (no stack trace reaches a client)."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_node.client import NodeClient, error_of
from reference_node.server import SERVICES
from reference_node.testing import start_node

_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "01",
            "08",
            "0100",
            "010101",
            "0101011",
            "370800",
            "A" * 64,
            "A" * 64 + ":1",
            "X" * 300,
            "\x00",
            "１２３",
        ]
    ),
)


def _message(draw: st.DrawFn, desc, depth: int = 0):  # noqa: ANN001, ANN202
    from google.protobuf.descriptor import FieldDescriptor as F
    from google.protobuf.message_factory import GetMessageClass

    msg = GetMessageClass(desc)()
    for f in desc.fields:
        if not draw(st.booleans()):
            continue
        repeated = f.label == F.LABEL_REPEATED if not hasattr(f, "is_repeated") else f.is_repeated
        if f.type == F.TYPE_MESSAGE:
            if depth < 2 and not repeated:
                getattr(msg, f.name).CopyFrom(_message(draw, f.message_type, depth + 1))
        elif f.type == F.TYPE_STRING:
            value = draw(_TEXT)
            getattr(msg, f.name).append(value) if repeated else setattr(msg, f.name, value)
        elif f.type == F.TYPE_BOOL:
            setattr(msg, f.name, draw(st.booleans()))
        elif f.type in (F.TYPE_INT32, F.TYPE_INT64):
            setattr(msg, f.name, draw(st.integers(-(2**31), 2**31 - 1)))
        elif f.type == F.TYPE_ENUM:
            setattr(msg, f.name, draw(st.sampled_from([v.number for v in f.enum_type.values] + [99])))
        elif f.type == F.TYPE_BYTES:
            setattr(msg, f.name, draw(st.binary(max_size=80)))
    return msg


UNARY = [
    (svc, name, req)
    for svc, methods in SERVICES.items()
    for name, (_, req, kind) in methods.items()
    if kind == "unary"
]


@pytest.fixture(scope="module")
def fuzz_node(tmp_path_factory):
    node = start_node(tmp_path_factory.mktemp("fuzz"))
    yield node
    node.stop()


@settings(max_examples=150, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_requests_never_fail_internally(fuzz_node, data):
    svc, name, req_type = data.draw(st.sampled_from(UNARY))
    role = data.draw(st.sampled_from(["terminal", "admin"]))
    request = data.draw(st.composite(lambda draw: _message(draw, req_type.DESCRIPTOR))())
    with NodeClient(
        fuzz_node.target, fuzz_node.credentials if role == "terminal" else fuzz_node.admin_credentials
    ) as c:
        call = c.channel.unary_unary(
            f"/ehc.node.v1.{svc}/{name}",
            request_serializer=type(request).SerializeToString,
            response_deserializer=None,
        )
        try:
            call(request, timeout=30)
        except grpc.RpcError as exc:
            assert exc.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (
                svc,
                name,
                exc.details(),
            )
            assert error_of(exc).code.number > 0
