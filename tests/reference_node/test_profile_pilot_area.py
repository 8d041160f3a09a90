"""Profile ``area.county`` (Hengyang, 祁东县 430426) and ``area.district`` (Zibo, 淄川区 370302): the
pilot county or district of the seed's plan. Each changes the running node: a registration that
names no residence is a resident of it, the KPIs report it on its own, and (Hengyang) its own
coverage target — every resident of 祁东县 by end-2018 — rates it. Each test fails if its key is
ignored (the other profiles name no pilot area and behave otherwise)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import grpc
import pytest
from node_helpers import citizen_id, refused, register_request

from ehc.profiles import PROFILES_DIR
from reference_node.config import NodeConfig
from reference_node.profiles import apply_profile
from reference_node.supervision import population
from reference_node.supervision.periods import Period
from reference_node.supervision.service import engine
from reference_node.testing import start_node

S = grpc.StatusCode
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def profiled(tmp_path):
    nodes = []

    def start(name: str, directory: Path | None = None):
        config = apply_profile(NodeConfig(), name, {"require_certified_terminals"}, directory)
        node = start_node(tmp_path / f"{name}-{len(nodes)}", config=config)
        nodes.append(node)
        return node

    yield start
    for node in nodes:
        node.stop()


def _today() -> Period:
    today = dt.datetime.now(CST).date().isoformat()
    return Period.parse(today, today)


@pytest.mark.parametrize(("profile", "pilot"), [("hunan-hengyang", "430426"), ("zibo", "370302")])
def test_a_registration_without_residence_is_a_resident_of_the_pilot_area(profiled, profile, pilot):
    client = profiled(profile).client()
    reg = client.issuance.Register(register_request(citizen_id(pilot[:4] + "21"), area_code=""))
    assert reg.person.area_code == pilot and reg.card.area_code == pilot
    # a residence given is kept
    other = pilot[:4] + "21"
    assert client.issuance.Register(register_request(citizen_id(other))).person.area_code == other


def test_without_a_pilot_area_the_residence_is_required(profiled):
    for name in ("national", "shandong-jining", "sichuan"):
        client = profiled(name).client()
        refused(
            lambda c=client: c.issuance.Register(register_request(area_code="")),
            S.INVALID_ARGUMENT,
            "NODE_FIELD_MISSING",
        )


def _register_in(client, area: str, n: int) -> None:
    for _ in range(n):
        client.issuance.Register(register_request(citizen_id(area)))


def test_zibo_reports_its_district_on_its_own(profiled):
    """淄川区 (370302) is reported on its own: its holders and population only, not the city's."""
    node = profiled("zibo")
    client = node.client()
    _register_in(client, "370302", 3)
    _register_in(client, "370303", 5)  # 张店区: another district of the city
    population.set_population(node.node.db, {"370302": 6, "370303": 10}, "test")
    report = engine(node.node).report(_today())
    pilot = report["pilot"]
    assert (pilot["area_code"], pilot["area_name"]) == ("370302", "淄川区")
    assert (pilot["holders"], pilot["population"], pilot["coverage"]) == (3, 6, 0.5)
    assert report["summary"]["holders"] == 8
    # a report of the other district does not hold the pilot area; one of the pilot area does
    assert "pilot" not in engine(node.node).report(_today(), "370303")
    assert engine(node.node).report(_today(), "370302")["pilot"]["holders"] == 3
    # the dashboard's data name it too
    meta_pilot = engine(node.node).profile.pilot_area
    assert meta_pilot == "370302"


def test_hengyang_rates_its_pilot_county_against_its_own_target(profiled):
    """祁东县 (430426): all residents by end-2018 — its own target (area-scoped), while 衡阳县 is rated
    against the city's target (everyone by 2020)."""
    node = profiled("hunan-hengyang")
    client = node.client()
    _register_in(client, "430426", 9)
    _register_in(client, "430421", 4)
    population.set_population(node.node.db, {"430426": 10, "430421": 4}, "test")
    eng = engine(node.node)
    report = eng.report(_today())
    pilot = report["pilot"]
    (mark,) = [m for m in pilot["marks"] if m["kpi"] == "coverage"]
    assert mark["value"] == 0.9 and mark["colour"] == "yellow"  # 10 points short of 100 %
    assert (mark["target"]["area_code"], mark["target"]["deadline"]) == ("430426", "2018-12-31")
    counties = {c["area_code"]: c for c in report["counties"]}
    (other,) = [m for m in counties["430421"]["marks"] if m["kpi"] == "coverage"]
    assert (other["target"]["area_code"], other["target"]["deadline"]) == ("", "2020-12-31")
    assert other["colour"] == "blue"
    # a report of the county alone is rated against the county's target
    (alone,) = [m for m in eng.report(_today(), "430426")["summary"]["marks"] if m["kpi"] == "coverage"]
    assert alone["target"]["deadline"] == "2018-12-31"
    # between the plan's date and the city's target (2017-06-21 .. 2017-12-31) only the pilot county
    # has a coverage target
    autumn = dt.date(2017, 9, 1)
    assert eng.profile.target_for("coverage", autumn, area="430426").deadline == "2018-12-31"
    assert eng.profile.target_for("coverage", autumn, area="430421") is None


def _own_city(tmp_path: Path, area: str, kpi: str = "") -> Path:
    d = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, d, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (d / "testcity.toml").write_text(
        '[profile]\nname = "testcity"\ntitle = "Test city"\nextends = ["national"]\n\n'
        f"[parameters.area]\n{area}\n{kpi}",
        encoding="utf-8",
    )
    return d


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ('city = "430400"\ncounty = "370302"', "not inside"),  # Zibo's district in Hengyang
        ('city = "430400"\ncounty = "430400"', "county or district"),  # the city itself
        ('city = "430400"\ncounty = "430426"\ndistrict = "430421"', "give one"),
    ],
)
def test_a_pilot_area_outside_the_city_is_refused_at_start(tmp_path, area, message):
    with pytest.raises(Exception, match=f"NODE_CONFIG_INVALID|{message}") as info:
        apply_profile(NodeConfig(), "testcity", directory=_own_city(tmp_path, area))
    assert message in str(info.value)


def test_a_coverage_target_of_the_pilot_area_needs_the_area_key(tmp_path):
    kpi = '[parameters.kpi]\ncoverage = [{ until = "2025-12-31", min = 1.0, area = "county" }]\n'
    with pytest.raises(Exception, match="area.county"):
        apply_profile(NodeConfig(), "testcity", directory=_own_city(tmp_path, 'city = "430400"', kpi))
    cfg = apply_profile(
        NodeConfig(),
        "testcity",
        directory=_own_city(tmp_path / "ok", 'city = "430400"\ncounty = "430424"', kpi),
    )
    (target,) = cfg.supervision.targets
    assert (target.area_code, cfg.pilot_area) == ("430424", "430424")


def test_the_worked_example_of_a_users_own_city_runs(tmp_path):
    """docs/assumptions.md's worked example (Hangzhou, not among the five) is a valid profile: it
    runs as its city, with its pilot district's own target."""
    import re

    docs = (Path(__file__).resolve().parents[2] / "docs" / "assumptions.md").read_text(encoding="utf-8")
    example = docs[docs.index("Worked example") :]
    (body,) = re.findall(r"```toml\n(.*?)```", example, re.S)[:1]
    d = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, d, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (d / "zhejiang-hangzhou.toml").write_text(body, encoding="utf-8")
    cfg = apply_profile(NodeConfig(), "zhejiang-hangzhou", directory=d)
    assert (cfg.node_id, cfg.pilot_area, cfg.hospital_card_stop_use) == ("330100", "330106", "2024-07-01")
    assert "citizen-card" in cfg.accepted_media
    on = dt.date(2024, 3, 1)
    assert cfg.supervision.target_for("coverage", on, area="330106").threshold == 1.0
    assert cfg.supervision.target_for("coverage", on, area="330105").threshold == 0.9
