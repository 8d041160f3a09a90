"""``--reader NAME`` alone: the card adapter finds the lab PSAM in the other reader, or uses the kit's
TEST-ONLY PSAM when told (``;psam=emulated``), or refuses in one line that says how to fix it.
Real parts: a private pcscd with the vpcd driver, the emulated card and PSAM behind vpcd, pyscard in
a separate ``ehc certify`` process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from card_emulators.pcscd import PcscdHarness, unavailable_reason
from card_emulators.personalise import DEFAULT_PUK
from card_emulators.transports.vpcd import VpcdClient
from conformance_tests.adapters.card import PUK_ENV, EmulatedCard, make
from conformance_tests.errors import ADAPTER_UNKNOWN
from conformance_tests.transcript import TranscriptHolder
from ehc.errors import EhcError


class _Run:
    holder = TranscriptHolder()


def _certify(
    harness: PcscdHarness, role: str, spec: str, out: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ehc.cli", "certify", role, "--reader", spec, "--out", str(out)]
        + ["--max-examples", "2", "--quiet"],
        env={**harness.client_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


_CHECK = """
import json, sys
from conformance_tests.adapters.card import check_lab_psam
from ehc.errors import EhcError
try:
    print(json.dumps({"psam": check_lab_psam(sys.argv[1])}))
except EhcError as exc:
    print(json.dumps({"error": exc.code.name, "message": exc.message}))
"""


def _check_lab_psam(harness: PcscdHarness, reader: str) -> dict:
    """``check_lab_psam`` (the pre-flight hook) in a fresh process pointed at this pcscd."""
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, reader],
        env=harness.client_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _failing(out: Path) -> list[str]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return [r["id"] for r in report["requirements"] if r["verdict"] == "fail"]


@pytest.fixture
def pcscd():
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"real PC/SC path unavailable here: {reason}")
    with PcscdHarness() as harness:
        yield harness


def _plug(harness: PcscdHarness, *cards: tuple[int, object]) -> list[VpcdClient]:
    clients = [
        VpcdClient(card, port=harness.vpcd_port(slot), name=f"slot{slot}").start() for slot, card in cards
    ]
    assert all(c.wait_connected(10) for c in clients)
    assert all(harness.wait_card(slot) for slot, _ in cards)
    return clients


@pytest.mark.pcscd
def test_card_reader_alone_finds_the_psam_in_the_other_reader(pcscd, tmp_path):
    emulated = EmulatedCard(_Run())
    clients = _plug(pcscd, (0, emulated.card), (1, emulated.psam_card))
    try:
        assert _check_lab_psam(pcscd, pcscd.reader_name(0)) == {"psam": pcscd.reader_name(1)}
        assert _check_lab_psam(pcscd, pcscd.reader_name(1)) == {"psam": None}  # the PSAM itself
        done = _certify(pcscd, "card", pcscd.reader_name(0), tmp_path / "card")
    finally:
        for c in clients:
            c.stop()
    assert done.returncode == 0 and _failing(tmp_path / "card") == [], (
        done.stdout[-2000:] + done.stderr[-2000:]
    )
    report = json.loads((tmp_path / "card" / "report.json").read_text(encoding="utf-8"))
    assert report["dut"]["adapter"] == "card:pcsc"


@pytest.mark.pcscd
def test_psam_reader_alone_certifies_the_psam(pcscd, tmp_path):
    emulated = EmulatedCard(_Run())
    clients = _plug(pcscd, (1, emulated.psam_card))
    try:
        # behind vpcd the kit's PSAM is, to `--reader`, a real one: the lab gives its PUK, or PSAM-011
        # (the PIN blocks) is not tested and the run does not pass (test_run_keys_and_psam_puk.py)
        puk = {PUK_ENV: DEFAULT_PUK}
        done = _certify(pcscd, "psam", pcscd.reader_name(1), tmp_path / "psam", puk)
    finally:
        for c in clients:
            c.stop()
    assert done.returncode == 0 and _failing(tmp_path / "psam") == [], (
        done.stdout[-2000:] + done.stderr[-2000:]
    )


@pytest.mark.pcscd
def test_no_psam_anywhere_is_one_line_that_says_how_to_fix_it(pcscd, tmp_path):
    emulated = EmulatedCard(_Run())
    clients = _plug(pcscd, (0, emulated.card))
    try:
        checked = _check_lab_psam(pcscd, pcscd.reader_name(0))
        assert checked["error"] == "ADAPTER_UNAVAILABLE" and "psam=emulated" in checked["message"]
        refused = _certify(pcscd, "card", pcscd.reader_name(0), tmp_path / "refused")
        with_kit_psam = _certify(pcscd, "card", f"{pcscd.reader_name(0)};psam=emulated", tmp_path / "kit")
    finally:
        for c in clients:
            c.stop()
    # exit 3 before any test (pre-flight), one line on stderr that names the fix
    assert refused.returncode == 3 and not (tmp_path / "refused" / "report.json").exists(), refused.stderr
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{pcscd.reader_name(0)};psam=PSAM READER" in lines[0], refused.stderr
    assert "psam=emulated" in lines[0]
    # the card was personalised with the kit's TEST-ONLY keys: the kit's PSAM authenticates it
    assert with_kit_psam.returncode == 0 and _failing(tmp_path / "kit") == [], with_kit_psam.stderr[-2000:]


@pytest.mark.parametrize("spec", ["", ";psam=x", "Reader 0;psam=", "Reader 0;key=1", "reader:"])
def test_unreadable_reader_specs_are_usage_errors(spec):
    run = SimpleNamespace(holder=TranscriptHolder(), role="card")
    with pytest.raises(EhcError) as caught:
        make(spec, run)
    assert caught.value.code is ADAPTER_UNKNOWN
