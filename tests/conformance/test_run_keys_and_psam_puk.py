"""H6: a terminal run's cards and PSAM carry keys made for that run; PSAM-011 never bricks a PSAM.

* The terminal adapter issues its cards and PSAM under random master keys (and a random issuer
  key and PSAM PIN): two runs name different key check values, no key reaches the report, and a
  terminal with the kit's published TEST-ONLY keys built in (rt3-builtin-test-keys: decoy PSAM
  commands, its own cryptogram) fails TERM-003 while it passed against the fixed keys.
* PSAM-011 blocks the PIN: it runs on a real PSAM only with the PUK the lab gave ($EHC_PSAM_PUK),
  otherwise it is not tested with the reason and the run does not pass; a malformed PUK stops the
  run before any test (exit 2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from card_emulators.personalise import CardKeys
from conformance_tests.adapters.card import PUK_ENV, lab_puk
from conformance_tests.errors import DUT_SPEC_INVALID
from conformance_tests.runner import RunOptions, run_with_result
from ehc.errors import EhcError


# ------------------------------------------------------------------------------ run-specific keys
def test_generated_key_sets_are_random_and_named_by_a_check_value_only():
    a, b = CardKeys.generate(), CardKeys.generate()
    assert a.masters.keys() == CardKeys.test_only().masters.keys()
    assert all(a.masters[i] != b.masters[i] for i in a.masters) and a.security_code_key != b.security_code_key
    assert a.check_value() != b.check_value() and len(a.check_value()) == 6
    assert a.masters[0x4731].hex() not in repr(a)


def _terminal(tmp_path: Path, dut: str, name: str) -> tuple[int, dict, str]:
    out = tmp_path / name
    code, _ = run_with_result(
        RunOptions(role="terminal", dut=dut, out=str(out), quiet=True, select="psam_authentication")
    )
    text = (out / "report.json").read_text(encoding="utf-8")
    return code, json.loads(text), text


def test_each_terminal_run_has_its_own_keys_and_a_soft_sam_with_the_kit_keys_fails(tmp_path):
    _, first, _ = _terminal(tmp_path, "reference", "one")
    _, second, _ = _terminal(tmp_path, "reference", "two")
    for report in (first, second):
        verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
        assert verdicts["TERM-003"] == verdicts["CARD-AUTH-007"] == "pass"
        assert report["dut"]["card_keys"].startswith("run-specific, random (key check value ")
    assert first["dut"]["card_keys"] != second["dut"]["card_keys"]
    # the keys of the kit's published seed are not what the run's cards carry
    published = CardKeys.test_only("conformance").check_value()
    assert published not in first["dut"]["card_keys"]

    _, mutant, _ = _terminal(tmp_path, "mutant:rt3-builtin-test-keys", "mutant")
    failed = {r["id"]: r["reason"] for r in mutant["requirements"] if r["verdict"] == "fail"}
    assert "TERM-003" in failed and "did not make" in failed["TERM-003"], failed


# ------------------------------------------------------------------------------ PSAM-011 and the PUK
def test_lab_puk_comes_from_the_environment_only(monkeypatch):
    monkeypatch.delenv(PUK_ENV, raising=False)
    assert lab_puk() is None
    monkeypatch.setenv(PUK_ENV, " 87654321 ")
    assert lab_puk() == "87654321"
    for bad in ("12ab5678", "123", "1" * 17, "１２３４５６７８"):
        monkeypatch.setenv(PUK_ENV, bad)
        with pytest.raises(EhcError) as err:
            lab_puk()
        assert err.value.code == DUT_SPEC_INVALID and bad not in str(err.value)


def test_a_malformed_puk_stops_the_psam_run_before_any_test(tmp_path):
    env = {**os.environ, PUK_ENV: "12-34"}
    done = subprocess.run(
        [sys.executable, "-m", "ehc.cli", "certify", "psam", "--out", str(tmp_path / "r")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and PUK_ENV in done.stderr and "12-34" not in done.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.pcscd
def test_psam_011_on_a_psam_in_a_reader_runs_only_with_the_labs_puk(tmp_path):
    """The kit's emulated PSAM behind vpcd is, to `ehc certify psam --reader NAME`, a real PSAM:
    without $EHC_PSAM_PUK PSAM-011 is not tested (reason printed and in the report, run not
    passed) and the PIN is left working; with the PUK it runs, blocks and unblocks."""
    from card_emulators.pcscd import PcscdHarness, unavailable_reason
    from card_emulators.personalise import DEFAULT_PIN, DEFAULT_PUK
    from card_emulators.transports.vpcd import VpcdClient
    from conformance_tests.adapters.card import EmulatedCard
    from conformance_tests.transcript import TranscriptHolder

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"real PC/SC path unavailable here: {reason}")

    class _Run:
        holder = TranscriptHolder()

    emulated = EmulatedCard(_Run())
    runs = {}
    with PcscdHarness() as harness:
        client = VpcdClient(emulated.psam_card, port=harness.vpcd_port(0), name="psam").start()
        try:
            assert client.wait_connected(10) and harness.wait_card(0)
            for name, puk in (("no-puk", None), ("puk", DEFAULT_PUK)):
                env = {k: v for k, v in harness.client_env().items() if k != PUK_ENV}
                if puk:
                    env[PUK_ENV] = puk
                out = tmp_path / name
                done = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "ehc.cli",
                        "certify",
                        "psam",
                        "--reader",
                        harness.reader_name(0),
                        "--out",
                        str(out),
                        "-k",
                        "retry_counter",
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                report = json.loads((out / "report.json").read_text(encoding="utf-8"))
                psam_011 = next(r for r in report["requirements"] if r["id"] == "PSAM-011")
                runs[name] = (done, psam_011, (out / "report.json").read_text(encoding="utf-8"))
                pin = bytes.fromhex(DEFAULT_PIN)
                if not emulated.psam_card.powered:  # pcscd powered it down when the run let go
                    emulated.psam_card.powerUp()
                status = emulated.psam_card.transmit(bytes([0x00, 0x20, 0x00, 0x00, len(pin)]) + pin)
                assert status[-2:] == b"\x90\x00", f"{name}: the PSAM's PIN no longer opens it"
        finally:
            client.stop()
    done, verdict, text = runs["no-puk"]
    assert verdict["verdict"] == "not-tested" and verdict["gating"], verdict
    printed = [line for line in done.stdout.splitlines() if "not tested: PSAM-011" in line]
    assert PUK_ENV in verdict["reason"] and printed and PUK_ENV in printed[0], done.stdout[-1500:]
    assert done.returncode == 1  # a gating requirement not tested: the run does not pass
    assert not [c for c in _commands(text) if c[2:4] in ("20", "2C")]  # no VERIFY, no unblock sent
    done, verdict, text = runs["puk"]
    assert verdict["verdict"] == "pass", (verdict, done.stdout[-1500:])
    unblocks = [c for c in _commands(text) if c.startswith("002C")]
    assert unblocks == ["002C010004"], unblocks  # sent, and recorded without the PUK


def _commands(report_text: str) -> list[str]:
    report = json.loads(report_text)
    return [s["command"] for t in report["tests"] for s in t["transcript"] if s["kind"] == "apdu"]
