"""SM2 sign-hash whose nonce comes from a deterministic generator seeded at power-up: k =
SM3(seed || n) for the n-th signature since the last reset. Within one session every nonce is
different and looks random; after each reset the sequence starts again, so the first signature
of two sessions share k and give the private key away."""

from __future__ import annotations

from typing import Any

from ehc.gm import sm3

from ._base import PsamMutant
from .sm2_fixed_nonce import G, N, _mul


class Sm2NonceCounter(PsamMutant):
    mutant_name = "rt3-sm2-nonce-counter"
    description = "SM2 nonce k = SM3(seed || counter) with the counter in RAM: nonces repeat after each reset"
    defect_class = "algorithm"
    catches = ("PSAM-006",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.counter = 0
        psam = self.psam_card
        reset_volatile = psam._reset_volatile

        def power_cycle() -> None:
            reset_volatile()
            self.counter = 0

        psam._reset_volatile = power_cycle  # type: ignore[method-assign]
        self.replace_psam_handler(0x2A, self._pso)

    def _pso(self, card: Any, cmd: Any) -> bytes:
        from card_emulators.personalities.psam import _require_pin, perform_security_operation

        if cmd.p1p2 != 0x9E9A or len(cmd.data) != 32:
            return perform_security_operation(card, cmd)
        _require_pin(card)
        self.counter += 1
        k = int.from_bytes(sm3(b"vendor DRBG seed" + self.counter.to_bytes(4, "big")), "big") % (N - 1) + 1
        d = int.from_bytes(card.nvm.read(card.mf.children[0xDF01].children[0xEF0F].region), "big")
        e = int.from_bytes(cmd.data, "big")
        r = (e + _mul(k, G)[0]) % N
        s = pow(1 + d, -1, N) * (k - r * d) % N
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


MUTANT = Sm2NonceCounter
