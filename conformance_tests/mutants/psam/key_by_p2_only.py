"""DELIVER KEY finds the master key by P2 alone (the low byte of the index is unique in the vendor's
key file), so an index the PSAM does not hold (e.g. 2731) silently uses another key (4731)."""

from __future__ import annotations

from typing import Any

from ._base import PsamMutant


def _deliver_key(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import scheme
    from card_emulators.engine.apdu import SW, StatusError
    from card_emulators.engine.security import key_value
    from card_emulators.personalities.psam import _require_pin

    levels = {0x2: 1, 0x4: 2}.get(cmd.p1 >> 4)
    if levels is None:
        raise StatusError(SW.WRONG_P1P2)
    if len(cmd.data) != 8 * (levels + 1):
        raise StatusError(SW.WRONG_LENGTH)
    _require_pin(card)
    key = next((k for index, k in card.current_df.keys.items() if index & 0xFF == cmd.p2), None)
    if key is None:
        raise StatusError(SW.REF_DATA_NOT_FOUND)
    factors = [cmd.data[i : i + 8] for i in range(0, len(cmd.data), 8)]
    card.session_key = scheme.diversify_chain(key_value(card, key), *factors)
    return b""


class KeyByP2Only(PsamMutant):
    mutant_name = "key-by-p2-only"
    description = "DELIVER KEY selects the master key by P2 only: unknown key indexes are accepted"
    defect_class = "key diversification"
    catches = ("PSAM-007",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_psam_handler(0xDE, _deliver_key)


MUTANT = KeyByP2Only
