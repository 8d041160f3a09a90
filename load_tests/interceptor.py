"""The gRPC client interceptor that reports every call to Locust's ``events.request``.

Locust has no gRPC user. Each simulated user owns one channel (a real terminal has its own
connection) wrapped by :class:`LocustInterceptor`, which times every unary call and reports it
with the method name, milliseconds, response size and an outcome (see ``load_tests.recorder``).
The runner calls ``grpc.experimental.gevent.init_gevent()`` before any channel exists, so gRPC's
own threads cooperate with Locust's greenlets. This module does not import Locust: anything with
an ``events.request.fire(**kw)`` can receive the reports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import grpc

from reference_node.client import trailers_of

__all__ = [
    "Expect",
    "LocustInterceptor",
    "CallResult",
    "TRANSPORT_FAILURES",
    "UnexpectedOutcome",
    "classify",
    "error_code_of",
]

# Status codes that mean "the call did not get a considered answer": always errors, even when the
# actor expected a refusal (a node that times out on an expired code did not refuse it).
TRANSPORT_FAILURES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.DATA_LOSS,
        grpc.StatusCode.UNAUTHENTICATED,
    }
)


@dataclass(frozen=True, slots=True)
class Expect:
    """What the actor expects of the next call: an answer, or a refusal (optionally by which codes)."""

    refusal: bool = False
    codes: frozenset[str] = frozenset()  # accepted ehc error code names; empty = any node refusal
    label: str = ""  # what was presented (e.g. "expired"), named in the error when it is accepted

    @classmethod
    def answer(cls) -> Expect:
        return cls()

    @classmethod
    def refused(cls, *codes: str, label: str = "") -> Expect:
        return cls(True, frozenset(codes), label)


@dataclass(slots=True)
class CallResult:
    response: Any = None
    error: grpc.RpcError | None = None
    outcome: str = "ok"
    error_code: str = ""  # the node's stable error code name on a refusal


class UnexpectedOutcome(Exception):
    """Reported to Locust as the failure of one request."""


def error_code_of(err: grpc.RpcError) -> str:
    """The kit's stable error code from trailing metadata (``ehc-error-code``), or ''."""
    try:
        for key, value in trailers_of(err):
            if key == "ehc-error-code":
                return value if isinstance(value, str) else value.decode()
    except Exception:  # a channel-level failure has no trailers
        return ""
    return ""


def classify(expect: Expect, response: Any, err: grpc.RpcError | None) -> tuple[str, str, Exception | None]:
    """(outcome, node error code, exception for Locust) of one finished call."""
    if err is None:
        if expect.refusal:
            what = f" ({expect.label})" if expect.label else ""
            return "error", "", UnexpectedOutcome(f"invalid input accepted{what}")
        return "ok", "", None
    status = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    code = error_code_of(err)
    if status in TRANSPORT_FAILURES or not expect.refusal:
        return "error", code, UnexpectedOutcome(f"{status.name} {code}".strip())
    if expect.codes and code not in expect.codes:
        return (
            "error",
            code,
            UnexpectedOutcome(f"refused with {code or status.name}, expected {sorted(expect.codes)}"),
        )
    return "refused", code, None


def _message_size(msg: Any) -> int:
    if isinstance(msg, bytes | bytearray):
        return len(msg)
    size = getattr(msg, "ByteSize", None)
    return int(size()) if callable(size) else 0


class LocustInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Times each unary call and fires ``environment.events.request``.

    The owning user sets ``pending`` (name override + expectation) right before each call; users
    are greenlets with one interceptor each, so there is no sharing.
    """

    def __init__(self, environment: Any) -> None:
        self.environment = environment
        self.pending: tuple[str | None, Expect] = (None, Expect.answer())
        self.last: CallResult | None = None
        self.mirror = False  # echo baseline: an answer counts as the outcome the actor expected

    def intercept_unary_unary(self, continuation, client_call_details, request):
        name, expect = self.pending
        self.pending = (None, Expect.answer())
        method = client_call_details.method
        if isinstance(method, bytes):
            method = method.decode()
        name = name or method.rsplit("/", 1)[-1]
        started = time.time()
        t0 = time.perf_counter()
        call = continuation(client_call_details, request)
        response, err = None, None
        try:
            response = call.result()
        except grpc.RpcError as exc:
            err = exc
        elapsed_ms = (time.perf_counter() - t0) * 1000.0
        if self.mirror and err is None:
            outcome, code, failure = ("refused" if expect.refusal else "ok"), "", None
        else:
            outcome, code, failure = classify(expect, response, err)
        self.last = CallResult(response, err, outcome, code)
        self.environment.events.request.fire(
            request_type="grpc",
            name=name,
            response_time=elapsed_ms,
            response_length=_message_size(response),
            response=response,
            context={"outcome": outcome, "error_code": code},
            exception=failure,
            start_time=started,
        )
        return call
