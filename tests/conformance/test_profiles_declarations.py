"""Profiles (inheritance, parameters) and vendor declarations (narrowing a run)."""

from __future__ import annotations

import shutil

import pytest

from conformance_tests.catalogue import load_catalogue
from conformance_tests.declaration import applicability, default_declaration, load_declaration
from conformance_tests.profiles import PROFILES_DIR, available_profiles, load_profile
from ehc.errors import EhcError


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_all_five_profiles_load(catalogue):
    assert set(available_profiles()) == {"national", "shandong-jining", "zibo", "hunan-hengyang", "sichuan"}
    for name in available_profiles():
        assert load_profile(name, catalogue).name == name


def test_provinces_inherit_national_requirements_and_add_their_own(catalogue):
    national = load_profile("national", catalogue)
    jining = load_profile("shandong-jining", catalogue)
    assert jining.chain == ("shandong-jining", "national")
    assert national.requirement_ids < jining.requirement_ids
    assert "SUP-006" in jining.requirement_ids and "SUP-006" not in national.requirement_ids
    assert "NODE-TEMP-005" in load_profile("sichuan", catalogue).requirement_ids
    assert "NODE-VERIFY-007" in load_profile("hunan-hengyang", catalogue).requirement_ids


def test_parameters_merge_key_by_key(catalogue):
    national = load_profile("national", catalogue)
    jining = load_profile("shandong-jining", catalogue)
    assert national.param("dynamic_code.max_uses") == 0
    assert jining.param("dynamic_code.max_uses") == 5  # overridden
    assert jining.param("dynamic_code.lifetime_seconds") == national.param("dynamic_code.lifetime_seconds")
    assert jining.param("scenes.checkup") == national.param("scenes.checkup")  # inherited table
    assert jining.param("kpi.coverage")[0]["min"] == 0.5
    assert "wallet-code" in jining.media and "wallet-code" not in national.media


def _profile_dir(tmp_path):
    d = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, d)
    return d


def test_inheritance_cycle_is_rejected(tmp_path, catalogue):
    d = _profile_dir(tmp_path)
    text = (d / "national.toml").read_text(encoding="utf-8").replace("extends = []", 'extends = ["zibo"]')
    (d / "national.toml").write_text(text, encoding="utf-8")
    with pytest.raises(EhcError, match="cycle"):
        load_profile("zibo", catalogue, d)


def test_exclude_with_reason_becomes_the_not_applicable_reason(tmp_path, catalogue):
    d = _profile_dir(tmp_path)
    text = (
        (d / "zibo.toml")
        .read_text(encoding="utf-8")
        .replace(
            "exclude = []",
            'exclude = [{ id = "QR-TEXT-011", reason = "Zibo terminals reject foreign tokens" }]',
        )
    )
    (d / "zibo.toml").write_text(text, encoding="utf-8")
    zibo = load_profile("zibo", catalogue, d)
    app = applicability(catalogue["QR-TEXT-011"], "codec", zibo, default_declaration("codec"))
    assert not app.applicable and app.reason == "Zibo terminals reject foreign tokens"


def test_unknown_profile_and_unknown_include(tmp_path, catalogue):
    with pytest.raises(EhcError) as err:
        load_profile("atlantis", catalogue)
    assert err.value.code.name == "PROFILE_UNKNOWN"
    d = _profile_dir(tmp_path)
    text = (d / "sichuan.toml").read_text(encoding="utf-8").replace("include = []", 'include = ["NOPE-001"]')
    (d / "sichuan.toml").write_text(text, encoding="utf-8")
    with pytest.raises(EhcError, match="NOPE-001"):
        load_profile("sichuan", catalogue, d)


def _declaration(tmp_path, body: str):
    path = tmp_path / "ics.toml"
    path.write_text('[dut]\nname = "Acme X1"\nvendor = "Acme"\n\n' + body, encoding="utf-8")
    return path


def test_declaration_narrows_media_features_and_options(tmp_path, catalogue):
    national = load_profile("national", catalogue)
    decl = load_declaration(
        _declaration(
            tmp_path,
            '[claims]\nroles = ["node"]\nmedia = ["ehc-qr-static", "id-card"]\n'
            'features = ["static-code", "usage-report"]\noptional = []\n'
            '\n[not_claimed]\n"ID-004" = "legacy 15-digit numbers are converted by the registry upstream"\n',
        ),
        catalogue,
    )

    def reason(rid):
        return applicability(catalogue[rid], "node", national, decl)

    assert reason("NODE-EMPI-003").reason == "medium ssc not claimed in the declaration"
    assert reason("NODE-TEMP-001").reason == "feature temporary-card not claimed in the declaration"
    assert reason("QR-DYN-007").reason in (
        "feature dynamic-code not claimed in the declaration",
        "optional requirement not claimed in the declaration",
    )
    assert reason("NODE-EMPI-002").applicable and reason("NODE-EMPI-002").gating
    assert reason("NODE-VERIFY-001").applicable  # a must without media/feature stays
    assert reason("ID-004").reason == (
        "optional requirement not claimed in the declaration: "
        "legacy 15-digit numbers are converted by the registry upstream"
    )


def test_a_should_gates_unless_relaxed_with_a_reason(tmp_path, catalogue):
    national = load_profile("national", catalogue)
    should = catalogue["QR-TEXT-011"]
    assert should.level == "should"
    # no declaration = the strictest reading: a failed should fails the run
    assert applicability(should, "codec", national, default_declaration("codec")).gating
    claimed = load_declaration(
        _declaration(tmp_path, '[claims]\nroles = ["codec"]\noptional = ["QR-TEXT-011"]\n'), catalogue
    )
    assert applicability(should, "codec", national, claimed).gating
    silent = load_declaration(
        _declaration(tmp_path, '[claims]\nroles = ["codec"]\noptional = []\n'), catalogue
    )
    assert applicability(should, "codec", national, silent).gating
    excluded = load_declaration(
        _declaration(
            tmp_path,
            '[claims]\nroles = ["codec"]\n\n[exclusions]\n"QR-TEXT-011" = "tokens go to a separate app"\n',
        ),
        catalogue,
    )
    app = applicability(should, "codec", national, excluded)
    assert not app.applicable and not app.gating
    assert app.reason == "excluded by the declaration: tokens go to a separate app"


@pytest.mark.parametrize(
    "body",
    [
        '[exclusions]\n"QR-TEXT-011" = "  "\n',
        '[not_claimed]\n"QR-TEXT-011" = ""\n',
        '[not_claimed]\n"QR-TEXT-011" = 1\n',
        '[not_claimed]\n"QR-TEXT-001" = "a must cannot be left unclaimed"\n',
        '[not_claimed]\n"NOPE-001" = "unknown"\n',
        '[not_claimed]\n"QR-TEXT-011" = ["x"]\n',
        '[exclusions]\n"QR-TEXT-011" = "a"\n[not_claimed]\n"QR-TEXT-011" = "b"\n',
    ],
)
def test_a_should_is_relaxed_only_with_a_reason(tmp_path, catalogue, body):
    with pytest.raises(EhcError) as err:
        load_declaration(_declaration(tmp_path, body + '[claims]\nroles = ["codec"]\n'), catalogue)
    assert err.value.code.name == "DECLARATION_INVALID"


def test_a_claimed_should_cannot_also_be_relaxed(tmp_path, catalogue):
    body = '[claims]\nroles = ["codec"]\noptional = ["QR-TEXT-011"]\n\n[exclusions]\n"QR-TEXT-011" = "x"\n'
    with pytest.raises(EhcError, match="claimed"):
        load_declaration(_declaration(tmp_path, body), catalogue)


def test_security_checks_are_musts(catalogue):
    # A failure of these lets a counterfeit card or a forged/altered code through: never optional.
    for rid in ("TERM-010", "QR-TEXT-012", "PSAM-006", "QR-DYN-002", "QR-DYN-008", "ID-002"):
        assert catalogue[rid].level == "must", rid


def test_a_must_requirement_cannot_be_declared_away(tmp_path, catalogue):
    path = _declaration(
        tmp_path, '[claims]\nroles = ["codec"]\n\n[exclusions]\n"QR-TEXT-001" = "we do not like it"\n'
    )
    with pytest.raises(EhcError, match="must-requirement"):
        load_declaration(path, catalogue)


def test_declaration_with_unknown_vocabulary_is_rejected(tmp_path, catalogue):
    for body in ('[claims]\nroles = ["toaster"]\n', '[claims]\nroles = ["node"]\nmedia = ["floppy"]\n'):
        with pytest.raises(EhcError) as err:
            load_declaration(_declaration(tmp_path, body), catalogue)
        assert err.value.code.name == "DECLARATION_INVALID"


def test_run_with_declaration_reports_not_applicable_with_reason(tmp_path):
    from conformance_tests.runner import RunOptions, run_with_result

    ics = _declaration(tmp_path, '[claims]\nroles = ["codec"]\nmedia = ["ehc-qr-static", "ehc-qr-dynamic"]\n')
    code, run = run_with_result(
        RunOptions(role="codec", declaration=str(ics), max_examples=5, quiet=True, certification=True)
    )
    assert code == 0
    verdicts = {r.id: r for r in run.result.requirements}
    assert verdicts["QR-TEXT-011"].verdict == "not-applicable"
    assert "opaque-token not claimed" in verdicts["QR-TEXT-011"].reason
    assert verdicts["QR-TEXT-001"].verdict == "pass"


def test_shipped_example_files_are_valid(catalogue):
    from importlib import resources

    from conformance_tests.waivers import load_waivers

    examples = resources.files("conformance_tests").joinpath("examples")
    terminal = load_declaration(examples / "declaration-terminal.toml", catalogue)
    assert terminal.roles == ("terminal",) and "QR-IMG-003" in terminal.exclusions
    node = load_declaration(examples / "declaration-node.toml", catalogue)
    assert node.declared == {"dynamic_code.clock_skew_seconds": 5} and node.media is None
    assert load_waivers(examples / "waivers.toml", catalogue)[0].requirement == "QR-IMG-002"


def test_a_failed_should_fails_a_run_without_declaration(tmp_path, catalogue):
    import datetime as dt

    from conformance_tests.results import TestRecord, evaluate

    national = load_profile("national", catalogue)

    def verdict(decl):
        failed = TestRecord("t::opaque", "opaque", ["QR-TEXT-011"], outcome="failed", message="refused")
        return evaluate(catalogue, "codec", national, decl, [failed], [], dt.date(2026, 1, 1))

    strict = verdict(default_declaration("codec"))
    assert not strict.passed and "QR-TEXT-011" in strict.gating_failures()
    relaxed = verdict(
        load_declaration(
            _declaration(
                tmp_path,
                '[claims]\nroles = ["codec"]\n\n[not_claimed]\n"QR-TEXT-011" = "tokens are not ours"\n',
            ),
            catalogue,
        )
    )
    assert "QR-TEXT-011" not in relaxed.gating_failures()
    row = next(r for r in relaxed.requirements if r.id == "QR-TEXT-011").to_dict(catalogue)
    assert row["verdict"] == "not-applicable" and row["reason"].endswith(": tokens are not ours")


def test_a_relaxed_should_and_its_reason_are_in_the_report(tmp_path):
    import json

    from conformance_tests.runner import RunOptions, run_with_result

    ics = _declaration(
        tmp_path,
        '[claims]\nroles = ["codec"]\n\n[not_claimed]\n"QR-TEXT-011" = "tokens go to the wallet app"\n',
    )
    out = tmp_path / "report"
    code, _ = run_with_result(
        RunOptions(
            role="codec", declaration=str(ics), out=str(out), max_examples=3, quiet=True, certification=True
        )
    )
    assert code == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["declaration"]["not_claimed"] == {"QR-TEXT-011": "tokens go to the wallet app"}
    row = next(r for r in report["requirements"] if r["id"] == "QR-TEXT-011")
    assert row["verdict"] == "not-applicable" and row["reason"].endswith("tokens go to the wallet app")
    assert "tokens go to the wallet app" in (out / "report.html").read_text(encoding="utf-8")
