"""`ehc certify node --api tencent|qinghai|sichuan`: a served node certified through the envelope
hospitals call, and the pre-flight exit codes (2 usage, 3 unreachable) before any test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _certify(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ehc.cli", "certify", "node", *args, "--quiet"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
    )


def test_a_served_node_is_certified_through_the_tencent_envelope(tmp_path):
    from reference_node.testing import start_node

    node = start_node(
        tmp_path, subprocess=True, http=True, extra_args=["--api", "tencent", "--rate-limit", "0"]
    )
    try:
        target = f"http://127.0.0.1:{node.http_port};client={node.client_file}"
        done = _certify(
            "--api", "tencent", "--target", target, "--out", str(tmp_path / "report"), cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
        report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
        assert report["role"] == "node-tencent" and report["verdict"] == "pass", report["summary"]
        passed = {r["id"] for r in report["requirements"] if r["verdict"] == "pass"}
        assert {f"TENCENT-{n:03d}" for n in range(1, 12)} <= passed
    finally:
        node.stop()


@pytest.mark.parametrize(
    ("api", "target", "code"),
    [
        ("tencent", "127.0.0.1:50051", 2),  # not a URL
        ("tencent", "http://127.0.0.1:9", 2),  # no credentials
        ("tencent", "http://127.0.0.1:9;app=A;secret=00;hospital=H", 3),  # nobody listening
        ("sichuan", "http://127.0.0.1:9;client=/nonexistent/client.json", 2),
    ],
)
def test_usage_errors_exit_2_and_absent_platforms_exit_3_before_any_test(tmp_path, api, target, code):
    out = tmp_path / "report"
    done = _certify("--api", api, "--target", target, "--out", str(out), cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "--target" in done.stderr
    assert not out.exists(), "a report was written for a run that never started"
