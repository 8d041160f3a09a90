"""``ehc load bench``: inputs checked before any work, interleaved pairs with median ratios and a
summary page, the read and write paths apart, the Tencent envelope, and the rate-limit warning.

Tiny real runs (1 s per side, a few users): figures are checked for consistency, never for speed
(the machine is shared)."""

from __future__ import annotations

import json
import math
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from load_tests.tencent_target import TencentNodeProcess


def ehc_bench(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ehc.cli", "load", "bench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("args", "code", "hint"),
    [
        (["--target", "127.0.0.1:5"], "LOAD_BAD_TARGET", "--client-file"),  # the README form, issue #17
        (["--target", "no-port"], "LOAD_BAD_TARGET", "HOST:PORT"),
        (["--api", "tencent", "--target", "127.0.0.1:5"], "LOAD_BAD_TARGET", "URL;client=FILE"),
        (["--api", "tencent", "--target", "http://x:1;client=/no/such/file"], "LOAD_BAD_TARGET", "does not exist"),
        (["--api", "tencent", "--target", "reference", "--scenario", "hospital-day"], "LOAD_UNKNOWN_SCENARIO", "verify-only"),
        (["--target", "reference", "--duration", "0s"], "LOAD_BAD_DURATION", "between"),
        (["--target", "echo", "--scenario", "outpatient-rest"], "LOAD_BAD_TARGET", "--http"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line_before_any_work(
    tmp_path: Path, args: list[str], code: str, hint: str
) -> None:
    out = tmp_path / "bench"
    proc = ehc_bench(*args, "--out", str(out), timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(code) and hint in lines[0], proc.stderr
    assert "phase:" not in proc.stderr and not out.exists()  # nothing was started or written


def _check_bench(out: Path, pairs: int, endpoints: set[str]) -> dict:
    bench = json.loads((out / "bench.json").read_text())
    assert bench["pairs"] == pairs and len(bench["runs"]) == pairs
    for i, run in enumerate(bench["runs"]):
        # interleaved, the order alternating so a drift of the machine's load hits both sides
        assert run["order"] == (["echo", "target"] if i % 2 == 0 else ["target", "echo"])
        for side in ("echo", "target"):
            summary = json.loads((out / f"pair-{i + 1}" / side / "summary.json").read_text())
            assert summary["samples"] == run[side]["samples"] > 0
            assert summary["totals"]["rps_steady"] == run[side]["rps_steady"]
            assert set(summary["endpoints"]) == endpoints, summary["endpoints"].keys()
            assert summary["totals"]["error"] == 0, summary["errors"]
            assert (out / run[side]["report"]).is_file()
        assert run["throughput_ratio"] == pytest.approx(
            run["target"]["rps_steady"] / run["echo"]["rps_steady"]
        )
        assert run["p99_ratio"] == pytest.approx(run["target"]["p99_ms"] / run["echo"]["p99_ms"])
    for key in ("throughput_ratio", "p99_ratio"):
        values = [r[key] for r in bench["runs"]]
        s = bench[key]
        assert s["median"] == pytest.approx(statistics.median(values))
        assert s["min"] == pytest.approx(min(values)) and s["max"] == pytest.approx(max(values))
    html = (out / "bench.html").read_text()
    top = html[: html.index('id="sides"')]  # the ratios come first, before the side-by-side figures
    assert (
        f"{bench['throughput_ratio']['median']:.3f}×" in top and f"{bench['p99_ratio']['median']:.2f}×" in top
    )
    for run in bench["runs"]:
        assert f'href="{run["echo"]["report"]}"' in html and f'href="{run["target"]["report"]}"' in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    return bench


def test_verify_only_against_the_reference_node_reports_median_ratios(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    proc = ehc_bench(
        "--target", "reference", "--scenario", "verify-only", "--pairs", "2", "--duration", "1s",
        "--users", "3", "--spawn-rate", "50", "--population", "2000", "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the read path alone: no usage report, no GetQrCode in the timed part
    bench = _check_bench(out, 2, {"VerifyQr"})
    assert bench["think_scale"] == 0  # closed loop unless asked otherwise
    assert bench["population"] == 2000 and bench["seed_seconds"] is not None
    # the actors draw from the whole population, not a hot set: distinct residents presented in a run
    # are close to what uniform draws give, N(1 - e^(-n/N)) (a fixed 1,000-code set could not reach
    # this once n passes ~1,200)
    for run in bench["runs"]:
        n, distinct = run["target"]["samples"], run["target"]["distinct_residents"]
        expected = 2000 * (1 - math.exp(-n / 2000))
        assert 0.6 * expected <= distinct <= min(n, 2000), (n, distinct, expected)
    assert re.search(
        r"throughput \d+\.\d{3}× \(spread \d+\.\d{3}×–\d+\.\d{3}×\), p99 \d+\.\d\d×", proc.stdout
    )
    # progress: the phases and, per run, seconds left and the running rate
    assert "phase: starting and seeding the target (2,000 residents)" in proc.stderr
    assert re.search(r"pair 1/2 echo .*s left, +\d+\.\d rps", proc.stderr), proc.stderr
    assert "registered 2,000 residents by RegisterBatch in" in proc.stdout + proc.stderr


def test_report_only_over_the_tencent_envelope_quietly(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    proc = ehc_bench(
        "--api", "tencent", "--target", "reference", "--scenario", "report-only", "--pairs", "1",
        "--duration", "1s", "--users", "2", "--spawn-rate", "50", "--population", "1200", "--quiet",
        "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bench = _check_bench(out, 1, {"reportHISData"})  # the write path alone, as the envelope names it
    assert (
        bench["api"] == "tencent" and "HTTP echo" in bench["echo"] and "tencent envelope" in bench["target"]
    )
    assert proc.stderr == "" and len(proc.stdout.strip().splitlines()) == 2  # --quiet: the result only


@pytest.fixture(scope="module")
def limited_node(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A node as `ehc node serve` runs it, with a per-terminal limit far below what a bench offers."""
    with TencentNodeProcess(str(tmp_path_factory.mktemp("node")), rate_limit=5, rate_burst=5) as node:
        yield node


def test_rate_limited_grpc_target_is_reported_before_the_run(limited_node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proc = ehc_bench(
        "--target", limited_node.grpc_target, "--client-file", limited_node.client_file, "--scenario",
        "verify-only", "--pairs", "1", "--duration", "1s", "--users", "2", "--population", "50",
        "--out", str(tmp_path / "bench"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    warning = proc.stderr.index("WARNING: the target rate-limits one terminal")
    assert warning < proc.stderr.index("pair 1/1")  # before the timed runs
    bench = json.loads((tmp_path / "bench" / "bench.json").read_text())
    assert any("rate-limits one terminal" in w for w in bench["warnings"])


def test_rate_limited_tencent_platform_url_target_is_reported(limited_node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = f"{limited_node.url};client={limited_node.client_file}"
    proc = ehc_bench(
        "--api", "tencent", "--target", target, "--scenario", "verify-only", "--pairs", "1", "--duration", "1s",
        "--users", "2", "--population", "50", "--out", str(tmp_path / "bench"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.index("WARNING: the target rate-limits one terminal") < proc.stderr.index("pair 1/1")
    assert "seeded 50 residents through registerBatchHealthCard" in proc.stderr
