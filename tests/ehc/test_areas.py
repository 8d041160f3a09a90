"""GB/T 2260 area table: seed regions complete, structure, retired codes."""

from __future__ import annotations

import pytest

from ehc.errors import ID_BAD_AREA, EhcError
from ehc.spec import areas as a

# County-level units of the seed cities (MCA 2023 list), written out literally.
SEED_COUNTIES = {
    "370800": "任城区 兖州区 微山县 鱼台县 金乡县 嘉祥县 汶上县 泗水县 梁山县 曲阜市 邹城市",
    "370300": "淄川区 张店区 博山区 临淄区 周村区 桓台县 高青县 沂源县",
    "430400": "珠晖区 雁峰区 石鼓区 蒸湘区 南岳区 衡阳县 衡南县 衡山县 衡东县 祁东县 耒阳市 常宁市",
    "510100": "锦江区 青羊区 金牛区 武侯区 成华区 龙泉驿区 青白江区 新都区 温江区 双流区 郫都区 新津区 "
    "金堂县 大邑县 蒲江县 都江堰市 彭州市 邛崃市 崇州市 简阳市",
    "510700": "涪城区 游仙区 安州区 三台县 盐亭县 梓潼县 北川羌族自治县 平武县 江油市",
}


@pytest.mark.parametrize("city", sorted(SEED_COUNTIES))
def test_seed_city_counties_complete(city: str) -> None:
    names = [a.area_name(code) for code in a.counties_of(city)]
    assert sorted(names) == sorted(SEED_COUNTIES[city].split())
    for code in a.counties_of(city):
        assert a.city_of(code) == city and a.province_of(code) == city[:2] + "0000"


def test_seed_codes_named_in_the_digest() -> None:
    assert a.area_name("370800") == "济宁市"
    assert a.area_name("370300") == "淄博市"
    assert a.area_name("370302") == "淄川区"
    assert a.area_name("430400") == "衡阳市"
    assert a.area_name("430426") == "祁东县"
    assert a.area_name("510000") == "四川省"
    assert a.area_name("510100") == "成都市"
    assert a.area_name("510700") == "绵阳市"
    assert a.area_name("370812") == "兖州区"


def test_all_provinces() -> None:
    provinces = [c for c in a.AREAS if a.level_of(c) == "province"]
    assert len(provinces) == 34  # 31 mainland + Taiwan, Hong Kong, Macao
    assert len(a.cities_of("370000")) == 16
    assert len(a.cities_of("430000")) == 14
    assert len(a.cities_of("510000")) == 21


def test_retired_codes() -> None:
    assert a.is_known_area("370802") and a.current_code("370802") == "370811"
    assert a.current_code("510124") == "510117"
    assert a.city_of("512081") == "510100"  # 简阳 moved from 资阳 to 成都
    assert a.current_code("370811") == "370811"
    assert "370802" not in a.counties_of("370800")  # counties_of lists current codes only
    for old, (_, new, year) in a.RETIRED.items():
        assert new in a.AREAS and old not in a.AREAS and 1980 < year <= 2023


def test_full_names() -> None:
    assert a.full_name("370812") == "山东省济宁市兖州区"
    assert a.full_name("110105") == "北京市朝阳区"  # municipality: no 市辖区 in the middle
    assert a.full_name("510000") == "四川省"
    assert a.full_name("430400") == "湖南省衡阳市"


def test_unknown_codes() -> None:
    assert not a.is_known_area("370899")
    assert a.area_name("999999") is None
    assert not a.is_known_area(370800)  # type: ignore[arg-type]
    for bad in ("370899", "990000"):
        with pytest.raises(EhcError) as err:
            a.require_area(bad)
        assert err.value.code is ID_BAD_AREA
    with pytest.raises(EhcError):
        a.counties_of("370000")  # a province, not a city
    with pytest.raises(EhcError):
        a.city_of("370000")


def test_structure() -> None:
    for code, name in a.AREAS.items():
        assert len(code) == 6 and code.isdigit() and name
        name.encode("gb2312")
        if a.level_of(code) != "province":
            assert a.province_of(code) in a.AREAS, code
        if a.level_of(code) == "county":
            assert a.city_of(code) in a.AREAS, code


def test_load_areas_extends_the_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "extra.csv"
    path.write_text("440106,天河区\nnot,a row\n", encoding="utf-8")
    assert not a.is_known_area("440106")
    try:
        assert a.load_areas(path) == 1
        assert a.area_name("440106") == "天河区"
        assert a.full_name("440106") == "广东省天河区"  # 广州 (440100) not in the table: skipped
    finally:
        a._EXTRA.pop("440106", None)


def test_find_areas() -> None:
    assert a.find_areas("兖州") == ("370812", "370882")  # current first, then the retired 兖州市
    assert a.find_areas("祁东") == ("430426",)
    assert a.find_areas("火星") == () and a.find_areas("") == ()


# plausible_area (ID-008): what the node checks area and use-city codes with
@pytest.mark.parametrize(
    "code",
    [
        "440106",  # 广州市天河区: outside the table, structure and province hold
        "310115",  # 上海市浦东新区
        "650102",  # 乌鲁木齐市天山区
        "429004",  # 仙桃市: a county-level city directly under Hubei (prefecture 90)
        "370811",  # known
        "370802",  # retired (济宁 市中区): ID numbers and old records keep it
        "371202",  # in the retired prefecture 莱芜 (371200), whose counties the table does not list
        "430000",
        "110105",
    ],
)
def test_plausible_area_accepts_real_codes(code: str) -> None:
    assert a.plausible_area(code, mode="plausible") == code


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("999999", "no province-level unit"),
        ("000000", "no province-level unit"),
        ("990100", "no province-level unit"),
        ("200000", "no province-level unit"),  # 20 is no province-level unit
        ("379900", "has no prefecture 379900"),  # Shandong's prefectures are all in the table
        ("431800", "has no prefecture 431800"),
        ("370899", "has no county-level unit 370899"),  # 济宁's counties are all in the table
        ("110199", "has no county-level unit 110199"),
        ("370001", "needs a prefecture"),
        ("37080", "6 digits"),
        ("３７０８１１", "6 digits"),  # full-width digits are digits to str.isdigit
        ("37081X", "6 digits"),
    ],
)
def test_plausible_area_refuses_what_no_edition_has(code: str, why: str) -> None:
    with pytest.raises(EhcError) as err:
        a.plausible_area(code, mode="plausible")
    assert err.value.code is ID_BAD_AREA and why in err.value.message
    assert "EHC_AREAS_FILE" in err.value.message  # says what to do


def test_plausible_area_strict_mode_needs_the_loaded_list(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EhcError):
        a.plausible_area("440106", mode="strict")  # real, but not in the kit's table
    assert a.plausible_area("370811", mode="strict") == "370811"
    csv = tmp_path / "areas.csv"
    csv.write_text("440106,天河区\n", encoding="utf-8")
    monkeypatch.setattr(a, "_EXTRA", {})
    a.load_areas(csv)
    assert a.plausible_area("440106", mode="strict") == "440106"
    with pytest.raises(EhcError):
        a.plausible_area("310115", mode="strict")


def test_area_check_mode_follows_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("EHC_AREAS_CHECK", raising=False)
    monkeypatch.delenv("EHC_AREAS_FILE", raising=False)
    assert a.area_check_mode() == "plausible"
    monkeypatch.setenv("EHC_AREAS_FILE", "/nonexistent/areas.csv")  # read at import; only the mode here
    assert a.area_check_mode() == "strict"
    monkeypatch.setenv("EHC_AREAS_CHECK", "plausible")
    assert a.area_check_mode() == "plausible"
    with pytest.raises(ValueError):
        a.plausible_area("370811", mode="lenient")
