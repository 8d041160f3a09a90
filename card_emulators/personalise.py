"""Personalisation: write a person onto a resident health card; build a PSAM; save and load cards.

Keys: :class:`CardKeys` holds the master keys by PSAM key index (DIGEST §2.3). The user card gets
each key diversified by its card number (and city code for two-level indexes); the PSAM gets the
masters, so the read-key and update-key authentication flows work end to end. ``CardKeys.test_only``
derives masters from a seed: TEST-ONLY material, never for real cards.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from card_emulators.engine import image as _image
from card_emulators.engine import image_check as _image_check
from card_emulators.engine import scheme
from card_emulators.engine.card import IsoCard
from card_emulators.engine.filesystem import DF, TransparentEF
from card_emulators.engine.security import encode_pin, set_key, set_pin
from card_emulators.errors import CARD_BAD_IMAGE, CARD_BAD_PERSON
from card_emulators.personalities import encodings
from card_emulators.personalities.certificates import build_issuer_certificate
from card_emulators.personalities.health_card import (
    AtrConfig,
    TreeOptions,
    UserCard,
    city_diversifier,
    make_atr,
)
from card_emulators.personalities.health_layout import KEYS, PHOTO_MAX, RECORD_FILES, KeySpec
from card_emulators.personalities.psam import PSAM_ATR, PSAM_FILES, Psam
from ehc.errors import EhcError
from ehc.gm import SM2PrivateKey, hmac_sm3, random_bytes, sm3, sm4_ecb_encrypt
from ehc.spec.model import Person

__all__ = [
    "CardKeys",
    "UserCard",
    "Psam",
    "CardProfile",
    "personalise_user_card",
    "new_psam",
    "load_card",
    "save_card",
    "DEFAULT_PIN",
    "DEFAULT_PUK",
]

DEFAULT_PIN = "123456"  # [I] PIN policy not public: 6 digits, 3 tries
DEFAULT_PUK = "12345678"  # [I] 8 digits, 10 tries
ALL_INDEXES = tuple(spec.index for spec in KEYS)


@dataclass(frozen=True)
class CardKeys:
    """Master keys by PSAM key index (e.g. 0x4731 RK_DDF1) plus the 安全码 key. 16 bytes each."""

    masters: dict[int, bytes]
    security_code_key: bytes = b""
    label: str = ""

    def __repr__(self) -> str:  # never print key material
        return f"CardKeys({self.label or 'unnamed'}, {len(self.masters)} masters)"

    @classmethod
    def test_only(cls, seed: bytes | str = b"ehc-kit") -> CardKeys:
        """TEST-ONLY deterministic masters: SM3("TEST-ONLY" || seed || index)[:16]."""
        raw = seed.encode() if isinstance(seed, str) else bytes(seed)

        def derive(tag: bytes) -> bytes:
            return sm3(b"TEST-ONLY|" + raw + b"|" + tag)[:16]

        masters = {index: derive(f"{index:04X}".encode()) for index in ALL_INDEXES}
        return cls(masters, derive(b"security-code"), label="TEST-ONLY")

    @classmethod
    def generate(cls, label: str = "run-specific") -> CardKeys:
        """Fresh random masters from the system's CSPRNG: a key set nobody can know in advance
        (a conformance run's own cards and PSAM), unlike ``test_only``'s published seeds."""
        masters = {index: random_bytes(16) for index in ALL_INDEXES}
        return cls(masters, random_bytes(16), label=label)

    def check_value(self) -> str:
        """Key check value of the whole set (6 hex digits): SM3 over each master's SM4 encryption
        of a zero block, in index order, first 3 bytes. Names the set in a report without revealing it."""
        blocks = b"".join(sm4_ecb_encrypt(self.masters[i], bytes(16)) for i in sorted(self.masters))
        return sm3(blocks)[:3].hex().upper()

    def card_key(self, spec: KeySpec, card_number: bytes, city: bytes) -> bytes:
        factors = (card_number, city) if spec.levels == 2 else (card_number,)
        return scheme.diversify_chain(self.masters[spec.index], *factors)


@dataclass(frozen=True)
class CardProfile:
    """Issuer-side choices for a card [I] (docs/assumptions.md). Change per deployment."""

    card_category: str = "1"  # 卡类别: not public; "1" = resident health card
    spec_version: str = "0200"  # 规范版本 (4 AN)
    issuer_name: str = "示范市卫生健康委员会"
    issuer_code: str = ""  # 发卡机构代码 (CN, 22 digits max); default city code + "0001"
    chip_maker: str = "1001"
    card_maker: str = "2001"
    validity_years: int = 10
    pin: str = DEFAULT_PIN
    puk: str = DEFAULT_PUK
    atr: AtrConfig = field(default_factory=AtrConfig)
    tree: TreeOptions = field(default_factory=TreeOptions)  # retry counters, cyclic record counts


def _serial_for(person: Person) -> str:
    return str(int.from_bytes(hashlib.sha256(person.person_id.encode()).digest()[:8], "big") % 10**8).zfill(8)


def security_code(keys: CardKeys, card_number: bytes, card_no_item: str, id_number: str) -> str:
    """安全码 [I]: HMAC-SM3(security-code key, card number || 卡号 || ID number) mod 1000, 3 digits."""
    mac = hmac_sm3(keys.security_code_key, card_number + card_no_item.encode() + id_number.encode("gb2312"))
    return str(int.from_bytes(mac[:4], "big") % 1000).zfill(3)


def _date_cn(iso: str) -> str:
    try:
        return _dt.date.fromisoformat(iso).strftime("%Y%m%d")
    except ValueError:
        raise EhcError(CARD_BAD_PERSON, "date is not ISO YYYY-MM-DD", field="birth_date") from None


def personalise_user_card(
    person: Person,
    keys: CardKeys,
    issuer_key: SM2PrivateKey,
    *,
    profile: CardProfile | None = None,
    serial: str | None = None,
    issue_date: _dt.date | None = None,
    city_code: str | None = None,
    photo: bytes | None = None,
) -> UserCard:
    """A powered-down resident health card carrying ``person``, its keys and the issuer signature.

    Extra items can be given in ``person.extra["card_items"]`` as ``{tag: value}`` (AN/CN text,
    B as hex). Raises EhcError(CARD_BAD_PERSON / CARD_BAD_ENCODING) when a field does not fit.
    """
    p = profile or CardProfile()
    serial = serial or _serial_for(person)
    atr = make_atr(p.chip_maker, p.card_maker, serial, p.atr)
    card = UserCard(atr, options=p.tree)
    city = city_code or (person.area_code[:4] + "00")
    if len(city) != 6 or not city.isdigit():
        raise EhcError(CARD_BAD_PERSON, "area code must have 6 digits", field="area_code")
    issued = issue_date or _dt.date.today()
    try:
        valid_until = issued.replace(year=issued.year + p.validity_years)
    except ValueError:  # 29 February
        valid_until = issued.replace(year=issued.year + p.validity_years, day=28)
    # 卡号 = the holder's ID number (DIGEST §1.1 [C]); the chip's own number is the ATR serial.
    card_no_item = person.id_number
    values: dict[int, str | bytes] = {
        1: p.card_category,
        2: p.spec_version,
        3: p.issuer_name,
        4: p.issuer_code or f"{city}0001",
        6: issued.strftime("%Y%m%d"),
        8: card_no_item,
        9: security_code(keys, card.card_number, card_no_item, person.id_number),
        10: f"{p.card_maker[-2:]}{serial}",
        57: city,
        11: person.name,
        12: bytes([int(person.sex)]) if person.sex.isdigit() and int(person.sex) < 256 else b"\x00",
        13: person.nation.zfill(2) if person.nation else "",
        14: _date_cn(person.birth_date),
        15: person.id_number if person.id_type == "01" else "",
        7: valid_until.strftime("%Y%m%d"),
        16: person.phone,
        21: "1" if person.address else "",
        22: person.address,
        37: person.id_type,
        38: person.id_number,
        62: b"\xff" * 3,  # [I] index validity flags: FF = slot erased / never written, 00 = valid
        63: b"\xff" * 5,
    }
    for tag, value in dict(person.extra.get("card_items", {}) or {}).items():
        values[int(tag)] = value
    for (df, ef), items in RECORD_FILES.items():
        for item in items:
            if item.tag == 5 or item.tag not in values:
                continue
            value = values[item.tag]
            if item.kind == "B" and isinstance(value, str):
                try:
                    value = bytes.fromhex(value)
                except ValueError:
                    raise EhcError(CARD_BAD_PERSON, "B item must be given as hex", item=item.tag) from None
            try:
                card.put_item(df, ef, item, value)
            except EhcError as err:
                raise EhcError(
                    CARD_BAD_PERSON, f"item {item.tag} {item.name}: {err.message}", item=item.tag
                ) from None
    # issuer certificate over the issuer and holder data
    records = {
        item.tag: bytes([item.tag, item.length]) + card.item_raw(df, ef, item.tag)
        for (df, ef), items in RECORD_FILES.items()
        if df == 0xDDF1
        for item in items
    }
    cert = build_issuer_certificate(
        issuer_key,
        card.item_raw(0xDDF1, 0xEF05, 4),
        card.item_raw(0xDDF1, 0xEF08, 7),
        card.card_number,
        records,
    )
    card.put_item(0xDDF1, 0xEF05, RECORD_FILES[(0xDDF1, 0xEF05)][4], cert)
    if photo is not None:
        write_photo(card, photo)
    # keys and PIN
    city_div = city_diversifier(encodings.encode_cn(city, 3))
    for spec in KEYS:
        df = card.node(0xDDF1) if spec.df == 0xDDF1 else card.node(0xDDF1, spec.df)
        set_key(card, df.keys[spec.ref], keys.card_key(spec, card.card_number, city_div))
    pin = card.mf.pins[0x00]
    set_pin(card, pin, encode_pin(p.pin, 6), encode_pin(p.puk, 8), pin.max_tries, pin.puk_max_tries)
    return card


def write_photo(card: UserCard, photo: bytes) -> None:
    """EF07: 2-byte big-endian length then the image (at most 3072 bytes)."""
    if len(photo) > PHOTO_MAX:
        raise EhcError(CARD_BAD_PERSON, "photo larger than 3072 bytes", size=len(photo))
    ef = card.node(0xDDF1, 0xEF07)
    card.write([(ef.region, 0, len(photo).to_bytes(2, "big") + photo)])


def new_psam(
    keys: CardKeys,
    *,
    sign_key: SM2PrivateKey | None = None,
    sam_number: str = "MA0000000X0010001",
    issuer_certificate: bytes = b"",
    org_certificate: bytes = b"",
    pin: str = DEFAULT_PIN,
    puk: str = DEFAULT_PUK,
    atr: bytes = PSAM_ATR,
) -> Psam:
    """A powered-down PSAM holding every master key of ``keys`` (TEST-ONLY when the keys are)."""
    psam = Psam(atr, key_indexes=sorted(keys.masters))
    df01 = psam.mf.child(0xDF01, DF)
    for index, master in keys.masters.items():
        set_key(psam, df01.keys[index], master)
    pin_obj = psam.mf.pins[0x00]
    set_pin(psam, pin_obj, encode_pin(pin, 6), encode_pin(puk, 8), pin_obj.max_tries, pin_obj.puk_max_tries)
    files = {name: df01.child(fid, TransparentEF) for name, fid in PSAM_FILES.items()}
    writes = [(files["sam_number"].region, 0, encodings.encode_an(sam_number, 22))]
    if issuer_certificate:
        writes.append((files["issuer_certificate"].region, 0, issuer_certificate[:180].ljust(180, b"\0")))
    if org_certificate:
        writes.append((files["org_certificate"].region, 0, org_certificate[:180].ljust(180, b"\0")))
    if sign_key is not None:
        writes.append((files["sign_key"].region, 0, sign_key.to_bytes()))
    psam.write(writes)
    return psam


# ------------------------------------------------------------------------------------ images
def save_card(card: IsoCard, path: str | Path) -> None:
    """Write a JSON card image (same as ``card.save(path)``)."""
    card.save(path)


def load_card(path: str | Path) -> IsoCard:
    """Rebuild a card (UserCard, Psam or plain IsoCard) from a JSON card image.

    Only EhcError(CARD_BAD_IMAGE) leaves on a bad image: every field is type- and bound-checked
    first (``engine.image_check``), so no size or counter can overflow or allocate absurd memory.
    """
    try:
        if Path(path).stat().st_size > _image_check.DEFAULT_LIMITS.max_image_bytes:
            raise EhcError(CARD_BAD_IMAGE, "card image file too large")
        img = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(img, dict) or img.get("format") != _image.FORMAT:
            raise EhcError(CARD_BAD_IMAGE, "not an ehc card image")
        _image_check.check_image(img)
        mf = _image.tree_from_image(img)
        atr = bytes.fromhex(img["atr"])
        kind = img.get("personality")
        t0 = img.get("t0_get_response", True)
        card: IsoCard
        if kind == UserCard.personality:
            card = UserCard(atr, mf, t0_get_response=t0)
        elif kind == Psam.personality:
            card = Psam(atr, mf)
        else:
            card = IsoCard(atr, mf, t0_get_response=t0)
        _image.restore_contents(card, img)
    except EhcError:
        raise
    # structural faults (missing parent, FID twice) surface while building; RecursionError = JSON
    # nested deeper than the parser's stack
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise EhcError(CARD_BAD_IMAGE, f"card image unreadable: {type(exc).__name__}") from None
    return card
