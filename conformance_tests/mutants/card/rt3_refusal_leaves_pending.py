"""A card OS that reads the record into its I/O buffer before it checks the access condition: a
protected READ RECORD / READ BINARY answers 6982 as it should, but the data stays in the buffer,
and a GET RESPONSE right after the refusal hands it out."""

from __future__ import annotations

from typing import Any

from card_emulators.engine import commands
from card_emulators.engine.apdu import SW, StatusError

from ._base import CardMutant, all_dfs


def _grant_everything(card: Any) -> None:
    for df in all_dfs(card.mf):
        for key in df.keys.values():
            card.security.add((df.path, "auth", key.ref))


def _buffer_first(original: Any) -> Any:
    def handler(card: Any, cmd: Any) -> Any:
        try:
            return original(card, cmd)
        except StatusError as refused:
            if refused.sw != SW.SECURITY_STATUS:
                raise
            saved = set(card.security)
            try:
                _grant_everything(card)
                card.pending = original(card, cmd)  # what the buffer already held
            except StatusError:
                pass
            finally:
                card.security = saved
            raise

    return handler


class RefusalLeavesPending(CardMutant):
    mutant_name = "rt3-refusal-leaves-pending"
    description = "a refused protected read (6982) leaves the record in the buffer for GET RESPONSE"
    defect_class = "access control, response buffer"
    catches = ("CARD-FILE-005", "CARD-FILE-010")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0xB2, _buffer_first(commands.read_record))
        self.replace_handler(0xB0, _buffer_first(commands.read_binary))


MUTANT = RefusalLeavesPending
