"""A vendor whose terminal keeps working "offline": every patient it identified is remembered by
code or card number, and when the node answers PERMISSION_DENIED (read by the vendor as "the node
will not talk to us", e.g. NODE_TERMINAL_NOT_CERTIFIED in Jining before its 检测备案 is
registered) it switches to offline mode and accepts the patient from that cache. Other refusals
(suspended, cancelled, expired) are shown as the node said, so the TERM-006 checks pass."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Refused, Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def __init__(self) -> None:
        super().__init__()
        self.cache: dict[tuple[str, str], dict] = {}
        self.denied = False  # the node's last refusal was PERMISSION_DENIED

    def call(self, stub: Any, method: str, request: Any) -> Any:
        import grpc

        from reference_node.client import error_of

        self.denied = False
        try:
            return getattr(stub, method)(request, timeout=30)
        except grpc.RpcError as exc:
            self.denied = exc.code() == grpc.StatusCode.PERMISSION_DENIED
            err = error_of(exc)
            raise Refused(err.code.name, err.message) from None

    def _accepted(self, key: tuple[str, str], response: Any) -> dict:
        answer = super()._accepted(key, response)
        self.cache[key] = answer["result"]["person"]
        return answer

    def on_refusal(self, key: tuple[str, str], refused: Refused) -> dict | None:
        return self.cache.get(key) if self.denied else None


MUTANT = TerminalMutant(
    "cert-offline-cache",
    "falls back to offline mode on PERMISSION_DENIED (not certified) and accepts a cached patient",
    "uncertified terminal identifies patients from its local cache",
    ("TERM-019",),
    __name__,
    profile="shandong-jining",
)

if __name__ == "__main__":
    serve(Driver())
