"""The key retry counter is never written back: every wrong cryptogram answers 63Cx with the full
count, and the key never blocks (an attacker can try cryptograms forever)."""

from __future__ import annotations

from ._base import CardMutant, all_dfs


class NoRetryCounter(CardMutant):
    mutant_name = "no-retry-counter"
    description = "wrong cryptograms never block a key (retry counter restored after each try)"
    defect_class = "retry counter"
    catches = ("CARD-AUTH-005", "CARD-AUTH-002")

    def _raw_transmit(self, apdu: bytes) -> bytes:
        response = super()._raw_transmit(apdu)
        if len(apdu) > 1 and apdu[1] == 0x82:
            from card_emulators.engine.security import key_value, set_key

            for df in all_dfs(self.card.mf):
                for key in df.keys.values():
                    set_key(self.card, key, key_value(self.card, key))
        return response


MUTANT = NoRetryCounter
