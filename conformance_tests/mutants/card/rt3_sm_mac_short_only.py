"""Secure messaging on a card whose MAC engine buffer holds two blocks: the MAC of ``04 DC`` /
``04 D6`` is checked when the cryptogram is at most 32 bytes (a short item, the lab's bad-MAC
probe), and not checked at all for longer commands, which the vendor's buffer cannot hold ("the
session key already proves the terminal"). A long record altered on the way is written."""

from __future__ import annotations

from typing import Any

from card_emulators.engine import commands, scheme
from card_emulators.engine.apdu import Command
from card_emulators.engine.security import key_value

from ._base import CardMutant

MAC_BUFFER = 32


def _session(card: Any, ef: Any, access: Any) -> bytes | None:
    parent = ef.parent
    found = parent.find_key(access.sm_key) if access.sm_key is not None else None
    if found is None:
        found = next(
            ((df, k) for df in parent.ancestors_and_self() for k in df.keys.values() if k.usage == "sm"), None
        )
    if found is None or card.challenge is None or len(card.challenge) != 8:
        return None
    return scheme.diversify(key_value(card, found[1]), card.challenge)


def _long_commands_unchecked(target: Any, original: Any) -> Any:
    def handler(card: Any, cmd: Any) -> Any:
        body = cmd.data
        if cmd.cla != 0x04 or len(body) - 4 <= MAC_BUFFER:
            return original(card, cmd)
        ef = target(card, cmd)
        if not isinstance(ef, commands.EF):
            ef = ef[0]
        session = _session(card, ef, ef.update)
        if session is None:
            return original(card, cmd)
        # no MAC check: the vendor's code goes straight to decryption (the reference's, fed a MAC that fits)
        header = bytes([cmd.cla, cmd.ins, cmd.p1, cmd.p2])
        enc = body[:-4]
        full = enc + scheme.mac4(session, header + bytes([len(body)]) + enc)
        return original(card, Command(cmd.cla, cmd.ins, cmd.p1, cmd.p2, full, cmd.le, cmd.lc_present))

    return handler


class SmMacShortOnly(CardMutant):
    mutant_name = "rt3-sm-mac-short-only"
    description = "secure-messaging MAC checked only on cryptograms of up to 32 bytes; longer ones unchecked"
    defect_class = "secure messaging, MAC span"
    catches = ("CARD-APDU-013",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_handler(0xDC, _long_commands_unchecked(commands._record_ef, commands.update_record))
        self.replace_handler(0xD6, _long_commands_unchecked(commands._binary_target, commands.update_binary))


MUTANT = SmMacShortOnly
