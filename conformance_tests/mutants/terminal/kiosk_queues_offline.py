"""A kiosk vendor that queues applications for a nightly upload and answers at once: the screen
shows "issued" with a code it made itself (SM3 of the ID number, shaped like an EHCID), while the
node holds no registration."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Terminal, serve
from ehc.gm import sm3

from ._base import TerminalMutant


class Driver(Terminal):
    def __init__(self) -> None:
        super().__init__()
        self.queue: list[dict[str, str]] = []  # "uploaded tonight"

    def register_applicant(self, chip: dict[str, str], form: dict[str, str]) -> Any:
        self.queue.append({**chip, **form})
        return None

    def issued_of(self, response: Any) -> dict[str, Any]:
        local = sm3(self.queue[-1]["id_number"].encode()).hex().upper()
        return {"ehcid": local, "qr_text": f"{local}:1", "queued": True}


MUTANT = TerminalMutant(
    "kiosk-queues-offline",
    "kiosk application queued for a nightly upload; success and a locally made code shown at once",
    "kiosk application shown as issued without a registration at the node",
    ("NODE-REG-007",),
    __name__,
    profile="zibo",
)

if __name__ == "__main__":
    serve(Driver())
