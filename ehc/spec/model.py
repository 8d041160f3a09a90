"""The data model shared by every package: a person as the population generator writes it.

One JSON object per line (``ehc fixtures population``); the node registers from it, the card
personaliser writes a chip card from it, readers produce ``MediumRead``s that resolve back to it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Person", "MediumRead"]


@dataclass(frozen=True, slots=True)
class Person:
    """A resident. Codes follow ehc.spec.codes: sex GB/T 2261.1, nation GB 3304, id_type CV02.01.101."""

    person_id: str  # generator's stable id, e.g. "P0000001" (not an official number)
    name: str  # GB 2312 characters
    sex: str  # "1" male, "2" female (GB/T 2261.1)
    nation: str  # "01".."56" (GB 3304)
    birth_date: str  # ISO "YYYY-MM-DD"
    id_type: str  # "01" 居民身份证, "08" 出生医学证明 for newborns
    id_number: str  # 18-char citizen ID, or the birth-certificate number
    area_code: str  # 6-digit GB/T 2260 county code of residence
    phone: str = ""
    address: str = ""
    poverty_relief: bool = False  # 建档立卡 flag
    social_security_number: str = ""  # equals the citizen ID number (documented assumption)
    social_security_card_number: str = ""
    birth_certificate: str = ""  # newborns: 出生医学证明 number (also id_number while temporary)
    guardian_id_number: str = ""  # newborns and children: a guardian's citizen ID number
    family_id: str = ""  # household grouping for family binding
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Person:
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        extra = dict(known.pop("extra", {}) or {})
        extra.update({k: v for k, v in data.items() if k not in names})
        return cls(**known, extra=extra)

    @classmethod
    def from_json(cls, line: str) -> Person:
        return cls.from_dict(json.loads(line))


@dataclass(frozen=True, slots=True)
class MediumRead:
    """What a reader simulator produces from one presented medium; later turned into a node call.

    ``medium`` is a code of ehc.spec.codes.CARD_MEDIA (e.g. "11" e-card QR); ``identifier`` is the
    value the node resolves (QR text, card number, ID number); ``raw`` keeps what the reader saw.
    """

    medium: str
    identifier: str
    raw: dict[str, Any] = field(default_factory=dict)
