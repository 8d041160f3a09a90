"""Self-test (reference passes, every mutant caught) and reproducible Hypothesis runs."""

from __future__ import annotations

import json

import pytest

from conformance_tests.runner import RunOptions, run_with_result
from conformance_tests.selftest import selftest


def test_selftest_catches_every_mutant_of_the_fast_roles():
    """codec, card and HIS (whose mutants need provincial profiles); node and terminal mutants take
    about a minute more and run in `ehc certify selftest` (CI) and below through the CLI."""
    roles = ["codec", "card", "his"]
    report = selftest(roles, max_examples=5, echo=None)
    for role in roles:
        assert report["roles"][role]["reference"]["passed"], role
        survivors = [n for n, m in report["roles"][role]["mutants"].items() if not m["killed"]]
        assert survivors == [], f"{role} mutants survived: {survivors}"
        assert report["roles"][role]["mutation_score"] == 1.0
    assert report["ok"]


def _falsifying(out) -> dict[str, str]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {
        t["nodeid"]: t["hypothesis"].get("falsifying_example", "")
        for t in report["tests"]
        if t["outcome"] == "failed"
    }


def test_certification_runs_are_derandomised_and_identical(tmp_path):
    opts = dict(
        role="codec", dut="mutant:accepts-short-ehcid", max_examples=10, quiet=True, certification=True
    )
    run_with_result(RunOptions(out=str(tmp_path / "a"), **opts))
    run_with_result(RunOptions(out=str(tmp_path / "b"), **opts))
    first, second = _falsifying(tmp_path / "a"), _falsifying(tmp_path / "b")
    assert first and first == second


def test_development_run_records_its_seed_and_saves_failures_for_replay(tmp_path):
    opts = dict(role="codec", dut="mutant:trims-whitespace", max_examples=20, quiet=True, select="whitespace")
    code, run = run_with_result(RunOptions(out=str(tmp_path / "dev"), seed=1234, **opts))
    assert code == 1
    report = json.loads((tmp_path / "dev" / "report.json").read_text(encoding="utf-8"))
    assert report["hypothesis"]["seed"] == 1234 and report["hypothesis"]["database"] == "hypothesis-db"
    assert any((tmp_path / "dev" / "hypothesis-db").rglob("*")), "failing example not saved"
    code, run = run_with_result(
        RunOptions(out=str(tmp_path / "replay"), replay=str(tmp_path / "dev"), **opts)
    )
    replayed = json.loads((tmp_path / "replay" / "report.json").read_text(encoding="utf-8"))
    assert code == 1
    assert replayed["hypothesis"]["seed"] == 1234 and replayed["hypothesis"]["replayed_from"]
    assert _falsifying(tmp_path / "replay") == _falsifying(tmp_path / "dev")


@pytest.mark.parametrize(
    ("role", "dut"),
    [("node", "reference"), ("psam", "emulated"), ("terminal", "reference"), ("his", "reference")],
)
def test_reference_of_every_role_passes_its_suite(role, dut):
    code, run = run_with_result(
        RunOptions(role=role, dut=dut, max_examples=5, quiet=True, certification=True)
    )
    failing = [
        r.id for r in run.result.requirements if r.verdict == "fail" or (r.gating and r.verdict != "pass")
    ]
    assert code == 0 and failing == [], failing


def test_terminal_mutant_is_caught_through_the_cli(tmp_path):
    from click.testing import CliRunner

    from conformance_tests.cli import certify

    out = tmp_path / "terminal-mutant"
    result = CliRunner().invoke(
        certify, ["terminal", "--driver", "mutant:local-fallback", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 1
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert "TERM-006" in report["summary"]["gating_failures"]


def test_node_mutant_is_caught_through_the_cli(tmp_path):
    from click.testing import CliRunner

    from conformance_tests.cli import certify

    out = tmp_path / "node-mutant"
    result = CliRunner().invoke(
        certify,
        [
            "node",
            "--target",
            "mutant:ignores-suspension",
            "--out",
            str(out),
            "--max-examples",
            "3",
            "--quiet",
        ],
    )
    assert result.exit_code == 1
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert "NODE-VERIFY-004" in report["summary"]["gating_failures"]


def test_psam_certification_through_the_cli(tmp_path):
    from click.testing import CliRunner

    from conformance_tests.cli import certify

    out = tmp_path / "psam"
    result = CliRunner().invoke(
        certify, ["psam", "--out", str(out), "--quiet", "--certification", "--max-examples", "3"]
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert result.exit_code == 0 and report["verdict"] == "pass" and report["role"] == "psam"
    assert {r["id"] for r in report["requirements"] if r["verdict"] == "pass"} >= {
        f"PSAM-00{i}" for i in range(1, 7)
    }
