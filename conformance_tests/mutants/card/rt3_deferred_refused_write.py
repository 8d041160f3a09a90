"""A card OS that answers a write's access check late: UPDATE RECORD / UPDATE BINARY without the
update key answers 6982, but the data was already queued in the write-back journal, which is
committed at the next power-up. Read back in the same session the file is unchanged; after the
next reset the "refused" write is there."""

from __future__ import annotations

from typing import Any

from card_emulators.engine import commands
from card_emulators.engine.apdu import SW, StatusError

from ._base import CardMutant, all_dfs


class DeferredRefusedWrite(CardMutant):
    mutant_name = "rt3-deferred-refused-write"
    description = "a write refused with 6982 is journaled anyway and lands at the next power-up"
    defect_class = "access control, writes"
    catches = ("CARD-APDU-011",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.journal: list[tuple[str, int, bytes]] = []
        card = self.card
        power_up = card.powerUp

        def power_up_and_commit() -> None:
            power_up()
            if self.journal:
                pending, self.journal = self.journal, []
                card.write(pending)

        card.powerUp = power_up_and_commit  # type: ignore[method-assign]
        self.replace_handler(0xDC, self._journaled(commands.update_record))
        self.replace_handler(0xD6, self._journaled(commands.update_binary))

    def _journaled(self, original: Any) -> Any:
        def handler(card: Any, cmd: Any) -> Any:
            try:
                return original(card, cmd)
            except StatusError as refused:
                if refused.sw != SW.SECURITY_STATUS or cmd.cla != 0x00:
                    raise
                saved, real_write = set(card.security), card.write
                queued: list[tuple[str, int, bytes]] = []
                try:
                    for df in all_dfs(card.mf):
                        for key in df.keys.values():
                            card.security.add((df.path, "auth", key.ref))
                    card.write = queued.extend
                    original(card, cmd)
                    self.journal.extend(queued)
                except StatusError:
                    pass
                finally:
                    card.security = saved
                    card.write = real_write
                raise

        return handler


MUTANT = DeferredRefusedWrite
