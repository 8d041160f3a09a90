"""GET RESPONSE returns everything pending with 9000 whatever Le asked for: a T=0 reader that asked
for fewer bytes gets more than it can take, and the 61xx chaining is never used."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant


def _get_response(card: Any, cmd: Any) -> Any:
    from card_emulators.engine.apdu import SW, Reply, StatusError

    if cmd.p1p2 != 0:
        raise StatusError(SW.WRONG_P1P2)
    if not card.pending:
        raise StatusError(SW.CONDITIONS)
    out, card.pending = card.pending, b""
    return Reply(out, SW.OK)


class GetResponseIgnoresLe(CardMutant):
    mutant_name = "get-response-ignores-le"
    description = "GET RESPONSE ignores Le and returns all pending data with 9000"
    defect_class = "Le handling"
    catches = ("CARD-APDU-010",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0xC0, _get_response)


MUTANT = GetResponseIgnoresLe
