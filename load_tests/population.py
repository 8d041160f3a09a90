"""Synthetic residents for load runs: ``fixtures.population`` when present, else a small generator.

The fallback makes valid GB 11643 numbers with ``make_citizen_id`` from a seeded RNG, so a run is
reproducible; it is deliberately plain (load tests need volume, not demographic realism).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from ehc.spec.identifiers import make_citizen_id
from ehc.spec.model import Person

__all__ = ["synthetic_population", "DEFAULT_AREA"]

DEFAULT_AREA = "370811"  # 任城区, 济宁市 (seed area); change with --area
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强海燕欣怡子涵浩然梓萱"


def _fallback(count: int, seed: int, area: str) -> Iterator[Person]:
    rng = random.Random(seed)
    start = dt.date(1940, 1, 1).toordinal()
    span = dt.date(2023, 12, 31).toordinal() - start
    seen: set[str] = set()
    i = 0
    while len(seen) < count:
        sex = rng.choice((1, 2))
        birth = dt.date.fromordinal(start + rng.randrange(span))
        number = make_citizen_id(area, birth, rng.randrange(1000), sex)
        if number in seen:
            continue
        seen.add(number)
        i += 1
        yield Person(
            person_id=f"L{seed % 1000:03d}{i:07d}",
            name=rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2)))),
            sex=str(sex),
            nation="01",
            birth_date=birth.isoformat(),
            id_type="01",
            id_number=number,
            area_code=area,
            phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
            address="",
            poverty_relief=rng.random() < 0.03,
            social_security_number=number,
        )


def synthetic_population(
    count: int, seed: int = 1, area: str = DEFAULT_AREA, *, prefer_fixtures: bool = True
) -> list[Person]:
    """``count`` distinct residents with citizen IDs, reproducible from ``seed``.

    With ``prefer_fixtures`` the kit's population generator (``fixtures.population``: households,
    the five seed cities, realistic ages) provides them; the small fallback (one ``area``) is
    used inside a run, where generation must cost next to nothing.
    """
    if prefer_fixtures:
        try:
            from fixtures.population import generate
        except ImportError:
            pass
        else:
            try:  # newborns (birth certificate only) are skipped: ask for a few more
                people = [p for p in generate(count=count + count // 20 + 10, seed=seed) if p.id_type == "01"]
            except (TypeError, ValueError):  # another signature or configuration: fall back
                people = []
            if len(people) >= count:
                return people[:count]
    return list(_fallback(count, seed, area))
