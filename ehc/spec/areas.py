"""GB/T 2260 administrative-division codes (行政区划代码) for the regions the kit works with.

Edition: the county-level code list published by the Ministry of Civil Affairs for 2023 (the
maintained continuation of GB/T 2260-2007). Coverage: every province-level unit, every
prefecture-level city of the three seed provinces (Shandong, Hunan, Sichuan), and every
county-level unit of the five seed cities (济宁, 淄博, 衡阳, 成都, 绵阳) plus Beijing's districts
(the GB 11643 example number is issued in 110105 朝阳区).

Codes change (districts merge, counties become districts). Citizen ID numbers keep the code of
their issue, so :data:`RETIRED` lists the superseded codes of the covered regions with their
successor; :func:`is_known_area` accepts them and :func:`current_code` maps them forward.
More codes can be loaded from a ``code,name`` CSV with :func:`load_areas` (or the
``EHC_AREAS_FILE`` environment variable) for deployments outside the covered regions.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ehc.errors import ID_BAD_AREA, EhcError

__all__ = [
    "EDITION",
    "AREAS",
    "RETIRED",
    "SEED_CITIES",
    "area_name",
    "full_name",
    "counties_of",
    "cities_of",
    "is_known_area",
    "COMPLETE_PROVINCES",
    "COMPLETE_CITIES",
    "require_area",
    "plausible_area",
    "area_check_mode",
    "current_code",
    "city_of",
    "province_of",
    "level_of",
    "load_areas",
    "find_areas",
]

EDITION = "MCA 2023 county-level code list (GB/T 2260 continuation)"

_PROVINCES = """110000 北京市|120000 天津市|130000 河北省|140000 山西省|150000 内蒙古自治区|210000 辽宁省
|220000 吉林省|230000 黑龙江省|310000 上海市|320000 江苏省|330000 浙江省|340000 安徽省|350000 福建省
|360000 江西省|370000 山东省|410000 河南省|420000 湖北省|430000 湖南省|440000 广东省
|450000 广西壮族自治区|460000 海南省|500000 重庆市|510000 四川省|520000 贵州省|530000 云南省
|540000 西藏自治区|610000 陕西省|620000 甘肃省|630000 青海省|640000 宁夏回族自治区
|650000 新疆维吾尔自治区|710000 台湾省|810000 香港特别行政区|820000 澳门特别行政区"""

_CITIES = """110100 市辖区
|370100 济南市|370200 青岛市|370300 淄博市|370400 枣庄市|370500 东营市|370600 烟台市|370700 潍坊市
|370800 济宁市|370900 泰安市|371000 威海市|371100 日照市|371300 临沂市|371400 德州市|371500 聊城市
|371600 滨州市|371700 菏泽市
|430100 长沙市|430200 株洲市|430300 湘潭市|430400 衡阳市|430500 邵阳市|430600 岳阳市|430700 常德市
|430800 张家界市|430900 益阳市|431000 郴州市|431100 永州市|431200 怀化市|431300 娄底市
|433100 湘西土家族苗族自治州
|510100 成都市|510300 自贡市|510400 攀枝花市|510500 泸州市|510600 德阳市|510700 绵阳市|510800 广元市
|510900 遂宁市|511000 内江市|511100 乐山市|511300 南充市|511400 眉山市|511500 宜宾市|511600 广安市
|511700 达州市|511800 雅安市|511900 巴中市|512000 资阳市|513200 阿坝藏族羌族自治州
|513300 甘孜藏族自治州|513400 凉山彝族自治州"""

_COUNTIES = """110101 东城区|110102 西城区|110105 朝阳区|110106 丰台区|110107 石景山区|110108 海淀区
|110109 门头沟区|110111 房山区|110112 通州区|110113 顺义区|110114 昌平区|110115 大兴区|110116 怀柔区
|110117 平谷区|110118 密云区|110119 延庆区
|370302 淄川区|370303 张店区|370304 博山区|370305 临淄区|370306 周村区|370321 桓台县|370322 高青县
|370323 沂源县
|370811 任城区|370812 兖州区|370826 微山县|370827 鱼台县|370828 金乡县|370829 嘉祥县|370830 汶上县
|370831 泗水县|370832 梁山县|370881 曲阜市|370883 邹城市
|430405 珠晖区|430406 雁峰区|430407 石鼓区|430408 蒸湘区|430412 南岳区|430421 衡阳县|430422 衡南县
|430423 衡山县|430424 衡东县|430426 祁东县|430481 耒阳市|430482 常宁市
|510104 锦江区|510105 青羊区|510106 金牛区|510107 武侯区|510108 成华区|510112 龙泉驿区
|510113 青白江区|510114 新都区|510115 温江区|510116 双流区|510117 郫都区|510118 新津区|510121 金堂县
|510129 大邑县|510131 蒲江县|510181 都江堰市|510182 彭州市|510183 邛崃市|510184 崇州市|510185 简阳市
|510703 涪城区|510704 游仙区|510705 安州区|510722 三台县|510723 盐亭县|510725 梓潼县
|510726 北川羌族自治县|510727 平武县|510781 江油市"""

# Superseded codes of the covered regions: old code -> (old name, successor code, year of change).
RETIRED: dict[str, tuple[str, str, int]] = {
    "370802": ("市中区", "370811", 2013),  # 济宁 市中区 merged into 任城区
    "370882": ("兖州市", "370812", 2013),  # county-level city became 兖州区
    "371200": ("莱芜市", "370100", 2019),  # merged into 济南市
    "510122": ("双流县", "510116", 2015),
    "510124": ("郫县", "510117", 2016),
    "510132": ("新津县", "510118", 2020),
    "512081": ("简阳市", "510185", 2016),  # moved from 资阳 to 成都 (new code)
    "510724": ("安县", "510705", 2016),
}

_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
SEED_CITIES = ("370800", "370300", "430400", "510100", "510700")


def _parse(block: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in block.replace("\n", "").split("|"):
        code, name = item.split(" ", 1)
        out[code] = name
    return out


AREAS: dict[str, str] = {**_parse(_PROVINCES), **_parse(_CITIES), **_parse(_COUNTIES)}
_EXTRA: dict[str, str] = {}


def load_areas(path: str | os.PathLike[str]) -> int:
    """Add ``code,name`` rows (UTF-8 CSV, no header) to the known areas; returns how many."""
    added = 0
    with Path(path).open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 2 and len(row[0]) == 6 and row[0].isdigit():
                _EXTRA[row[0]] = row[1].strip()
                added += 1
    return added


if os.environ.get("EHC_AREAS_FILE"):
    load_areas(os.environ["EHC_AREAS_FILE"])


def _lookup(code: str) -> str | None:
    if not isinstance(code, str):
        return None
    name = AREAS.get(code) or _EXTRA.get(code)
    if name is None and code in RETIRED:
        name = RETIRED[code][0]
    return name


def is_known_area(code: str) -> bool:
    """True for a current or retired code the kit knows (retired codes remain valid in ID numbers)."""
    return _lookup(code) is not None


def require_area(code: str) -> str:
    """The name of a known area code; raises EhcError(ID_BAD_AREA) otherwise."""
    name = _lookup(code)
    if name is None:
        raise EhcError(ID_BAD_AREA, f"area code {code!r} is not in the kit's GB/T 2260 table")
    return name


# Where the table is complete for a level: the prefecture-level units of these provinces (the
# three seed provinces and Beijing) and the county-level units of these cities (the seed cities and
# Beijing's 市辖区). Elsewhere only the structure of a code can be checked.
COMPLETE_PROVINCES = frozenset({"11", "37", "43", "51"})
COMPLETE_CITIES = frozenset({*SEED_CITIES, "110100"})
_CHECK_MODES = ("plausible", "strict")


def area_check_mode() -> str:
    """``EHC_AREAS_CHECK`` ("plausible" or "strict"); strict by default once ``EHC_AREAS_FILE``
    loads a deployment's full list, plausible with only the kit's partial table."""
    mode = os.environ.get("EHC_AREAS_CHECK", "").strip().lower()
    if mode in _CHECK_MODES:
        return mode
    return "strict" if os.environ.get("EHC_AREAS_FILE") else "plausible"


def _bad(code: str, why: str, what: str) -> EhcError:
    shown = code[:8] if isinstance(code, str) else type(code).__name__
    return EhcError(
        ID_BAD_AREA,
        f"{what} {shown!r} is not a GB/T 2260 area code: {why}. Send the current 6-digit code of the "
        "county or city (e.g. 370811); a deployment outside the kit's table loads its list with EHC_AREAS_FILE",
    )


def plausible_area(code: str, *, mode: str | None = None, what: str = "area code") -> str:
    """``code`` if it can be a GB/T 2260 code (current, or retired as ID numbers keep them);
    raises EhcError(ID_BAD_AREA) otherwise.

    "plausible" (the kit's partial table): a known code passes; otherwise the province must be a
    province-level unit, the prefecture must be in the table where the table lists all of a
    province's prefectures (COMPLETE_PROVINCES), the county must be in it where it lists all of a
    city's counties (COMPLETE_CITIES), and elsewhere the structure must hold (prefecture 01-99;
    county 00 for the prefecture itself or 01-99; no county under prefecture 00). "strict": the
    code must be in the table (for a deployment that loaded the full list with EHC_AREAS_FILE).
    """
    mode = mode or area_check_mode()
    if mode not in _CHECK_MODES:
        raise ValueError(f"area check mode {mode!r}: use one of {_CHECK_MODES}")
    if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
        raise _bad(code, "it must be 6 digits", what)
    if is_known_area(code):
        return code
    if mode == "strict":
        raise _bad(code, "not in the GB/T 2260 list loaded for this deployment (EHC_AREAS_FILE)", what)
    province, prefecture, county = code[:2], code[2:4], code[4:]
    if not is_known_area(province + "0000"):
        raise _bad(code, f"{province} is no province-level unit", what)
    if prefecture == "00":
        # 0000 (the province itself) is known; a county needs its prefecture
        raise _bad(code, "a county-level code needs a prefecture (digits 3-4 are 00)", what)
    city = code[:4] + "00"
    if province in COMPLETE_PROVINCES and not is_known_area(city):
        raise _bad(code, f"{province}0000 {_lookup(province + '0000')} has no prefecture {city}", what)
    if county != "00" and city in COMPLETE_CITIES:
        raise _bad(code, f"{city} {_lookup(city)} has no county-level unit {code}", what)
    return code


def area_name(code: str) -> str | None:
    """The short name (e.g. "兖州区") of a known code, or None."""
    return _lookup(code)


def level_of(code: str) -> str:
    """ "province", "city" or "county" by the code's structure."""
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def province_of(code: str) -> str:
    """The province-level code of any area code (structural)."""
    return code[:2] + "0000"


def city_of(code: str) -> str:
    """The prefecture-level code of a county code (structural; a city code maps to itself).

    Retired codes map through their successor, so 512081 (简阳, once in 资阳) gives 510100.
    """
    if code in RETIRED:
        code = RETIRED[code][1]
    if level_of(code) == "province":
        raise EhcError(ID_BAD_AREA, f"{code} is a province code")
    return code[:4] + "00"


def full_name(code: str) -> str:
    """Province + city + county name, e.g. "山东省济宁市兖州区" (unknown parts are skipped)."""
    level = level_of(code)
    parts = [_lookup(province_of(code))]
    # Municipalities (北京, 天津, 上海, 重庆) have a placeholder city level ("市辖区"): leave it out.
    if level != "province" and code[:2] not in _MUNICIPALITIES:
        parts.append(_lookup(city_of(code)))
    if level == "county":
        parts.append(_lookup(code))
    return "".join(p for p in parts if p)


def current_code(code: str) -> str:
    """The code now in force for ``code`` (follows RETIRED); unchanged for current codes."""
    while code in RETIRED:
        code = RETIRED[code][1]
    return code


def counties_of(city_code: str) -> tuple[str, ...]:
    """Current county-level codes of a city (sorted); raises ID_BAD_AREA for an unknown city."""
    require_area(city_code)
    if level_of(city_code) != "city":
        raise EhcError(ID_BAD_AREA, f"{city_code} is not a city code")
    prefix = city_code[:4]
    known = {**AREAS, **_EXTRA}
    return tuple(sorted(c for c in known if c[:4] == prefix and level_of(c) == "county"))


def cities_of(province_code: str) -> tuple[str, ...]:
    """Known current prefecture-level codes of a province (sorted)."""
    require_area(province_code)
    prefix = province_code[:2]
    known = {**AREAS, **_EXTRA}
    return tuple(sorted(c for c in known if c[:2] == prefix and level_of(c) == "city"))


def find_areas(text: str) -> tuple[str, ...]:
    """Codes (current first, then retired) whose name contains ``text``, e.g. "兖州"."""
    if not text:
        return ()
    known = {**AREAS, **_EXTRA}
    current = sorted(c for c, n in known.items() if text in n)
    retired = sorted(c for c, (n, _, _) in RETIRED.items() if text in n)
    return (*current, *retired)
