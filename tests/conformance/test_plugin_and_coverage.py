"""Plugin rules (unknown ids, missing markers), coverage check, masking, CLI listings."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
from click.testing import CliRunner

from conformance_tests.catalogue import REQUIREMENTS_DIR, load_catalogue
from conformance_tests.cli import certify
from conformance_tests.coverage import coverage
from conformance_tests.masking import mask_apdu_hex, mask_text


def _run_suite(tmp_path, body: str) -> int:
    test_file = tmp_path / f"test_dut_{tmp_path.name}.py"  # unique module name per in-process run
    test_file.write_text(textwrap.dedent(body), encoding="utf-8")
    return pytest.main(
        [str(test_file), "-p", "conformance_tests.plugin", "--ehc-role=codec", "-q", "-p", "no:cacheprovider"]
    )


def test_unknown_requirement_id_is_a_collection_error(tmp_path):
    code = _run_suite(
        tmp_path,
        """
        import pytest

        @pytest.mark.requirement("QR-TEXT-001", "QR-TEXT-999")
        def test_x():
            pass
        """,
    )
    assert code == pytest.ExitCode.USAGE_ERROR


def test_a_conformance_test_without_requirements_is_an_error(tmp_path):
    code = _run_suite(tmp_path, "def test_x():\n    pass\n")
    assert code == pytest.ExitCode.USAGE_ERROR


def test_a_test_with_known_ids_runs(tmp_path):
    code = _run_suite(
        tmp_path,
        """
        import pytest

        @pytest.mark.requirement("QR-TEXT-001")
        def test_x(transcript):
            transcript.note("checked")
        """,
    )
    # the run itself fails: every other codec must-requirement is untested by this one-test suite
    assert code == pytest.ExitCode.TESTS_FAILED


def test_coverage_lists_gaps_and_accepts_out_of_scope_reasons(tmp_path):
    d = tmp_path / "requirements"
    shutil.copytree(REQUIREMENTS_DIR, d)
    (d / "extra.toml").write_text(
        '[[requirement]]\nid = "QR-TEXT-901"\ntext = "untested"\nsource = "DIGEST §1.3"\nlevel = "must"\n'
        'roles = ["codec"]\nprofiles = ["national"]\nstatus = "confirmed"\n\n'
        '[[requirement]]\nid = "QR-TEXT-902"\ntext = "out"\nsource = "DIGEST §1.3"\nlevel = "must"\n'
        'roles = ["codec"]\nprofiles = ["national"]\nstatus = "confirmed"\nout_of_scope = "needs a camera rig"\n',
        encoding="utf-8",
    )
    result = coverage(load_catalogue(d), role="codec")
    assert result.uncovered == ["QR-TEXT-901"]
    assert result.out_of_scope == {"QR-TEXT-902": "needs a camera rig"}
    assert not result.ok
    assert "QR-TEXT-001" in result.tests_by_requirement


def test_coverage_of_every_role_is_complete():
    for role in ("codec", "card", "psam", "node", "terminal", "his"):
        result = coverage(role=role)
        assert result.uncovered == [], f"{role}: {result.uncovered}"
        assert not result.collection_errors


def test_coverage_command_output_and_exit_code(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        certify, ["coverage", "--role", "codec", "--csv", str(tmp_path / "cov.csv"), "--json"]
    )
    data = json.loads(result.output)
    assert result.exit_code == (0 if data["ok"] else 1)
    assert data["uncovered"] == []
    rows = (tmp_path / "cov.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "requirement,status,tests_or_reason"
    assert any(r.startswith("QR-TEXT-001,covered,") for r in rows)
    whole = runner.invoke(certify, ["coverage"])
    assert whole.exit_code in (0, 1) and "UNCOVERED" in whole.output


def test_requirements_and_profiles_listings():
    runner = CliRunner()
    listed = runner.invoke(certify, ["requirements", "--role", "card", "--profile", "national", "--json"])
    assert listed.exit_code == 0
    ids = [r["id"] for r in json.loads(listed.output)]
    assert "CARD-APDU-001" in ids and all("card" in r["roles"] for r in json.loads(listed.output))
    profiles = runner.invoke(certify, ["profiles"])
    assert "shandong-jining -> national" in profiles.output


def test_masking_of_identifiers():
    text = mask_text("id 11010519491231002X ehcid " + "AB" * 32 + " phone 13812345678 bc A123456789")
    assert "11010519491231002X" not in text and "AB" * 32 not in text
    assert "13812345678" not in text and "A123456789" not in text
    masked = mask_apdu_hex(("0F12" + b"11010519491231002X".hex()).upper())
    assert b"11010519491231002X".hex().upper() not in masked and masked.startswith("0F12")


def test_transcript_keeps_head_and_the_final_replay():
    from conformance_tests.transcript import HEAD_STEPS, TAIL_STEPS, Transcript

    t = Transcript()
    total = HEAD_STEPS + TAIL_STEPS + 500
    for i in range(total):
        t.apdu(bytes.fromhex("00B2010400"), f"step {i}".encode() + b"\x90\x00")
    steps = t.to_list()
    assert len(steps) == HEAD_STEPS + TAIL_STEPS + 1
    assert steps[HEAD_STEPS]["text"] == "... 500 steps not kept ..."
    assert bytes.fromhex(steps[-1]["response"]) == f"step {total - 1}".encode()
    assert steps[-1]["sw"] == "9000"
