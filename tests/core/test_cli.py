"""The `ehc` command: lazy subcommands, and a clear message instead of a crash for a missing one."""

import subprocess
import sys

from click.testing import CliRunner

from ehc import cli


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    for name in cli.COMMANDS:
        assert name in result.output


def test_unavailable_subcommand_exits_3_with_reason(monkeypatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "ghost", "no_such_module_xyz:cmd")
    result = CliRunner().invoke(cli.main, ["ghost", "--anything"])
    assert result.exit_code == 3
    assert "no_such_module_xyz" in result.output


def test_installed_entry_point_runs_id_check() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "ehc.cli", "id", "check", "11010519491231002X"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and ok.stdout.strip() == "11010519491231002X"
    bad = subprocess.run(
        [sys.executable, "-m", "ehc.cli", "id", "check", "110105194912310021"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1 and "ID_BAD_CHECKSUM" in bad.stderr
