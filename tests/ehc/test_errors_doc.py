"""docs/errors.md is generated from the registry; this fails when it is stale."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ehc.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_errors_md_is_current() -> None:
    result = CliRunner().invoke(main, ["errors", "--markdown"])
    assert result.exit_code == 0
    assert DOC.exists(), "docs/errors.md missing: run `ehc errors --markdown > docs/errors.md`"
    assert DOC.read_text(encoding="utf-8") == result.stdout, (
        "docs/errors.md is stale: run `ehc errors --markdown > docs/errors.md`"
    )


def test_markdown_has_one_row_per_code() -> None:
    from ehc.errors import all_codes

    out = CliRunner().invoke(main, ["errors", "--markdown"]).stdout
    rows = [line for line in out.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == len(all_codes())
    assert "| 1007 | `ID_BAD_CHECKSUM` | identifier |" in out
