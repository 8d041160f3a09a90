"""Shared fixtures: one certification run of the reference QR codec per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance_tests.runner import RunOptions, run_with_result


@pytest.fixture(scope="session")
def codec_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, object]:
    out = tmp_path_factory.mktemp("codec-cert") / "report"
    code, run = run_with_result(
        RunOptions(
            role="codec", dut="reference", out=str(out), certification=True, max_examples=10, quiet=True
        )
    )
    return code, out, run
