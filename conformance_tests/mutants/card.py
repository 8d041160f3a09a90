"""Mutants of the reference (emulated) resident health card: mistakes real card OSes make."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ehc.errors import EhcError

from ..adapters.card import EmulatedCard
from ..errors import ADAPTER_UNKNOWN


class _Mutant(EmulatedCard):
    mutant_name = ""
    description = ""

    def info(self) -> dict[str, Any]:
        return {**super().info(), "adapter": f"card:mutant:{self.mutant_name}", "mutant": self.description}


class HolderFileFree(_Mutant):
    mutant_name = "ef06-free-read"
    description = "DDF1/EF06 holder data readable without external authentication"

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        from card_emulators.engine import FREE

        self.card.node(0xDDF1, 0xEF06).read = FREE


class FixedChallenge(_Mutant):
    mutant_name = "fixed-challenge"
    description = "GET CHALLENGE always returns the same 8 bytes"

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        self.card.random = lambda n: bytes(range(1, n + 1))


class _Rewrite(_Mutant):
    """Rewrites the card's answer (status words or data) between card and terminal."""

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        return response

    def _raw_transmit(self, apdu: bytes) -> bytes:
        return self.rewrite(apdu, super()._raw_transmit(apdu))


class UnknownInsAs6E00(_Rewrite):
    mutant_name = "unknown-ins-6e00"
    description = "answers 6E00 (class not supported) instead of 6D00 for an unknown INS"

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        return response[:-2] + b"\x6e\x00" if response[-2:] == b"\x6d\x00" else response


class MissingFileAs6A80(_Rewrite):
    mutant_name = "missing-file-6a80"
    description = "answers 6A80 (wrong data) instead of 6A82 for a missing file"

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        return response[:-2] + b"\x6a\x80" if response[-2:] == b"\x6a\x82" else response


class TlvLengthOff(_Rewrite):
    mutant_name = "tlv-length-off"
    description = "READ RECORD answers carry a TLV length byte one too large"

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        if len(apdu) >= 2 and apdu[1] == 0xB2 and response[-2:] == b"\x90\x00" and len(response) > 4:
            return response[:1] + bytes([(response[1] + 1) & 0xFF]) + response[2:]
        return response


class KeepsAuthOnReset(_Mutant):
    mutant_name = "keeps-auth-on-reset"
    description = "a card reset does not clear the security state (warm reset ignored)"

    def reset(self) -> None:
        self.log.note("card reset (ignored by the mutant)")


class NoRetryCounter(_Mutant):
    mutant_name = "no-retry-counter"
    description = "wrong cryptograms never block a key (retry counter restored after each try)"

    def _raw_transmit(self, apdu: bytes) -> bytes:
        response = super()._raw_transmit(apdu)
        if len(apdu) > 1 and apdu[1] == 0x82:
            from card_emulators.engine.security import key_value, set_key

            for df in self._all_dfs(self.card.mf):
                for key in df.keys.values():
                    set_key(self.card, key, key_value(self.card, key))
        return response

    def _all_dfs(self, df: Any):
        yield df
        for child in getattr(df, "children", {}).values():
            if hasattr(child, "children"):
                yield from self._all_dfs(child)


MUTANTS: dict[str, Callable[[Any], EmulatedCard]] = {
    cls.mutant_name: cls
    for cls in (
        HolderFileFree,
        FixedChallenge,
        UnknownInsAs6E00,
        MissingFileAs6A80,
        TlvLengthOff,
        KeepsAuthOnReset,
        NoRetryCounter,
    )
}


def make_mutant(name: str, run: Any) -> EmulatedCard:
    try:
        return MUTANTS[name](run)
    except KeyError:
        raise EhcError(ADAPTER_UNKNOWN, f"no card mutant {name!r}; known: {', '.join(MUTANTS)}") from None
