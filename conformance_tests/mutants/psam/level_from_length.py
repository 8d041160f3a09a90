"""DELIVER KEY takes the number of diversification levels from Lc instead of from the key index
(P1 2x = one level, 4x = two): a one-level key accepts three factors and vice versa, so a terminal
with the wrong level gets a session key that no card will ever match — or a crafted one."""

from __future__ import annotations

from typing import Any

from ._base import PsamMutant


def _deliver_key(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine import scheme
    from card_emulators.engine.apdu import SW, StatusError
    from card_emulators.engine.security import key_value
    from card_emulators.personalities.psam import _require_pin

    if cmd.p1 >> 4 not in (0x2, 0x4):
        raise StatusError(SW.WRONG_P1P2)
    if len(cmd.data) not in (16, 24):
        raise StatusError(SW.WRONG_LENGTH)
    _require_pin(card)
    found = card.current_df.find_key(cmd.p1p2)
    if found is None or found[1].usage != "psam":
        raise StatusError(SW.REF_DATA_NOT_FOUND)
    factors = [cmd.data[i : i + 8] for i in range(0, len(cmd.data), 8)]
    card.session_key = scheme.diversify_chain(key_value(card, found[1]), *factors)
    return b""


class LevelFromLength(PsamMutant):
    mutant_name = "deliver-key-level-from-length"
    description = (
        "DELIVER KEY accepts a diversification level that does not match the key index (level from Lc)"
    )
    defect_class = "key diversification"
    catches = ("PSAM-003", "PSAM-007")

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_psam_handler(0xDE, _deliver_key)


MUTANT = LevelFromLength
