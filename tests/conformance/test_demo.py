"""`ehc demo` runs the kit end to end: node, QR scan, card read, HIS visit, signed certification."""

from __future__ import annotations

import json
import subprocess
import sys


def test_demo_runs_end_to_end(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ehc.cli", "demo", "--out", str(tmp_path / "demo"), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0 and summary["ok"], (summary, done.stderr[-1500:])
    assert summary["usage_reports"] == 7 and summary["card_read"] and summary["qr_scan"]
    assert (tmp_path / "demo" / "dynamic-code.png").stat().st_size > 0
    assert (tmp_path / "demo" / "codec-report" / "manifest.sig").is_file()
