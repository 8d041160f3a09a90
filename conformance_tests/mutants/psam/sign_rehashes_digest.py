"""PSO COMPUTE DIGITAL SIGNATURE hashes its input again: the vendor's API takes a message, so the
terminal's e = SM3(Z || M) is treated as the message and the signature is over SM3(e) — it does not
verify for the signer the terminal named (its Z is lost)."""

from __future__ import annotations

from typing import Any

from ._base import PsamMutant


def _pso(card: Any, cmd: Any) -> bytes:
    from card_emulators.engine.apdu import Command
    from card_emulators.personalities.psam import perform_security_operation
    from ehc.gm import sm3

    if cmd.p1p2 == 0x9E9A and len(cmd.data) == 32:
        cmd = Command(cmd.cla, cmd.ins, cmd.p1, cmd.p2, sm3(cmd.data), cmd.le, cmd.lc_present)
    return perform_security_operation(card, cmd)


class SignRehashesDigest(PsamMutant):
    mutant_name = "sign-rehashes-digest"
    description = "SM2 sign-hash signs SM3(e) instead of e: the signature does not verify for the signer's id"
    defect_class = "algorithm"
    catches = ("PSAM-006",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_psam_handler(0x2A, _pso)


MUTANT = SignRehashesDigest
