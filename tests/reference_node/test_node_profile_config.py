"""A profile is the node's configuration: every node key changes the node, options still win,
the five profiles run as their own city or province, and every key of every profile is read."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import grpc
import pytest
from node_helpers import refused, register_request

from ehc.profiles import PROFILES_DIR, available_profiles, load_profile_data, read_profile_file
from reference_node.cli import _with_profile
from reference_node.cli import serve as serve_cmd
from reference_node.config import NodeConfig
from reference_node.policy import set_policy_day
from reference_node.profiles import NODE_KEYS, apply_profile, profile_values
from reference_node.proto.ehc.node.v1 import issuance_pb2 as ip
from reference_node.proto.ehc.node.v1 import main_index_pb2 as mp
from reference_node.supervision.service import engine
from reference_node.testing import start_node

S = grpc.StatusCode
REPO = Path(__file__).resolve().parents[2]
# keys no code reads: none (issue #15); a new unread key fails below until code reads it
UNREAD: set[str] = set()


def test_each_profile_runs_the_node_as_its_own_area():
    ids = {n: apply_profile(NodeConfig(), n).node_id for n in available_profiles()}
    assert ids == {
        "national": "110000", "shandong-jining": "370800", "zibo": "370300", "hunan-hengyang": "430400",
        "sichuan": "510000",
    }  # fmt: skip


def _city(tmp_path: Path, body: str, extends: str = "national") -> Path:
    """A user's own profile for a city that is not among the five (the worked example of
    docs/assumptions.md "profiles"), next to copies of the kit's files it extends; ``basecity``
    is a profile naming only its city (Hangzhou), for keys that need one."""
    d = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, d, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (d / "basecity.toml").write_text(
        '[profile]\nname = "basecity"\ntitle = "Base city"\nextends = ["national"]\n\n'
        '[parameters.area]\ncity = "330100"\n',
        encoding="utf-8",
    )
    (d / "testcity.toml").write_text(
        f'[profile]\nname = "testcity"\ntitle = "Test city"\nextends = ["{extends}"]\n\n' + body,
        encoding="utf-8",
    )
    return d


# one value per node key that differs from national (the key is ignored if the config stays the same)
CHANGES = {
    "area.city": '[parameters.area]\ncity = "330100"\n',
    "area.province": '[parameters.area]\nprovince = "330000"\n',
    "area.county": '[parameters.area]\ncounty = "330127"\n',  # 淳安县 in basecity's Hangzhou
    "area.district": '[parameters.area]\ndistrict = "330102"\n',  # 上城区
    "accepted_media": '[parameters]\naccepted_media = ["ehc-qr-static", "id-card", "birth-certificate"]\n',
    "dynamic_code.lifetime_seconds": "[parameters.dynamic_code]\nlifetime_seconds = 120\n",
    "dynamic_code.max_uses": "[parameters.dynamic_code]\nmax_uses = 3\n",
    "dynamic_code.refuse_reissue_while_valid": "[parameters.dynamic_code]\nrefuse_reissue_while_valid = true\n",
    "dynamic_code.clock_skew_seconds": "[parameters.dynamic_code]\nclock_skew_seconds = 7\n",
    "newborn.document_type": '[parameters.newborn]\ndocument_type = "99"\n',
    "hospital_cards.stop_issue": '[parameters.hospital_cards]\nstop_issue = "2024-01-01"\n',
    "hospital_cards.stop_use": '[parameters.hospital_cards]\nstop_use = "2024-06-01"\n',
    "terminals.require_certified": "[parameters.terminals]\nrequire_certified = true\n",
    "kpi.coverage": '[parameters.kpi]\ncoverage = [{ until = "2025-12-31", min = 0.9 }]\n',
    "kpi.ecard_visit_share": '[parameters.kpi]\necard_visit_share = [{ period = "2025H1", min = 0.4 }]\n',
    "kpi.physical_card_share": '[parameters.kpi]\nphysical_card_share = [{ until = "2025-06-30", max = 0.1 }]\n',
    "kpi.rating.red_marks_for_interview": "[parameters.kpi]\nrating = { red_marks_for_interview = 3 }\n",
    "empi.key": '[parameters.empi]\nkey = "citizen-id"\n',
}


# keys that only make sense with another (a pilot county is one of a city): compared to ``basecity``
BASES = {"area.county": "basecity", "area.district": "basecity"}


def test_every_node_key_has_a_change_here():
    assert set(CHANGES) == set(NODE_KEYS)


@pytest.mark.parametrize("key", sorted(CHANGES))
def test_each_node_key_changes_the_node_config(tmp_path, key):
    parent = BASES.get(key, "national")
    d = _city(tmp_path, CHANGES[key], parent)
    base = profile_values(load_profile_data(parent, d))
    mine = profile_values(load_profile_data("testcity", d))
    field = NODE_KEYS[key]
    assert mine[field] != base[field], f"{key} did not change {field}"
    changed = {k for k in mine if mine[k] != base.get(k)} - {"profile", "profile_title"}
    assert changed == {field}, f"{key} changed {changed}"


def test_kpi_targets_and_rating_rule_come_from_the_profile(tmp_path):
    cfg = apply_profile(NodeConfig(), "testcity", directory=_city(tmp_path, CHANGES["kpi.ecard_visit_share"]))
    (t,) = cfg.supervision.targets
    assert (t.kpi, t.comparison, t.threshold, t.start, t.deadline, t.levels) == (
        "ecard_share", ">=", 0.4, "2025-01-01", "2025-06-30", ("3",),
    )  # fmt: skip
    bad = _city(
        tmp_path / "bad", '[parameters.kpi]\necard_visit_share = [{ period = "2025Q1", min = 0.4 }]\n'
    )
    with pytest.raises(Exception, match="NODE_CONFIG_INVALID|2025Q1"):
        apply_profile(NodeConfig(), "testcity", directory=bad)


def test_every_key_of_every_profile_is_read_by_code():
    src = "\n".join(
        p.read_text(encoding="utf-8")
        for pkg in ("conformance_tests", "reference_node")
        for p in (REPO / pkg).rglob("*.py")
    )

    def leaves(d: dict, prefix: str = ""):
        for k, v in d.items():
            yield from leaves(v, f"{prefix}{k}.") if isinstance(v, dict) else [f"{prefix}{k}"]

    def read(key: str) -> bool:
        if key in NODE_KEYS:
            return True
        parts = key.split(".")
        # the key or a table above it, quoted as a parameter path (param("scenes") reads each scene);
        # "area" alone is too common a word to count
        return any(
            f'"{a}"' in src or f'"{a}.' in src
            for a in (".".join(parts[:i]) for i in range(len(parts), 0, -1))
            if a != "area"
        )

    keys = {k for n in available_profiles() for k in leaves(read_profile_file(n).get("parameters", {}))}
    assert {k for k in keys if not read(k)} == UNREAD


def test_options_given_explicitly_win_over_the_profile():
    def configured(*args: str) -> NodeConfig:
        with serve_cmd.make_context("serve", list(args)) as ctx:
            o = ctx.params
            base = NodeConfig(
                node_id=o["node_id"], dynamic_lifetime_s=o["dynamic_lifetime"], clock_skew_s=o["clock_skew"],
                dynamic_max_verifications=o["dynamic_max_verifications"], refuse_reissue_while_valid=o["refuse_reissue"],
                require_certified_terminals=o["require_certified"],
            )  # fmt: skip
            return _with_profile(base, o)

    jining = configured("--profile", "shandong-jining")
    assert (jining.node_id, jining.dynamic_max_verifications, jining.require_certified_terminals) == (
        "370800",
        5,
        True,
    )
    assert jining.profile == "shandong-jining" and jining.hospital_card_stop_use == "2021-10-01"
    mine = configured(
        "--profile", "shandong-jining", "--node-id", "370811", "--dynamic-max-verifications", "9"
    )
    assert (mine.node_id, mine.dynamic_max_verifications, mine.require_certified_terminals) == (
        "370811",
        9,
        True,
    )
    assert configured("--profile", "sichuan").node_id == "510000"
    assert configured("--today", "2021-09-30").today == "2021-09-30"
    with pytest.raises(SystemExit):  # PROFILE_FILE_UNKNOWN on stderr, exit 1
        configured("--profile", "atlantis")


@pytest.fixture
def profiled(tmp_path):
    nodes = []

    def start(name: str):
        node = start_node(
            tmp_path / name, config=apply_profile(NodeConfig(), name, {"require_certified_terminals"})
        )
        nodes.append(node)
        return node

    yield start
    for node in nodes:
        node.stop()


def test_accepted_media_follow_the_profile(profiled):
    """Zibo takes no bank card; Hengyang takes the bank card."""
    zibo, hengyang = profiled("zibo").client(), profiled("hunan-hengyang").client()
    bank = mp.ResolveRequest(medium=mp.MEDIUM_BANK_CARD_TOKEN, identifier="tok_62220000abcdef")
    refused(lambda: zibo.main_index.Resolve(bank), S.FAILED_PRECONDITION, "NODE_MEDIUM_NOT_ACCEPTED")
    refused(lambda: hengyang.main_index.Resolve(bank), S.NOT_FOUND, "NODE_MEDIUM_UNKNOWN")
    person = register_request()
    mi = zibo.issuance.Register(person).person.main_index
    link = mp.LinkMediumRequest(main_index=mi, medium=mp.MEDIUM_BANK_CARD_TOKEN, identifier="tok_1")
    refused(lambda: zibo.main_index.LinkMedium(link), S.FAILED_PRECONDITION, "NODE_MEDIUM_NOT_ACCEPTED")
    # the ID card is accepted everywhere
    by_id = mp.ResolveRequest(medium=mp.MEDIUM_CITIZEN_ID, identifier=person.document_number)
    assert zibo.main_index.Resolve(by_id).person.main_index == mi


def test_jining_and_national_differ_in_the_running_node(profiled):
    jining_node, national_node = profiled("shandong-jining"), profiled("national")
    jining, national = jining_node.client(), national_node.client()
    # dynamic codes: Jining limits a code to 5 uses and refuses a second one while one is valid
    ehcid = jining.issuance.Register(register_request()).card.ehcid
    code = jining.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=ehcid, code_type=0))
    assert code.surplus_num == 5
    refused(
        lambda: jining.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=ehcid, code_type=0)),
        S.FAILED_PRECONDITION, "NODE_QR_REISSUE_REFUSED",
    )  # fmt: skip
    ehcid = national.issuance.Register(register_request()).card.ehcid
    assert national.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=ehcid, code_type=0)).surplus_num == 100
    assert national.issuance.GetQrCode(ip.GetQrCodeRequest(ehcid=ehcid, code_type=0)).qr_text
    # hospital cards: refused in Jining after 2021-10-01, never nationally
    set_policy_day(jining_node.node, dt.date(2021, 10, 1))
    hc = mp.ResolveRequest(medium=mp.MEDIUM_HOSPITAL_CARD, identifier="JZK1", issuer="370800001")
    refused(lambda: jining.main_index.Resolve(hc), S.FAILED_PRECONDITION, "NODE_HOSPITAL_CARD_REFUSED")
    refused(lambda: national.main_index.Resolve(hc), S.NOT_FOUND, "NODE_MEDIUM_UNKNOWN")
    # supervision: Jining's targets (seed 000/001), none nationally
    assert {t.kpi for t in engine(jining_node.node).profile.targets} == {
        "coverage",
        "ecard_share",
        "physical_share",
    }
    assert engine(national_node.node).profile.targets == ()
    assert national_node.node.config.node_id == "110000"


def test_the_dashboard_shows_the_profile_its_city_and_its_targets(tmp_path):
    import httpx

    node = start_node(tmp_path, config=apply_profile(NodeConfig(), "hunan-hengyang"), http=True)
    try:
        meta = httpx.get(f"http://127.0.0.1:{node.http_port}/dashboard/api/meta").json()
        assert (meta["profile"], meta["node_id"], meta["node_area"]) == ("hunan-hengyang", "430400", "衡阳市")
        assert meta["profile_title"].startswith("Hunan / Hengyang")
        assert (meta["pilot_area"], meta["pilot_area_name"]) == ("430426", "祁东县")
        # Hengyang's coverage targets (the poor by end-2017, 祁东县 by end-2018, all by 2020), not Jining's
        assert [(t["kpi"], t["threshold"], t["start"], t["deadline"], t["area_code"]) for t in meta["targets"]] == [
            ("coverage_poverty", 1.0, "2000-01-01", "2017-12-31", ""),
            ("coverage", 1.0, "2017-06-21", "2018-12-31", "430426"),
            ("coverage", 1.0, "2018-01-01", "2020-12-31", ""),
        ]  # fmt: skip
    finally:
        node.stop()


def test_hengyang_rates_the_coverage_of_the_poor_first(tmp_path):
    """Hengyang (seed): the poor covered 100 % by end-2017 — a KPI over the node's registered
    members of the poverty group; Jining has no such target."""
    from reference_node.supervision.periods import Period

    node = start_node(tmp_path, config=apply_profile(NodeConfig(), "hunan-hengyang"))
    try:
        client = node.client()
        poor = [client.issuance.Register(register_request(poverty_relief=True)) for _ in range(4)]
        client.issuance.Register(register_request())  # not in the group: not counted
        ctx = client.context()
        client.issuance.Cancel(
            ip.CardActionRequest(ehcid=poor[0].card.ehcid, reason="moved away", context=ctx)
        )
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        period = Period.parse(today.isoformat(), today.isoformat())
        eng = engine(node.node)
        lo, hi = period.bounds()
        assert eng.poverty_coverage_at(hi) == (3, 4)
        marks = {m["kpi"]: m for m in eng.report(period)["summary"]["marks"]}
        mark = marks["coverage_poverty"]
        assert mark["value"] == 0.75 and mark["colour"] == "red" and mark["target"]["threshold"] == 1.0
        client.issuance.Register(register_request(poverty_relief=True))
        assert eng.poverty_coverage_at(period.bounds()[1]) == (4, 5)
    finally:
        node.stop()
    jining = apply_profile(NodeConfig(), "shandong-jining").supervision
    assert all(t.kpi != "coverage_poverty" for t in jining.targets)


def test_zibo_indexes_persons_by_citizen_id(profiled):
    """Zibo (seed 002 §二(一)): 以居民身份证为主索引 — a formal card needs a citizen ID; a passport
    holder is refused there, registered nationally; a temporary card (birth certificate) is not
    affected."""
    zibo, national = profiled("zibo").client(), profiled("national").client()
    passport = register_request(document_type="03", document_number="E12345678", birth_date="1990-01-01")
    refused(lambda: zibo.issuance.Register(passport), S.FAILED_PRECONDITION, "NODE_EMPI_KEY_REQUIRED")
    assert national.issuance.Register(passport).person.main_index
    assert zibo.issuance.Register(register_request()).person.main_index
