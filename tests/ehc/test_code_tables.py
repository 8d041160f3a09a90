"""Code tables: structure, the confirmed values of the public sources written out literally, and
the full-process coverage the seeds require."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehc.errors import CODE_UNKNOWN, EhcError
from ehc.spec import codes as c

# Confirmed values (DIGEST §1.5/§1.6), literally. A kit change that alters any of them fails here.
CONFIRMED = {
    "DOCUMENT_TYPES": {
        "01": "居民身份证",
        "02": "居民户口簿",
        "03": "护照",
        "04": "军官证",
        "05": "驾驶证",
        "06": "港澳居民来往内地通行证",
        "07": "台湾居民来往内地通行证",
        "08": "出生医学证明",
        "99": "其他法定有效证件",
    },
    "MEDICAL_STEPS": {
        "010101": "挂号",
        "010102": "诊断",
        "010103": "取药",
        "010104": "检查",
        "010105": "收费",
        "010106": "开方",
        "010107": "手术",
        "000000": "其他",
        "010109": "住院",
    },
    "SCENES": {
        "0101011": "预约挂号",
        "0101012": "当日挂号",
        "0101013": "挂号记录/查询",
        "0101014": "预约导诊",
        "0101051": "门诊缴费(待缴)",
        "0101052": "门诊缴费(已缴)",
        "0101053": "住院缴费",
        "0101081": "查检验报告",
        "0101082": "查检查报告",
    },
    "CHANNELS": {
        "0100": "人工窗口",
        "0200": "自助机",
        "0300": "医生工作台",
        "0401": "服务号",
        "0402": "小程序",
    },
    "TERMINAL_TYPES": {"01": "人工窗口", "02": "自助机", "99": "其他"},
    "PAYMENT_CATEGORIES": {"0100": "自费", "0200": "医保", "0300": "公费", "0000": "其他"},
    "VISIT_TYPES": {"I": "住院", "O": "门诊", "E": "急诊", "H": "体检", "T": "其它"},
    "DEPARTMENT_TYPES": {
        "1": "挂号",
        "2": "收费",
        "3": "门诊",
        "4": "住院",
        "5": "检查",
        "6": "检验",
        "7": "处置治疗",
        "8": "药房",
        "9": "手术麻醉",
        "10": "其它",
    },
    "DEPARTMENTS": {
        "0100": "预防保健科",
        "0300": "内科",
        "0301": "呼吸内科",
        "5500": "挂号处",
        "5600": "收费处",
        "9900": "其他",
    },
    "SEXES": {"0": "未知", "1": "男", "2": "女", "9": "未说明"},
    "CARD_ATTRIBUTES": {"1": "临时卡", "2": "正式卡"},
    "CARD_STATUSES": {"1": "正常", "2": "暂停"},
    "ACCOUNT_STATUSES": {
        "0": "注销",
        "1": "正常",
        "2": "待审核",
        "3": "审核未通过",
        "4": "已认证",
        "5": "未注册",
    },
}
# Confirmed codes whose names the digest gives in English only (or not at all).
CONFIRMED_CODES_ONLY = {
    "APPLICATION_MODES": {"1": "app", "2": "kiosk", "3": "window", "4": "batch"},
    "QR_CODE_TYPES": {"0": "dynamic", "1": "static"},
    "QR_COLOURS": {"0": "black", "1": "green", "2": "yellow", "3": "red"},
    "CARD_MEDIA": {"11": "electronic health card"},
}
NATION_NAMES_SAMPLE = {"01": "汉族", "03": "回族", "04": "藏族", "33": "羌族", "56": "基诺族"}


@pytest.mark.parametrize("table_name", sorted(CONFIRMED))
def test_confirmed_codes_exact(table_name: str) -> None:
    table = c.ALL_TABLES[table_name]
    for code, zh in CONFIRMED[table_name].items():
        entry = table.require(code)
        assert entry.zh == zh, (table_name, code)
        assert entry.confirmed, (table_name, code)
    # Nothing else in the table may claim to be confirmed.
    extra = {e.code for e in table.confirmed()} - set(CONFIRMED[table_name])
    assert extra == set(), (table_name, extra)


@pytest.mark.parametrize("table_name", sorted(CONFIRMED_CODES_ONLY))
def test_confirmed_codes_present(table_name: str) -> None:
    table = c.ALL_TABLES[table_name]
    for code, en in CONFIRMED_CODES_ONLY[table_name].items():
        entry = table.require(code)
        assert entry.confirmed and en in entry.en.lower(), (table_name, code, entry.en)


def test_nations_gb3304() -> None:
    codes = list(c.NATIONS)
    assert codes[:56] == [f"{i:02d}" for i in range(1, 57)]
    assert {"97", "98", "99"} <= set(codes)
    assert all(e.zh.endswith("族") for e in c.NATIONS.entries()[:56])
    assert len({e.zh for e in c.NATIONS.entries()}) == len(c.NATIONS)
    for code, zh in NATION_NAMES_SAMPLE.items():
        assert c.NATIONS[code].zh == zh


@pytest.mark.parametrize("name", sorted(c.ALL_TABLES))
def test_table_shape(name: str) -> None:
    table = c.ALL_TABLES[name]
    entries = table.entries()
    assert len(entries) == len(table) == len({e.code for e in entries}) > 0
    assert list(table) == [e.code for e in entries]  # iteration in table order
    for e in entries:
        assert e.zh and e.en, (name, e.code)
        e.zh.encode("gb2312")  # cards and terminals carry GB 2312 text
        if not e.confirmed and name != "STAGES":
            assert e.note, f"{name} {e.code}: kit-defined codes must say why"
    widths = {len(e.code) for e in entries}
    if name not in ("STAGES", "DEPARTMENT_TYPES", "VISIT_TYPES"):
        assert len(widths) == 1, (name, widths)  # fixed-width wire codes


def test_tables_are_immutable() -> None:
    entry = c.SCENES["0101011"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.code = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        c.SCENES["9999999"] = entry  # type: ignore[index]


def test_require_and_lookup() -> None:
    assert c.DOCUMENT_TYPES.require("01").en == "resident identity card"
    assert "01" in c.DOCUMENT_TYPES and "1" not in c.DOCUMENT_TYPES and 1 not in c.DOCUMENT_TYPES
    assert c.DOCUMENT_TYPES.get("77") is None
    for bad in ("77", "", "１", None):
        with pytest.raises(EhcError) as err:
            c.DOCUMENT_TYPES.require(bad)  # type: ignore[arg-type]
        assert err.value.code is CODE_UNKNOWN


def test_every_scene_maps_to_its_step_and_a_stage() -> None:
    for scene in c.SCENES.values():
        assert len(scene.code) == 7 and scene.code.isdigit()
        assert scene.step == scene.code[:6]
        assert scene.step in c.MEDICAL_STEPS, scene.code
        assert scene.stage in c.STAGES, scene.code
    for step in c.MEDICAL_STEPS.values():
        assert step.stage in c.STAGES


def test_every_full_process_stage_has_a_scene() -> None:
    # Seed 001: 挂号, 排队, 就诊, 收费, 检验, 检查, 取药, 住院, 体检 must all read the card.
    seed_stages = ["挂号", "排队", "就诊", "收费", "检验", "检查", "取药", "住院", "体检"]
    by_zh = {s.zh: s.code for s in c.STAGES.values()}
    for zh in seed_stages:
        assert c.scenes_of_stage(by_zh[zh]), zh


def test_kit_defined_codes_sit_in_marked_ranges() -> None:
    for step in c.MEDICAL_STEPS.kit_defined():
        assert step.code.startswith("0190") or step.code == "010108"
    for scene in c.SCENES.kit_defined():
        step = c.MEDICAL_STEPS[scene.step]
        if step.confirmed:
            assert scene.code[6] in "789" or scene.step == "000000", scene.code
        else:
            assert scene.step.startswith("0190") or scene.step == "010108", scene.code
    assert c.SCENES["0101081"].confirmed and c.SCENES["0101082"].confirmed  # under the unknown step


def test_card_media_document_types_exist() -> None:
    assert c.USAGE_CARD_TYPES["11"].form == "qr"
    for m in c.CARD_MEDIA.values():
        assert m.document_type == "" or m.document_type in c.DOCUMENT_TYPES
    assert c.DEPARTMENTS.require("3000").dept_type == "6"
    for d in c.DEPARTMENTS.values():
        assert d.dept_type in c.DEPARTMENT_TYPES


def test_scene_helpers_reject_unknown() -> None:
    with pytest.raises(EhcError):
        c.scenes_of_stage("nope")
    with pytest.raises(EhcError):
        c.scenes_of_step("123456")
    assert [s.code for s in c.scenes_of_step("010105")] == ["0101051", "0101052", "0101053", "0101059"]


def test_by_name() -> None:
    assert c.NATIONS.by_name("汉族").code == "01"
    assert c.NATIONS.by_name("汉").code == "01"  # ID cards print the name without 族
    assert c.NATIONS.by_name("Qiang").code == "33"
    assert c.DOCUMENT_TYPES.by_name("出生医学证明").code == "08"
    with pytest.raises(EhcError) as err:
        c.NATIONS.by_name("火星族")
    assert err.value.code is CODE_UNKNOWN


@settings(max_examples=300)
@given(st.sampled_from(sorted(c.ALL_TABLES)), st.text(max_size=8))
def test_require_is_exact(name: str, text: str) -> None:
    table = c.ALL_TABLES[name]
    if text in table:
        assert table.require(text).code == text
    else:
        with pytest.raises(EhcError) as err:
            table.require(text)
        assert err.value.code is CODE_UNKNOWN


def test_scene_stage_names() -> None:
    assert c.SCENES["0101081"].stage_name == "检验"
    assert c.SCENES["0101082"].stage_name == "检查"
    assert c.SCENES["0190011"].stage_name == "排队"
    assert {s.stage_name for s in c.SCENES.values()} >= {
        "挂号",
        "排队",
        "就诊",
        "收费",
        "检验",
        "检查",
        "取药",
        "住院",
        "体检",
    }


def test_every_kit_defined_code_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "assumptions.md").read_text(encoding="utf-8")
    missing = [
        f"{name} {e.code} {e.zh}"
        for name, table in c.ALL_TABLES.items()
        for e in table.kit_defined()
        if f"{e.code} {e.zh}" not in doc
    ]
    assert missing == [], "add these kit-defined codes to docs/assumptions.md"
