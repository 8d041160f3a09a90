"""``GrpcUser``: a Locust user with its own intercepted gRPC channel (see ``load_tests.interceptor``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc
from locust import User

from load_tests.interceptor import (
    TRANSPORT_FAILURES,
    CallResult,
    Expect,
    LocustInterceptor,
    UnexpectedOutcome,
)

__all__ = ["GrpcUser", "Expect", "CallResult", "LocustInterceptor", "UnexpectedOutcome", "TRANSPORT_FAILURES"]

DEFAULT_TIMEOUT_S = 10.0  # every call is bounded; a hung node shows up as DEADLINE_EXCEEDED errors


class GrpcUser(User):
    """A Locust user with its own intercepted channel to ``self.host`` (``HOST:PORT``)."""

    abstract = True
    call_timeout_s: float = DEFAULT_TIMEOUT_S

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.interceptor = LocustInterceptor(environment)
        if not self.host:
            raise ValueError("a gRPC load user needs a host (HOST:PORT)")
        raw = grpc.insecure_channel(self.host)
        self.channel = grpc.intercept_channel(raw, self.interceptor, *self.extra_interceptors())
        self._raw_channel = raw

    def extra_interceptors(self) -> Sequence[Any]:
        """Interceptors inside the timing one (e.g. call signing: its cost is a real client's cost)."""
        return ()

    def call(
        self,
        method: Callable[..., Any],
        request: Any,
        *,
        name: str | None = None,
        expect: Expect | None = None,
    ) -> CallResult:
        """Run one unary call; never raises for gRPC errors (they are recorded as outcomes)."""
        self.interceptor.pending = (name, expect or Expect.answer())
        try:
            method(request, timeout=self.call_timeout_s)
        except grpc.RpcError:
            pass
        result = self.interceptor.last or CallResult(outcome="error")
        self.interceptor.last = None
        return result

    def on_stop(self) -> None:
        self._raw_channel.close()
