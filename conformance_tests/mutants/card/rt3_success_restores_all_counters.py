"""A card OS that keeps one "tries left" policy per application: any successful EXTERNAL
AUTHENTICATE restores the retry counters of every key. Wrong cryptograms count down and block as
they should while nothing else happens; a terminal holding only the read key authenticates with it
between two guesses at the update key and can guess the update key for ever."""

from __future__ import annotations

from typing import Any

from card_emulators.engine import commands
from card_emulators.engine.security import key_tries

from ._base import CardMutant, all_dfs


def _external_authenticate(card: Any, cmd: Any) -> bytes:
    out = commands.external_authenticate(card, cmd)  # raises on a wrong cryptogram
    for df in all_dfs(card.mf):  # success: "the terminal is genuine", every counter back to full
        for key in df.keys.values():
            if key.usage == "ext" and 0 < key_tries(card, key) < key.max_tries:
                card.write([(key.region, 0, bytes([key.max_tries]))])
    return out


class SuccessRestoresAllCounters(CardMutant):
    mutant_name = "rt3-success-restores-all-counters"
    description = "a successful EXTERNAL AUTHENTICATE with any key restores the retry counters of all keys"
    defect_class = "retry counters"
    catches = ("CARD-AUTH-002", "CARD-AUTH-005")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0x82, _external_authenticate)


MUTANT = SuccessRestoresAllCounters
