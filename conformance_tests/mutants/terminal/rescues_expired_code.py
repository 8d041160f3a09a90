"""A vendor whose patients complained about expired codes: when the node refuses a dynamic code,
the terminal retries its EHCID as a static code — the refusal is "rescued"."""

from __future__ import annotations

from typing import Any

from conformance_tests.drivers.reference_terminal import Refused, Terminal, serve

from ._base import TerminalMutant


class Driver(Terminal):
    def verify_qr(self, text: str, scene: str | None) -> Any:
        from qr_codec.text import DYNAMIC, make_static, parse

        try:
            return super().verify_qr(text, scene)
        except Refused:
            try:
                code = parse(text)
            except Exception:  # noqa: BLE001 - not a national code: nothing to rescue
                raise
            if code.kind != DYNAMIC:
                raise
            return super().verify_qr(make_static(code.ehcid), scene)


MUTANT = TerminalMutant(
    "rescues-expired-code",
    "retries the EHCID of a refused dynamic code as a static code",
    "refused dynamic code rescued",
    ("TERM-016",),
    __name__,
)

if __name__ == "__main__":
    serve(Driver())
