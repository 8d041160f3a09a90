"""The card suite through the real PC/SC path: emulated card and PSAM behind vpcd, a private
pcscd, pyscard in a separate `ehc certify card` process — exactly how a lab certifies a real card."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest

from card_emulators.pcscd import PcscdHarness, unavailable_reason
from card_emulators.transports.vpcd import VpcdClient
from conformance_tests.adapters.card import EmulatedCard
from conformance_tests.transcript import TranscriptHolder


class _Run:
    holder = TranscriptHolder()


@pytest.mark.pcscd
def test_card_certification_through_pcscd(tmp_path):
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"real PC/SC path unavailable here: {reason}")
    emulated = EmulatedCard(_Run())
    waivers = str(resources.files("conformance_tests").joinpath("selftest_waivers.toml"))
    out = tmp_path / "card-report"
    with PcscdHarness() as harness:
        clients = [
            VpcdClient(emulated.card, port=harness.vpcd_port(0), name="card").start(),
            VpcdClient(emulated.psam_card, port=harness.vpcd_port(1), name="psam").start(),
        ]
        try:
            assert all(c.wait_connected(10) for c in clients)
            assert harness.wait_card(0) and harness.wait_card(1)
            spec = f"reader:{harness.reader_name(0)};psam={harness.reader_name(1)}"
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ehc.cli",
                    "certify",
                    "card",
                    "--reader",
                    spec,
                    "--out",
                    str(out),
                    "--max-examples",
                    "3",
                    "--quiet",
                    "--waivers",
                    waivers,
                    "--certification",
                ],
                env=harness.client_env(),
                capture_output=True,
                text=True,
                timeout=600,
            )
        finally:
            for c in clients:
                c.stop()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    failing = [r["id"] for r in report["requirements"] if r["verdict"] == "fail"]
    assert done.returncode == 0 and failing == [], (failing, done.stderr[-2000:])
    assert report["dut"]["adapter"] == "card:pcsc"
    apdus = [s for t in report["tests"] for s in t["transcript"] if s["kind"] == "apdu"]
    assert any(s["command"].startswith("0082") and s["sw"] == "9000" for s in apdus), (
        "no successful EXTERNAL AUTHENTICATE"
    )
