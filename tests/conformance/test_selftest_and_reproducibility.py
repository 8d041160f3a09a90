"""Self-test (reference passes, every mutant caught) and reproducible Hypothesis runs."""

from __future__ import annotations

import json

import pytest

from conformance_tests.runner import RunOptions, run_with_result
from conformance_tests.selftest import selftest


def test_a_mutant_counts_as_killed_only_by_a_requirement_of_its_class(monkeypatch):
    """The selftest's rule, on one real codec mutant named twice: once with the requirement of its
    defect class (KILLED), once with a requirement it does not break (a MISS, although the run
    fails). Every role's full selftest runs in `ehc certify selftest` (scripts/test.sh)."""
    import conformance_tests.selftest as st
    from conformance_tests.mutants import MutantInfo

    real = MutantInfo("accepts-lowercase", "accepts lower-case hex", "national", ("QR-TEXT-004",))
    wrong = MutantInfo("accepts-lowercase", "accepts lower-case hex", "national", ("QR-EHCID-001",))
    lines: list[str] = []
    for info, killed in ((real, True), (wrong, False)):
        monkeypatch.setattr(st, "mutants_of", lambda role, info=info: {info.name: info})
        report = selftest(["codec"], max_examples=5, echo=lines.append)
        verdict = report["roles"]["codec"]["mutants"]["accepts-lowercase"]
        assert report["roles"]["codec"]["reference"]["passed"]
        assert verdict["killed"] is killed and report["ok"] is killed, verdict
        assert "QR-TEXT-004" in verdict["failed_requirements"]
    assert any("KILLED by QR-TEXT-004" in line for line in lines)
    assert any("MISS (failed" in line and "none of QR-EHCID-001" in line for line in lines)


def test_every_mutant_names_the_requirements_that_must_catch_it():
    from conformance_tests.catalogue import default_catalogue
    from conformance_tests.mutants import MUTANT_MODULES, mutants_of

    catalogue = default_catalogue()
    for role in MUTANT_MODULES:
        mutants = mutants_of(role)
        assert len(mutants) >= 10, f"{role}: {len(mutants)} mutants (at least 10 per role)"
        for name, info in mutants.items():
            assert info.catches, f"{role} mutant {name} names no requirement in catches"
            unknown = [r for r in info.catches if r not in catalogue]
            assert not unknown, f"{role} mutant {name}: unknown requirements {unknown}"
            bound = [r for r in info.catches if role in catalogue[r].roles]
            assert bound, f"{role} mutant {name}: none of {info.catches} binds the {role} role"


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
