"""Write access checks "is the terminal authenticated?" instead of "with the file's update key?":
after the read-key authentication every terminal may rewrite the holder data."""

from __future__ import annotations

from typing import Any

from ._base import CardMutant


def _lenient(handler_name: str):
    def handler(card: Any, cmd: Any) -> bytes:
        from card_emulators.engine import commands

        authenticated = any(kind == "auth" for _, kind, _ in card.security)
        granted: set = set()
        if authenticated:  # grant every external-authentication key of the current DF and its parents
            for df in card.current_df.ancestors_and_self():
                granted |= {(df.path, "auth", ref) for ref, key in df.keys.items() if key.usage == "ext"}
            granted -= card.security
            card.security |= granted
        try:
            return getattr(commands, handler_name)(card, cmd)
        finally:
            card.security -= granted

    return handler


class UpdateWithReadKey(CardMutant):
    mutant_name = "update-with-read-key"
    description = "UPDATE RECORD/BINARY accepted after any external authentication (read key opens writes)"
    defect_class = "access control: write"
    catches = ("CARD-APDU-011",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0xDC, _lenient("update_record"))
        self.replace_handler(0xD6, _lenient("update_binary"))


MUTANT = UpdateWithReadKey
