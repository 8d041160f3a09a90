"""`ehc card` commands: personalise -> read in process; emulate into a real pcscd and stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from card_emulators.cli import card as card_cli
from fixtures.population import PopulationConfig, generate


def _person_file(tmp_path: Path) -> tuple[Path, dict]:
    people = [p for p in generate(PopulationConfig(count=20, seed=7)) if p.id_type == "01"]
    path = tmp_path / "people.jsonl"
    path.write_text("".join(p.to_json() + "\n" for p in people), encoding="utf-8")
    return path, json.loads(people[1].to_json())


def test_personalise_then_read_in_process(tmp_path: Path) -> None:
    people, chosen = _person_file(tmp_path)
    runner = CliRunner()
    out = runner.invoke(
        card_cli,
        [
            "personalise",
            "--person",
            str(people),
            "--person-id",
            chosen["person_id"],
            "-o",
            str(tmp_path / "c.json"),
        ],
    )
    assert out.exit_code == 0, out.output
    made = json.loads(out.output)
    keys = Path(made["keys"])
    assert keys.stat().st_mode & 0o777 == 0o600 and "TEST-ONLY" in keys.read_text()
    read = runner.invoke(
        card_cli, ["read", "--emulated", made["card"], "--issuer-key", made["issuer_public_key"]]
    )
    assert read.exit_code == 0, read.output
    result = json.loads(read.output)
    assert result["holder"]["name"] == chosen["name"]
    assert result["holder"]["id_number"] == chosen["id_number"]
    assert result["signature_valid"] is True
    # The kit key file works as --issuer-key too, and a foreign key makes the exit code 4.
    assert (
        runner.invoke(card_cli, ["read", "--emulated", made["card"], "--issuer-key", str(keys)]).exit_code
        == 0
    )
    other = runner.invoke(card_cli, ["personalise", "--person", str(people), "-o", str(tmp_path / "d.json")])
    foreign = json.loads(other.output)["issuer_public_key"]
    mismatch = runner.invoke(card_cli, ["read", "--emulated", made["card"], "--issuer-key", foreign])
    assert mismatch.exit_code == 4 and json.loads(mismatch.output)["signature_valid"] is False


def test_personalise_with_a_fixtures_key_file_is_reproducible(tmp_path: Path) -> None:
    from fixtures.keys import test_keys

    people, _ = _person_file(tmp_path)
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps(test_keys(5)))
    runner = CliRunner()
    atrs = []
    for name in ("a.json", "b.json"):
        out = runner.invoke(
            card_cli,
            ["personalise", "--person", str(people), "-o", str(tmp_path / name), "--keys", str(key_file)],
        )
        assert out.exit_code == 0, out.output
        atrs.append(json.loads(out.output)["atr"])
    assert atrs[0] == atrs[1]
    a_psam = json.loads((tmp_path / "a.psam.json").read_text())
    b_psam = json.loads((tmp_path / "b.psam.json").read_text())
    assert a_psam == b_psam  # same key file -> same PSAM keys


def test_bad_inputs_exit_with_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    out = runner.invoke(card_cli, ["read", "--emulated", str(bad)])
    assert out.exit_code == 1 and "CARD_BAD_IMAGE" in out.output
    out = runner.invoke(card_cli, ["apdu", "--reader", "x", "00A4"])
    assert out.exit_code == 1 and "PCSC_BAD_APDU" in out.output


def test_emulate_serves_pcscd_and_stops_on_sigterm(tmp_path: Path, pcscd) -> None:
    people, chosen = _person_file(tmp_path)
    made = json.loads(
        CliRunner()
        .invoke(
            card_cli,
            [
                "personalise",
                "--person",
                str(people),
                "--person-id",
                chosen["person_id"],
                "-o",
                str(tmp_path / "c.json"),
            ],
        )
        .output
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ehc.cli",
            "card",
            "emulate",
            "--card",
            made["card"],
            "--vpcd",
            "--port",
            str(pcscd.vpcd_port(0)),
            "--psam",
            "--transcript",
            str(tmp_path / "transcript.jsonl"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        result = None
        while time.monotonic() < deadline:
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ehc.cli",
                    "card",
                    "read",
                    "--reader",
                    pcscd.reader_name(0),
                    "--psam-reader",
                    pcscd.reader_name(1),
                    "--issuer-key",
                    made["issuer_public_key"],
                ],
                env=pcscd.client_env(),
                capture_output=True,
                text=True,
                timeout=60,
            )
            if result.returncode == 0:
                break
            time.sleep(0.2)
        assert result is not None and result.returncode == 0, result.stderr if result else "no attempt"
        read = json.loads(result.stdout)
        assert read["holder"]["name"] == chosen["name"]
        assert read["signature_valid"] is True
        # The user card through pcscd, the PSAM emulated in this process from the card's image.
        mixed = subprocess.run(
            [
                sys.executable,
                "-m",
                "ehc.cli",
                "card",
                "read",
                "--reader",
                pcscd.reader_name(0),
                "--emulated",
                made["card"],
                "--issuer-key",
                made["issuer_public_key"],
            ],
            env=pcscd.client_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert mixed.returncode == 0, mixed.stderr
        assert json.loads(mixed.stdout)["holder"]["id_number"] == chosen["id_number"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped;" in err and chosen["id_number"] not in err
    events = [json.loads(line) for line in (tmp_path / "transcript.jsonl").read_text().splitlines()]
    apdus = [e for e in events if e["kind"] == "apdu"]
    assert {e["card"] for e in apdus} == {"user-card", "psam"}
    assert any(e["command"].startswith("0082") and e["response"] == "9000" for e in apdus)
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
