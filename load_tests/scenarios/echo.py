"""echo: raw gRPC round trips against the echo server — the ceiling of this load generator.

One user class sending a 200-byte request (about a VerifyQr request's size) as fast as the think
time allows. Use it to see what the machine, gRPC and Locust can do with no server work at all.
"""

from __future__ import annotations

import os
from typing import Any

import grpc
from locust import task

from load_tests.actors import think
from load_tests.echo import FULL_METHOD
from load_tests.grpc_user import GrpcUser

PAYLOAD_BYTES = 200


class EchoCaller(GrpcUser):
    wait_time = think(0.5, 1.5)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self._echo: grpc.UnaryUnaryMultiCallable[bytes, bytes] = self.channel.unary_unary(FULL_METHOD)
        self._payload = os.urandom(PAYLOAD_BYTES)

    @task
    def echo(self) -> None:
        self.call(self._echo, self._payload, name="Echo")


USER_CLASSES = [EchoCaller]
