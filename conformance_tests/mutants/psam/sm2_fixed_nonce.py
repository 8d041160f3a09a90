"""SM2 sign-hash with a fixed nonce k: the vendor's chip had no usable RNG in the signing path, so
k came from a constant. Every signature verifies, but two of them give the private key away
(same r for different digests: d = (k - s) / (s + r) mod n)."""

from __future__ import annotations

from typing import Any

from ._base import PsamMutant

# SM2 recommended curve (GB/T 32918.5)
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)
FIXED_K = 0x5EED5EED5EED5EED5EED5EED5EED5EED  # the "random" nonce of the vendor's build


def _add(p1: tuple[int, int] | None, p2: tuple[int, int] | None) -> tuple[int, int] | None:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % P == 0:
        return None
    if p1 == p2:
        slope = (3 * p1[0] * p1[0] + A) * pow(2 * p1[1], -1, P) % P
    else:
        slope = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, P) % P
    x = (slope * slope - p1[0] - p2[0]) % P
    return x, (slope * (p1[0] - x) - p1[1]) % P


def _mul(k: int, point: tuple[int, int]) -> tuple[int, int]:
    out: tuple[int, int] | None = None
    while k:
        if k & 1:
            out = _add(out, point)
        point = _add(point, point)  # type: ignore[assignment]
        k >>= 1
    assert out is not None
    return out


def _pso(card: Any, cmd: Any) -> bytes:
    from card_emulators.personalities.psam import _require_pin, perform_security_operation

    if cmd.p1p2 != 0x9E9A or len(cmd.data) != 32:
        return perform_security_operation(card, cmd)
    _require_pin(card)
    d = int.from_bytes(card.nvm.read(card.mf.children[0xDF01].children[0xEF0F].region), "big")
    e = int.from_bytes(cmd.data, "big")
    r = (e + _mul(FIXED_K, G)[0]) % N
    s = pow(1 + d, -1, N) * (FIXED_K - r * d) % N
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class Sm2FixedNonce(PsamMutant):
    mutant_name = "sm2-fixed-nonce"
    description = "SM2 sign-hash uses a constant nonce: valid signatures that leak the private key"
    defect_class = "algorithm"
    catches = ("PSAM-006",)

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.replace_psam_handler(0x2A, _pso)


MUTANT = Sm2FixedNonce
