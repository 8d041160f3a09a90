"""``ehc load frontend``: the same scenario against one node, direct and through the hospital
front-end server, in interleaved pairs (issue #16). A tiny real run: figures are checked for
consistency and for evidence that the relayed side went through the front-end, never for speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def ehc_frontend(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ehc.cli", "load", "frontend", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_bad_duration_exits_2_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "fe"
    proc = ehc_frontend("--duration", "0s", "--out", str(out), timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("LOAD_BAD_DURATION") and "phase:" not in proc.stderr
    assert not out.exists()


def test_reports_through_the_front_end_against_direct_in_one_run(tmp_path: Path) -> None:
    out = tmp_path / "fe"
    proc = ehc_frontend(
        "--scenario", "report-only", "--users", "2", "--duration", "2s", "--pairs", "2",
        "--population", "30", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
    assert "through the front-end vs direct" in proc.stdout
    result = json.loads((out / "frontend.json").read_text())
    assert [r["order"] for r in result["runs"]] == [["direct", "relayed"], ["relayed", "direct"]]
    relayed = 0
    for run in result["runs"]:
        for side in ("direct", "relayed"):
            assert run[side]["samples"] > 0 and run[side]["error_ratio"] == 0, run
            assert (out / run[side]["report"]).is_file()
        relayed += run["relayed"]["samples"]
        assert run["throughput_ratio"] and run["p50_ratio"], run
    assert result["throughput_ratio"]["median"] is not None
    assert "front-end" in result["relayed"] and "direct" in result["direct"]
    # the front-end's own outbox: every relayed report was acknowledged there and forwarded to the
    # node; none was sent on the direct side through it
    assert result["frontend"]["outbox"] == {"pending": 0, "delivered": relayed, "rejected": 0}
