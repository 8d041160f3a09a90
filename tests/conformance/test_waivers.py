"""Waivers (expected failures): matched, expired and unmatched, unit and end to end."""

from __future__ import annotations

import datetime as dt

import pytest

from conformance_tests.catalogue import load_catalogue
from conformance_tests.declaration import default_declaration
from conformance_tests.profiles import load_profile
from conformance_tests.results import TestRecord, evaluate
from conformance_tests.runner import RunOptions, run_with_result
from conformance_tests.waivers import Waiver, load_waivers
from ehc.errors import EhcError

TODAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def setup():
    catalogue = load_catalogue()
    return catalogue, load_profile("national", catalogue), default_declaration("codec")


def _records(failing: bool) -> list[TestRecord]:
    recs = [
        TestRecord(f"s::t{i}", f"t{i}", [rid], "passed")
        for i, rid in enumerate(["QR-TEXT-001", "QR-TEXT-002"])
    ]
    recs.append(
        TestRecord(
            "s::test_lower", "test_lower", ["QR-TEXT-004"], "failed" if failing else "passed", message="boom"
        )
    )
    return recs


def _evaluate(setup, records, waivers):
    catalogue, profile, decl = setup
    return evaluate(catalogue, "codec", profile, decl, records, waivers, TODAY)


def _verdict(result, rid):
    return next(r for r in result.requirements if r.id == rid)


def test_a_matching_waiver_turns_the_failure_into_waived(setup):
    result = _evaluate(setup, _records(True), [Waiver("QR-TEXT-004", "known", TODAY + dt.timedelta(days=1))])
    assert _verdict(result, "QR-TEXT-004").verdict == "waived"
    assert not result.waiver_problems
    assert "QR-TEXT-004" not in result.gating_failures()


def test_an_expired_waiver_fails_the_run(setup):
    result = _evaluate(setup, _records(True), [Waiver("QR-TEXT-004", "known", TODAY - dt.timedelta(days=1))])
    assert _verdict(result, "QR-TEXT-004").verdict == "fail"
    assert [p.problem for p in result.waiver_problems] == ["expired"]
    assert not result.passed


def test_a_waiver_that_no_longer_matches_fails_the_run(setup):
    result = _evaluate(
        setup, _records(False), [Waiver("QR-TEXT-004", "known", TODAY + dt.timedelta(days=30))]
    )
    assert _verdict(result, "QR-TEXT-004").verdict == "pass"
    assert [p.problem for p in result.waiver_problems] == ["unmatched"]
    assert not result.passed


def test_a_waiver_for_another_test_does_not_match(setup):
    waiver = Waiver("QR-TEXT-004", "known", TODAY + dt.timedelta(days=1), test="test_other")
    result = _evaluate(setup, _records(True), [waiver])
    assert _verdict(result, "QR-TEXT-004").verdict == "fail"
    assert [p.problem for p in result.waiver_problems] == ["unmatched"]


def test_waiver_file_validation(tmp_path):
    catalogue = load_catalogue()
    path = tmp_path / "w.toml"
    path.write_text('[[waiver]]\nrequirement = "QR-TEXT-004"\nreason = "vendor bug 17"\n', encoding="utf-8")
    with pytest.raises(EhcError, match="expiry"):
        load_waivers(path, catalogue)
    path.write_text(
        '[[waiver]]\nrequirement = "NOPE-001"\nreason = "x"\nexpires = 2030-01-01\n', encoding="utf-8"
    )
    with pytest.raises(EhcError, match="unknown requirement"):
        load_waivers(path, catalogue)


def _waiver_file(tmp_path, expires: str) -> str:
    path = tmp_path / f"w-{expires}.toml"
    path.write_text(
        f'[[waiver]]\nrequirement = "QR-TEXT-004"\nreason = "vendor ticket 42: lower-case hex"\nexpires = {expires}\n',
        encoding="utf-8",
    )
    return str(path)


def test_end_to_end_waived_mutant_passes_and_expired_waiver_fails(tmp_path):
    opts = dict(
        role="codec",
        dut="mutant:accepts-lowercase",
        max_examples=10,
        quiet=True,
        certification=True,
        select="lower_case or negative_vectors",
        today="2026-06-01",
    )
    code, run = run_with_result(RunOptions(waivers=_waiver_file(tmp_path, "2026-12-31"), **opts))
    verdicts = {r.id: r.verdict for r in run.result.requirements}
    assert verdicts["QR-TEXT-004"] == "waived"
    # the mutant also fails QR-TEXT-006 (lower-case validity field), which is not waived
    assert verdicts["QR-TEXT-006"] == "fail" and code == 1
    code, run = run_with_result(RunOptions(waivers=_waiver_file(tmp_path, "2026-01-31"), **opts))
    assert code == 1 and [p.problem for p in run.result.waiver_problems] == ["expired"]


def test_end_to_end_unmatched_waiver_fails_a_passing_run(tmp_path):
    code, run = run_with_result(
        RunOptions(
            role="codec",
            dut="reference",
            max_examples=5,
            quiet=True,
            certification=True,
            waivers=_waiver_file(tmp_path, "2030-01-01"),
        )
    )
    assert code == 1
    assert run.result.gating_failures() == []
    assert [p.problem for p in run.result.waiver_problems] == ["unmatched"]
