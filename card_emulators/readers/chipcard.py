"""Chip-card reader simulator (the reference terminal for the 居民健康卡): PSAM + user card in,
a typed result out.

The user card and the PSAM are each a *transmit callable* (command APDU bytes -> response bytes
with SW): an in-process card, an emulated card behind a real pcscd (vpcd), or a real card in a real
reader (:class:`~card_emulators.transports.pcsc.PcscTransport`). Every exchange goes through an
:class:`~card_emulators.transports.pcsc.ApduChannel`, so 61xx/6Cxx are handled and the transcript
is kept for a certification report.

Sequence (DIGEST 2.2/2.3): SELECT MF, DDF1; EF05 issuer items by tag (free read); read-key
authentication with the PSAM (RK_DDF1); EF06 holder items and EF08; check the issuer SM2
signature of item 5 against a configured issuer public key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from card_emulators import flows
from card_emulators.errors import CardFlowError
from card_emulators.personalities import encodings
from card_emulators.personalities.certificates import verify_issuer_certificate
from card_emulators.personalities.health_card import card_number_from_atr, city_diversifier
from card_emulators.personalities.health_layout import PHOTO_MAX, RECORD_FILES, item_by_tag
from card_emulators.readers.errors import (
    CARD_AUTH_FAILED,
    CARD_BAD_ATR,
    CARD_BAD_RECORD,
    CARD_NO_ISSUER_KEY,
    CARD_READ_FAILED,
    CARD_SELECT_FAILED,
    CARD_SIGNATURE_INVALID,
    PSAM_FAILED,
)
from card_emulators.readers.media import MEDIUM_RESIDENT_HEALTH_CARD
from card_emulators.transports.pcsc import ApduChannel, Exchange, Transmit
from ehc.errors import EhcError, ErrorCode
from ehc.gm import SM2PublicKey, random_bytes
from ehc.spec.identifiers import mask_id
from ehc.spec.model import MediumRead

__all__ = ["ChipCardReader", "ChipCardRead", "ReaderConfig", "parse_tlv_record"]

log = logging.getLogger("ehc.reader.chip")

DDF1, EF05, EF06, EF07, EF08 = 0xDDF1, 0xEF05, 0xEF06, 0xEF07, 0xEF08
PHOTO_CHUNK = 0x80
ISSUER_TAGS = tuple(item.tag for item in RECORD_FILES[(DDF1, EF05)])
HOLDER_TAGS = tuple(item.tag for item in RECORD_FILES[(DDF1, EF06)])
EF08_TAGS = tuple(item.tag for item in RECORD_FILES[(DDF1, EF08)])


@dataclass(frozen=True)
class ReaderConfig:
    """Terminal configuration. ``psam_pin`` is TEST-ONLY material when it comes from the kit's keys."""

    issuer_public_key: SM2PublicKey | None = None
    psam_pin: str | None = None  # digits; VERIFY PIN on the PSAM before DELIVER KEY (None: skip)
    require_signature: bool = True  # False: report signature_valid=False instead of raising
    read_ef08: bool = True
    read_photo: bool = False  # EF07: READ BINARY in 0x80-byte chunks (DIGEST 2.2)
    psam_df: int = 0xDF01


@dataclass(frozen=True)
class ChipCardRead:
    """What the terminal learnt from the card."""

    atr: bytes
    card_number: str  # item 8 (18 AN, equals the holder's ID number)
    city_code: str  # item 57, CN digits
    issuer: dict[str, Any]
    holder: dict[str, Any]
    ef08: dict[str, Any]
    signature_valid: bool | None  # None = no issuer key configured
    signature_error: str | None = None
    photo: bytes | None = field(default=None, repr=False)
    transcript: tuple[Exchange, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "atr": self.atr.hex().upper(),
            "card_number": self.card_number,
            "city_code": self.city_code,
            "issuer": self.issuer,
            "holder": self.holder,
            "ef08": self.ef08,
            "signature_valid": self.signature_valid,
            "signature_error": self.signature_error,
            "photo_bytes": None if self.photo is None else len(self.photo),
            "apdus": len(self.transcript),
        }

    def medium_read(self) -> MediumRead:
        return MediumRead(MEDIUM_RESIDENT_HEALTH_CARD, self.card_number, self.to_dict())

    def __repr__(self) -> str:
        return (
            f"ChipCardRead(card_number={mask_id(self.card_number)!r}, signature_valid={self.signature_valid})"
        )


def parse_tlv_record(raw: bytes, tag: int) -> bytes:
    """Value of a ``Tag(1) Len(1) Value`` record; EhcError(CARD_BAD_RECORD) when it is not that."""
    item = item_by_tag(tag)
    if len(raw) < 2 or raw[0] != tag or raw[1] != len(raw) - 2 or raw[1] != item.length:
        raise EhcError(
            CARD_BAD_RECORD, f"record of item {tag} is not a {item.length}-byte TLV", tag=tag, length=len(raw)
        )
    return bytes(raw[2:])


def _decode(tag: int, value: bytes) -> str | bytes:
    item = item_by_tag(tag)
    try:
        return encodings.decode(item.kind, value)
    except EhcError as exc:
        raise EhcError(CARD_BAD_RECORD, f"item {tag}: {exc.message}", tag=tag) from None


def _pin_block(digits: str) -> bytes:
    """PIN as sent in VERIFY: packed BCD, an odd digit count padded with F (PBOC convention) [I]."""
    if not digits.isdigit() or not 4 <= len(digits) <= 12:
        raise EhcError(PSAM_FAILED, "PSAM PIN must be 4..12 digits")
    return bytes.fromhex(digits + "F" * (len(digits) % 2))


def _sw(response: bytes) -> int:
    return int.from_bytes(response[-2:], "big")


# Field names of the decoded output (English, stable); the Chinese name stays in the layout.
_NAMES = {
    1: "card_category",
    2: "spec_version",
    3: "issuer_name",
    4: "issuer_code",
    6: "issue_date",
    8: "card_number",
    9: "security_code",
    10: "chip_serial",
    57: "city_code",
    11: "name",
    12: "sex",
    13: "nation",
    14: "birth_date",
    15: "id_number",
    7: "valid_until",
    16: "phone1",
    17: "phone2",
    18: "payment_method1",
    19: "payment_method2",
    20: "payment_method3",
}


class ChipCardReader:
    """Reads one presented card. ``card_atr`` is the user card's ATR as the reader reported it."""

    def __init__(
        self,
        card: Transmit,
        psam: Transmit,
        card_atr: bytes,
        config: ReaderConfig | None = None,
        *,
        random_source: Callable[[int], bytes] = random_bytes,
    ) -> None:
        self.config = config or ReaderConfig()
        self.card = card if isinstance(card, ApduChannel) else ApduChannel(card)
        self.psam = psam if isinstance(psam, ApduChannel) else ApduChannel(psam)
        self.card_atr = bytes(card_atr)
        self._random = random_source
        if len(self.card_atr) < 13:
            raise EhcError(CARD_BAD_ATR, length=len(self.card_atr))

    # --- steps -------------------------------------------------------------------------------------
    def _card(self, apdu: bytes, code: ErrorCode, what: str) -> bytes:
        response = self.card.transmit(apdu)
        if _sw(response) != 0x9000:
            raise EhcError(
                code, f"{what}: card answered {response[-2:].hex().upper()}", sw=response[-2:].hex().upper()
            )
        return response[:-2]

    def _psam(self, apdu: bytes, what: str) -> bytes:
        response = self.psam.transmit(apdu)
        if _sw(response) != 0x9000:
            raise EhcError(
                PSAM_FAILED,
                f"{what}: PSAM answered {response[-2:].hex().upper()}",
                sw=response[-2:].hex().upper(),
            )
        return response[:-2]

    def select(self, fid: int) -> None:
        self._card(
            bytes([0x00, 0xA4, 0x00, 0x00, 0x02]) + fid.to_bytes(2, "big"),
            CARD_SELECT_FAILED,
            f"SELECT {fid:04X}",
        )

    def read_item(self, tag: int) -> bytes:
        """READ RECORD by tag with Le = the whole TLV record; returns the raw record."""
        le = item_by_tag(tag).length + 2
        return self._card(bytes([0x00, 0xB2, tag, 0x00, le]), CARD_READ_FAILED, f"READ RECORD item {tag}")

    def read_photo(self) -> bytes:
        """EF07: 2-byte big-endian length, then the image, read in 0x80-byte chunks."""
        self.select(EF07)
        header = self._card(bytes.fromhex("00B0000002"), CARD_READ_FAILED, "READ BINARY EF07 length")
        length = int.from_bytes(header, "big")
        if len(header) != 2 or length > PHOTO_MAX:
            raise EhcError(CARD_BAD_RECORD, "photo length is not 0..3072", length=length)
        photo = bytearray()
        while len(photo) < length:
            offset = 2 + len(photo)
            chunk = min(PHOTO_CHUNK, length - len(photo))
            photo += self._card(
                bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, chunk]),
                CARD_READ_FAILED,
                f"READ BINARY EF07 @{offset}",
            )
        return bytes(photo)

    def authenticate_read_key(self, card_number: bytes, item57: bytes) -> None:
        """RK_DDF1 external authentication through the PSAM (card_emulators.flows, DIGEST 2.3)."""
        cfg = self.config
        try:
            if cfg.psam_pin is not None:
                _pin_block(cfg.psam_pin)  # reject a malformed PIN before sending it
                flows.open_psam(self.psam.transmit, cfg.psam_pin)
            else:
                flows.select(self.psam.transmit, cfg.psam_df, "PSAM SELECT DF")
            flows.authenticate_read_key(
                self.card.transmit,
                self.psam.transmit,
                card_number,
                city_diversifier(item57),
                terminal_random=self._random(8),
            )
        except CardFlowError as exc:
            # Name the side that refused: the PSAM (a terminal fault) or the card (auth failed).
            code = PSAM_FAILED if exc.step.startswith("PSAM") else CARD_AUTH_FAILED
            raise EhcError(code, f"{exc.step}: SW {exc.sw:04X}", step=exc.step, sw=f"{exc.sw:04X}") from None

    # --- the whole read ------------------------------------------------------------------------------
    def read(self) -> ChipCardRead:
        cfg = self.config
        card_number = card_number_from_atr(self.card_atr)
        self.select(0x3F00)
        self.select(DDF1)
        self.select(EF05)
        records: dict[int, bytes] = {tag: self.read_item(tag) for tag in ISSUER_TAGS}
        values = {tag: parse_tlv_record(raw, tag) for tag, raw in records.items()}
        self.authenticate_read_key(card_number, values[57])
        self.select(EF06)
        for tag in HOLDER_TAGS:
            records[tag] = self.read_item(tag)
            values[tag] = parse_tlv_record(records[tag], tag)
        ef08: dict[str, Any] = {}
        if cfg.read_ef08:
            self.select(EF08)
            for tag in EF08_TAGS:
                ef08[_NAMES[tag]] = _decode(tag, parse_tlv_record(self.read_item(tag), tag))

        photo = self.read_photo() if cfg.read_photo else None

        signature_valid: bool | None = None
        signature_error: str | None = None
        if cfg.issuer_public_key is None:
            signature_error = CARD_NO_ISSUER_KEY.name
        else:
            try:
                verify_issuer_certificate(values[5], card_number, records, trusted=cfg.issuer_public_key)
                signature_valid = True
            except EhcError as exc:
                signature_valid, signature_error = False, exc.message
                if cfg.require_signature:
                    raise EhcError(CARD_SIGNATURE_INVALID, exc.message) from None

        issuer = {_NAMES[t]: _decode(t, values[t]) for t in ISSUER_TAGS if t != 5}
        holder = {_NAMES[t]: _decode(t, values[t]) for t in HOLDER_TAGS}
        holder["sex"] = str(values[12][0])  # B item: the GB/T 2261.1 code as one byte
        log.info(
            "chip card read: card %s, city %s, signature %s",
            mask_id(str(issuer["card_number"])),
            issuer["city_code"],
            signature_valid,
        )
        return ChipCardRead(
            atr=self.card_atr,
            card_number=str(issuer["card_number"]),
            city_code=str(issuer["city_code"]),
            issuer=issuer,
            holder=holder,
            ef08=ef08,
            signature_valid=signature_valid,
            signature_error=signature_error,
            photo=photo,
            transcript=tuple(self.card.transcript),
        )
