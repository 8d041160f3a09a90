"""Mutants of the reference QR codec: each one a mistake seen in, or plausible for, real parsers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ehc.errors import EhcError

from ..adapters.codec import Outcome, ReferenceCodec
from ..errors import ADAPTER_UNKNOWN


class _Mutant(ReferenceCodec):
    description = ""

    def info(self) -> dict[str, Any]:
        return {**super().info(), "adapter": f"codec:mutant:{self.mutant_name}", "mutant": self.description}


class AcceptsLowercase(_Mutant):
    mutant_name = "accepts-lowercase"
    description = "upper-cases the text before parsing, so lower-case hex is accepted"

    def parse(self, text: str) -> Outcome:
        return super().parse(text.upper() if isinstance(text, str) else text)


class TrimsWhitespace(_Mutant):
    mutant_name = "trims-whitespace"
    description = "strips leading/trailing whitespace instead of rejecting it"

    def parse(self, text: str) -> Outcome:
        return super().parse(text.strip())


class AcceptsAnyTypeDigit(_Mutant):
    mutant_name = "any-type-digit"
    description = "treats any type digit other than 0 as static"

    def parse(self, text: str) -> Outcome:
        if isinstance(text, str) and len(text) == 66 and text[64] == ":" and text[65] not in "01:":
            text = text[:65] + "1"
        return super().parse(text)


class CrashesOnEmpty(_Mutant):
    mutant_name = "crashes-on-empty"
    description = "indexes the text before checking its length (IndexError on empty input)"

    def parse(self, text: str) -> Outcome:
        def boom() -> None:
            _ = text[0]

        if not text:
            return self._outcome("parse", {"text": text}, boom)
        return super().parse(text)


class EchoesInput(_Mutant):
    mutant_name = "echoes-input"
    description = "puts the whole rejected text into its error message (leaks the EHCID)"

    def parse(self, text: str) -> Outcome:
        out = super().parse(text)
        if out.accepted:
            return out
        return Outcome(False, error=out.error, message=f"bad code: {text}")


class NoComplement(_Mutant):
    mutant_name = "no-complement"
    description = "diversifies with factor || factor instead of factor || NOT(factor)"

    def derive_ehcid(self, main_index: bytes, root_key: bytes, doc_type: str, doc_number: str) -> str:
        from ehc.gm import sm4_ecb_encrypt

        factor = bytes(8)
        for i in range(0, 32, 8):
            factor = bytes(a ^ b for a, b in zip(factor, main_index[i : i + 8], strict=True))
        user = sm4_ecb_encrypt(root_key, factor + factor)
        plain = (doc_type + doc_number).encode()
        plain += b"\x00" * (-len(plain) % 16)
        return sm4_ecb_encrypt(user, plain).hex().upper()


class PadsWithSpaces(_Mutant):
    mutant_name = "pads-with-spaces"
    description = "pads the validity plaintext with 0x20 instead of 0x00"

    def seal_validity(self, protect_key: bytes, when: dt.datetime) -> str:
        from ehc.gm import sm4_ecb_encrypt

        digits = when.strftime("%Y%m%d%H%M%S")
        bcd = bytes.fromhex(digits)
        return sm4_ecb_encrypt(protect_key, bcd + b" " * 9).hex().upper()


class TruncatesOpaque(_Mutant):
    mutant_name = "truncates-opaque"
    description = "cuts long opaque tokens to the limit instead of rejecting them"

    def classify(self, text: str) -> Outcome:
        return super().classify(text[: self.opaque_max] if isinstance(text, str) else text)


class AcceptsShortEhcid(_Mutant):
    mutant_name = "accepts-short-ehcid"
    description = "accepts 32-digit EHCIDs under the national profile (only 64 is confirmed)"

    def __init__(self, run: Any) -> None:
        super().__init__(run)
        from qr_codec import text as qr_text

        self.policy = qr_text.QrPolicy(ehcid_hex_lengths=(64, 32))


MUTANTS: dict[str, Callable[[Any], ReferenceCodec]] = {
    cls.mutant_name: cls
    for cls in (
        AcceptsLowercase,
        TrimsWhitespace,
        AcceptsAnyTypeDigit,
        CrashesOnEmpty,
        EchoesInput,
        NoComplement,
        PadsWithSpaces,
        TruncatesOpaque,
        AcceptsShortEhcid,
    )
}


def make_mutant(name: str, run: Any) -> ReferenceCodec:
    try:
        return MUTANTS[name](run)
    except KeyError:
        raise EhcError(ADAPTER_UNKNOWN, f"no codec mutant {name!r}; known: {', '.join(MUTANTS)}") from None
