"""A terminal with an "offline mode": when the node cannot be reached (UNAVAILABLE, a timeout) it
shows the person it showed before for the same code or card, from its local cache. A refusal the
node actually answers (suspended, expired) is shown correctly; a card suspended while the network
is down — or a node taken off the network on purpose — is accepted."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Refused, Terminal, serve

from ._base import TerminalMutant

OFFLINE = "OFFLINE"


class Driver(Terminal):
    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[tuple[str, str], dict] = {}

    def call(self, stub: Any, method: str, request: Any) -> Any:
        import grpc

        from reference_node.client import error_of

        try:
            return getattr(stub, method)(request, timeout=30)
        except grpc.RpcError as exc:
            if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise Refused(OFFLINE, "node unreachable: offline mode") from None
            err = error_of(exc)
            raise Refused(err.code.name, err.message) from None

    def _accepted(self, key: tuple[str, str], response: Any) -> dict:
        answer = super()._accepted(key, response)
        self.cache[key] = answer["result"]["person"]
        return answer

    def on_refusal(self, key: tuple[str, str], refused: Refused) -> dict | None:
        return self.cache.get(key) if refused.error["code"] == OFFLINE else None


MUTANT = TerminalMutant(
    "rt3-offline-on-unavailable",
    "node unreachable: shows the cached person of an earlier presentation (offline mode)",
    "local identity when the node is unreachable",
    ("TERM-006",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
