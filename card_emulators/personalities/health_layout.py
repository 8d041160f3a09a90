"""File and data-item layout of the resident health card (WS/T 543; DIGEST §2.1).

Confirmed [C]: files, item numbers, names, lengths, encodings, the record format ``Tag(1) Len(1)
Value``, the encounter-record sizes. Kit choices [I] (docs/assumptions.md): FIDs of the DFs and
EFs (``DDF1``, ``DF0x``, ``EF0x``, ``EE0x``, ``ED0x`` read as hex), the index items 62/63, the
number of cyclic records, the key references of the STK and internal-authentication keys, the
access conditions of EF07/EF08, the layout of the encounter data area and signer identity.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Item",
    "ITEMS",
    "RECORD_FILES",
    "CYCLIC_FILES",
    "EE_SIZE",
    "ED_SIZE",
    "EE_SLOTS",
    "ED_SLOTS",
    "ENCOUNTER_LAYOUT",
    "KEYS",
    "KeySpec",
    "item_by_tag",
    "ALLERGY_RECORDS",
    "IMMUNISATION_RECORDS",
    "PHOTO_MAX",
    "PHOTO_FILE_SIZE",
]


@dataclass(frozen=True, slots=True)
class Item:
    tag: int
    name: str
    length: int
    kind: str  # AN | CN | B


def _items(*rows: tuple[int, str, int, str]) -> tuple[Item, ...]:
    return tuple(Item(*row) for row in rows)


# TLV record files: (DF, EF) -> one record per item, in this order.
RECORD_FILES: dict[tuple[int, int], tuple[Item, ...]] = {
    (0xDDF1, 0xEF05): _items(
        (1, "卡类别", 1, "AN"),
        (2, "规范版本", 4, "AN"),
        (3, "发卡机构名称", 30, "AN"),
        (4, "发卡机构代码", 11, "CN"),
        (5, "发卡机构证书", 180, "B"),
        (6, "发卡时间", 4, "CN"),
        (8, "卡号", 18, "AN"),
        (9, "安全码", 3, "AN"),
        (10, "芯片序列号", 10, "AN"),
        (57, "应用城市代码", 3, "CN"),
    ),
    (0xDDF1, 0xEF06): _items(
        (11, "姓名", 30, "AN"),
        (12, "性别", 1, "B"),
        (13, "民族", 1, "CN"),
        (14, "出生日期", 4, "CN"),
        (15, "身份证号", 18, "AN"),
    ),
    (0xDDF1, 0xEF08): _items(
        (7, "卡有效期", 4, "CN"),
        (16, "本人电话1", 20, "AN"),
        (17, "本人电话2", 20, "AN"),
        (18, "医疗费用支付方式1", 1, "CN"),
        (19, "医疗费用支付方式2", 1, "CN"),
        (20, "医疗费用支付方式3", 1, "CN"),
    ),
    (0xDF01, 0xEF05): _items(
        (21, "地址类别1", 1, "CN"),
        (22, "地址1", 100, "AN"),
        (23, "地址类别2", 1, "CN"),
        (24, "地址2", 100, "AN"),
    ),
    (0xDF01, 0xEF06): _items(
        *(
            row
            for n in range(3)
            for row in (
                (25 + 3 * n, f"联系人{n + 1}姓名", 30, "AN"),
                (26 + 3 * n, f"联系人{n + 1}关系", 1, "CN"),
                (27 + 3 * n, f"联系人{n + 1}电话", 20, "AN"),
            )
        )
    ),
    (0xDF01, 0xEF07): _items((34, "文化程度", 1, "CN"), (35, "婚姻状况", 1, "CN"), (36, "职业", 3, "AN")),
    (0xDF01, 0xEF08): _items(
        (37, "证件类别", 1, "CN"),
        (38, "证件号码", 18, "AN"),
        (39, "健康档案号", 17, "AN"),
        (40, "新农合证号", 18, "AN"),
    ),
    (0xDF02, 0xEF05): _items(
        (41, "ABO血型", 1, "B"),
        (42, "RH血型", 1, "CN"),
        *(
            (43 + i, name, 1, "B")
            for i, name in enumerate(
                (
                    "哮喘标志",
                    "心脏病标志",
                    "心脑血管病标志",
                    "癫痫病标志",
                    "凝血紊乱标志",
                    "糖尿病标志",
                    "青光眼标志",
                    "透析标志",
                    "器官移植标志",
                    "器官缺失标志",
                    "可装卸义肢标志",
                    "心脏起搏器标志",
                )
            )
        ),
        (55, "其他医学警示", 40, "AN"),
    ),
    (0xDF02, 0xEF06): _items((56, "精神病标志", 1, "B")),
    # [I] index files: one TLV item whose bytes are the validity flags of the slots (00 valid, FF erased)
    (0xDF03, 0xEF05): _items((62, "住院记录有效标志", 3, "B")),
    (0xDF03, 0xEF06): _items((63, "门诊记录有效标志", 5, "B")),
}

# Cyclic files: fixed records that concatenate two items without TLV headers (120 = 20 + 100, 24 = 20 + 4).
ALLERGY_RECORDS = 10  # [I] number of records
IMMUNISATION_RECORDS = 20  # [I]
CYCLIC_FILES: dict[tuple[int, int], tuple[tuple[Item, ...], int]] = {
    (0xDF02, 0xEF07): (_items((58, "过敏物质名称", 20, "AN"), (59, "过敏反应", 100, "AN")), ALLERGY_RECORDS),
    (0xDF02, 0xEF08): (
        _items((60, "免疫接种名称", 20, "AN"), (61, "免疫接种时间", 4, "CN")),
        IMMUNISATION_RECORDS,
    ),
}

PHOTO_MAX = 3072
PHOTO_FILE_SIZE = 2 + PHOTO_MAX  # 2-byte big-endian length, then the image

EE_SLOTS, ED_SLOTS = 3, 5
EE_SIZE, ED_SIZE = 1893, 3267
# Encounter record: data area, then the SM2 signature r||s (64 B), then the signer identity (190 B).
ENCOUNTER_LAYOUT = {
    0xEE: {"data": 1639, "signature_item": 211, "identity_item": 212, "first_item": 64},
    0xED: {"data": 3013, "signature_item": 383, "identity_item": 384, "first_item": 213},
}


@dataclass(frozen=True, slots=True)
class KeySpec:
    """A card key: DF, key reference on the card, usage, PSAM key index (P1P2 of DELIVER KEY)."""

    df: int
    ref: int
    usage: str  # ext | int | sm
    index: int
    label: str

    @property
    def levels(self) -> int:
        """Diversification levels from the PSAM index's P1 (2x one level: card; 4x two: card, city)."""
        return 2 if self.index >> 12 == 4 else 1


KEYS: tuple[KeySpec, ...] = (
    KeySpec(0xDDF1, 0x04, "ext", 0x4731, "RK_DDF1"),
    KeySpec(0xDDF1, 0x05, "ext", 0x272A, "UK_DDF1"),
    KeySpec(0xDDF1, 0x08, "sm", 0x2802, "STK_DDF1"),
    KeySpec(0xDDF1, 0x09, "int", 0x2709, "IK_DDF1"),  # [I] internal authentication key and index
    KeySpec(0xDF01, 0x84, "ext", 0x4732, "RK_DF01"),
    KeySpec(0xDF01, 0x85, "ext", 0x272B, "UK_DF01"),
    KeySpec(0xDF01, 0x88, "sm", 0x2803, "STK_DF01"),
    KeySpec(0xDF02, 0x84, "ext", 0x4733, "RK_DF02"),
    KeySpec(0xDF02, 0x85, "ext", 0x472C, "UK_DF02_1"),
    KeySpec(0xDF02, 0x86, "ext", 0x472D, "UK_DF02_2"),
    KeySpec(0xDF02, 0x87, "ext", 0x472E, "UK_DF02_3"),
    KeySpec(0xDF02, 0x88, "sm", 0x4804, "STK_DF02"),
    KeySpec(0xDF03, 0x84, "ext", 0x4734, "RK_DF03"),
    KeySpec(0xDF03, 0x85, "ext", 0x472F, "UK_DF03_1"),
    KeySpec(0xDF03, 0x86, "ext", 0x2730, "UK_DF03_2"),
    KeySpec(0xDF03, 0x88, "sm", 0x4805, "STK_DF03"),
)

ITEMS: dict[int, Item] = {item.tag: item for items in RECORD_FILES.values() for item in items} | {
    item.tag: item for items, _ in CYCLIC_FILES.values() for item in items
}


def item_by_tag(tag: int) -> Item:
    return ITEMS[tag]
