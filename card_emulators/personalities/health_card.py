"""The resident health card (居民健康卡, WS/T 543) user card on the ISO engine.

The tree, keys and access conditions follow DIGEST §2.1-2.2; see :mod:`health_layout` for the items.
Built empty here; :mod:`card_emulators.personalise` writes a person's data and the keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from card_emulators.engine.card import IsoCard
from card_emulators.engine.filesystem import (
    DF,
    FREE,
    Access,
    KeyObject,
    Node,
    PinObject,
    RecordEF,
    TransparentEF,
)
from card_emulators.errors import CARD_BAD_CONFIG
from card_emulators.personalities import encodings
from card_emulators.personalities.health_layout import (
    CYCLIC_FILES,
    ED_SIZE,
    ED_SLOTS,
    EE_SIZE,
    EE_SLOTS,
    KEYS,
    PHOTO_FILE_SIZE,
    RECORD_FILES,
    Item,
)
from ehc.errors import EhcError

__all__ = [
    "UserCard",
    "TreeOptions",
    "build_user_tree",
    "make_atr",
    "card_number_from_atr",
    "city_diversifier",
    "AtrConfig",
]

PERSONALITY = "resident-health-card"


@dataclass(frozen=True, slots=True)
class AtrConfig:
    """ATR = prefix || 8-byte card number (BCD: chip maker 4, card maker 4, serial 8) || suffix.

    Default ``3B 6C 00 00 57`` + card number + ``48 43 01``: TS, T0 (TB1 TC1 present, 12 historical
    bytes), TB1, TC1, a proprietary category byte; the card number lands on ATR hex characters
    10..25 as DIGEST §2.3 requires. [I] prefix/suffix bytes; [C] the position of the card number.
    """

    prefix: bytes = bytes.fromhex("3B6C000057")
    suffix: bytes = bytes.fromhex("484301")


def make_atr(chip_maker: str, card_maker: str, serial: str, config: AtrConfig = AtrConfig()) -> bytes:
    digits = f"{chip_maker}{card_maker}{serial}"
    if len(chip_maker) != 4 or len(card_maker) != 4 or len(serial) != 8 or not digits.isdigit():
        raise EhcError(CARD_BAD_CONFIG, "ATR needs 4-digit chip maker, 4-digit card maker, 8-digit serial")
    return config.prefix + bytes.fromhex(digits) + config.suffix


def card_number_from_atr(atr: bytes) -> bytes:
    """The 8-byte diversifier: ATR hex characters 10..25 (DIGEST §2.3)."""
    return bytes.fromhex(atr.hex().upper()[10:26])


def city_diversifier(item57: bytes) -> bytes:
    """First 2 bytes of item 57's value followed by ASCII "000000" (DIGEST §2.3)."""
    return bytes(item57[:2]) + b"000000"


# Access conditions per file: (read, update). [I] except DDF1/EF05 free read and EF06 RK_DDF1 [C].
def _acl(df: int, ef: int) -> tuple[Access, Access]:
    if df == 0xDDF1:
        read = FREE if ef == 0xEF05 else Access("auth", 0x04)
        update = Access("auth", 0x05, 0x08) if ef == 0xEF05 else Access("auth", 0x05)
        return read, update
    read = Access("auth", 0x84)
    if df == 0xDF01:
        return read, Access("auth", 0x85)
    if df == 0xDF02:
        return read, Access("auth", {0xEF05: 0x85, 0xEF06: 0x86}.get(ef, 0x87))
    # DF03: inpatient index and EExx with UK_DF03_1, outpatient index and EDxx with UK_DF03_2
    inpatient = ef == 0xEF05 or ef >> 8 == 0xEE
    return read, Access("auth", 0x85 if inpatient else 0x86)


@dataclass(frozen=True, slots=True)
class TreeOptions:
    """Card-OS settings the public spec leaves open [I] (docs/assumptions.md)."""

    key_tries: int = 3  # external-authentication keys
    pin_tries: int = 3
    puk_tries: int = 10
    cyclic_records: tuple[tuple[int, int], ...] = ()  # ((EF, count), ...) overrides, e.g. ((0xEF07, 5),)

    def __post_init__(self) -> None:
        if not (1 <= self.key_tries <= 15 and 1 <= self.pin_tries <= 15 and 1 <= self.puk_tries <= 15):
            raise EhcError(CARD_BAD_CONFIG, "retry counters must be 1..15 (they travel in 63Cx)")
        if any(not 1 <= n <= 254 for _, n in self.cyclic_records):
            raise EhcError(CARD_BAD_CONFIG, "a cyclic file holds 1..254 records")


def build_user_tree(options: TreeOptions = TreeOptions()) -> DF:
    mf = DF(0x3F00, label="MF")
    mf.pins[0x00] = PinObject(0x00, "", max_tries=options.pin_tries, puk_max_tries=options.puk_tries)
    ddf1 = mf.add(DF(0xDDF1, label="DDF1 居民健康卡应用"))
    assert isinstance(ddf1, DF)
    dfs = {0xDDF1: ddf1}
    for fid, label in ((0xDF01, "DF01 人口学信息"), (0xDF02, "DF02 临床基本数据"), (0xDF03, "DF03 就诊记录")):
        dfs[fid] = ddf1.add(DF(fid, label=label))  # type: ignore[assignment]
    for spec in KEYS:
        dfs[spec.df].keys[spec.ref] = KeyObject(
            spec.ref,
            spec.usage,
            "",
            max_tries=0xFF if spec.usage != "ext" else options.key_tries,
            label=spec.label,
        )
    for (df, ef), items in RECORD_FILES.items():
        read, update = _acl(df, ef)
        dfs[df].add(
            RecordEF(
                ef,
                label=f"EF{ef & 0xFF:02X}",
                sfi=ef & 0x1F,
                read=read,
                update=update,
                record_sizes=tuple(item.length + 2 for item in items),
                tlv=True,
                items=tuple(f"{item.tag} {item.name}" for item in items),
            )
        )
    overrides = dict(options.cyclic_records)
    for (df, ef), (items, default_count) in CYCLIC_FILES.items():
        count = overrides.get(ef, default_count)
        read, update = _acl(df, ef)
        size = sum(item.length for item in items)
        dfs[df].add(
            RecordEF(
                ef,
                label=f"EF{ef & 0xFF:02X}",
                sfi=ef & 0x1F,
                read=read,
                update=update,
                cyclic=True,
                record_sizes=(size,) * count,
                items=("+".join(f"{i.tag} {i.name}" for i in items),) * count,
            )
        )
    read, update = _acl(0xDDF1, 0xEF07)
    ddf1.add(TransparentEF(0xEF07, label="EF07 照片", sfi=7, read=read, update=update, size=PHOTO_FILE_SIZE))
    for prefix, slots, size in ((0xEE, EE_SLOTS, EE_SIZE), (0xED, ED_SLOTS, ED_SIZE)):
        for n in range(1, slots + 1):
            fid = (prefix << 8) | n
            read, update = _acl(0xDF03, fid)
            dfs[0xDF03].add(TransparentEF(fid, label=f"{fid:04X}", read=read, update=update, size=size))
    return mf


class UserCard(IsoCard):
    """A resident health card. ``card_number`` = ATR historical card number (8 bytes, diversifier)."""

    personality = PERSONALITY

    def __init__(
        self,
        atr: bytes,
        mf: DF | None = None,
        *,
        t0_get_response: bool = True,
        options: TreeOptions | None = None,
    ) -> None:
        """A blank card (tree from ``options``, records formatted) or, with ``mf``, a loaded one."""
        fresh = mf is None
        super().__init__(
            atr, mf or build_user_tree(options or TreeOptions()), t0_get_response=t0_get_response
        )
        if fresh:
            self.format_records()

    def format_records(self) -> None:
        """Blank TLV records: tag and length set, value empty (AN 00.., CN FF.., B 00..)."""
        writes = []
        for (df, ef), items in RECORD_FILES.items():
            rec = self.record_file(df, ef)
            for index, item in enumerate(items):
                blank = (b"\xff" if item.kind == "CN" else b"\x00") * item.length
                writes.append((rec.region, rec.offset_of(index), bytes([item.tag, item.length]) + blank))
        self.write(writes)

    @property
    def card_number(self) -> bytes:
        return card_number_from_atr(self.atr)

    # --- direct (issuer-side) access used by the personaliser and the card-image writer -------------
    def node(self, *path: int) -> Any:
        """The DF or EF at ``path`` under the MF (Any: callers know from the layout which it is)."""
        node: Node = self.mf
        for fid in path:
            if not isinstance(node, DF):
                raise KeyError(f"{node.path_text} is an EF: no file {fid:04X} under it")
            node = node.children[fid]
        return node

    def record_file(self, df: int, ef: int) -> RecordEF:
        node = self.node(0xDDF1, ef) if df == 0xDDF1 else self.node(0xDDF1, df, ef)
        assert isinstance(node, RecordEF)
        return node

    def put_item(self, df: int, ef: int, item: Item, value: str | bytes) -> None:
        """Write one TLV record (issuer-side, journaled)."""
        rec = self.record_file(df, ef)
        index = [int(name.split()[0]) for name in rec.items].index(item.tag)
        raw = bytes([item.tag, item.length]) + encodings.encode(item.kind, value, item.length)
        self.write([(rec.region, rec.offset_of(index), raw)])

    def item_raw(self, df: int, ef: int, tag: int) -> bytes:
        rec = self.record_file(df, ef)
        index = [int(name.split()[0]) for name in rec.items].index(tag)
        return self.nvm.read(rec.region, rec.offset_of(index) + 2, rec.record_sizes[index] - 2)

    def items(self) -> dict[int, str | bytes]:
        """Every TLV item of the card decoded (B items as bytes)."""
        out: dict[int, str | bytes] = {}
        for (df, ef), items in RECORD_FILES.items():
            for item in items:
                raw = self.item_raw(df, ef, item.tag)
                try:
                    out[item.tag] = encodings.decode(item.kind, raw)
                except EhcError:
                    out[item.tag] = raw
        return out

    def annotate_image(self, image: dict) -> dict:
        decoded = self.items()
        for entry in image["files"]:
            if entry.get("type") != "records":
                continue
            for rec in entry.get("records", []):
                tag_text = str(rec.get("item", "")).split(" ")[0]
                if tag_text.isdigit() and int(tag_text) in decoded:
                    value = decoded[int(tag_text)]
                    rec["value"] = value.hex().upper() if isinstance(value, bytes) else value
        return image
