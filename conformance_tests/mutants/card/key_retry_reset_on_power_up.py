"""The COS re-initialises the key retry counters from the key file header at every ATR: a blocked key
is usable again after a reset, and an attacker gets max_tries guesses per power cycle."""

from __future__ import annotations

from ._base import CardMutant, all_dfs


class KeyRetryResetOnPowerUp(CardMutant):
    mutant_name = "key-retry-reset-on-power-up"
    description = "external-authentication retry counters are restored to the maximum at each reset"
    defect_class = "retry counter"
    catches = ("CARD-AUTH-005", "CARD-AUTH-002")

    def reset(self) -> None:
        super().reset()
        from card_emulators.engine.security import key_value, set_key

        for df in all_dfs(self.card.mf):
            for key in df.keys.values():
                if key.usage == "ext":
                    set_key(self.card, key, key_value(self.card, key))


MUTANT = KeyRetryResetOnPowerUp
