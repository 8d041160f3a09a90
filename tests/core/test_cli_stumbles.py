"""Stumbles of issue #17 that no other test showed gone: help texts with reStructuredText backticks,
an error message without the expected value, README pointers to files and modules that must exist.

(The others, with the tests that show each gone, are listed in docs/cli.md.)"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import click
from click.testing import CliRunner

from ehc.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _paths(cmd: click.Command, path: list[str]) -> list[list[str]]:
    out = [path]
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            assert sub is not None
            out += _paths(sub, [*path, name])
    return out


def test_help_texts_show_no_markup_backticks() -> None:
    runner = CliRunner()
    marked = []
    for path in _paths(main, []):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        if "`" in result.output:
            line = next(x for x in result.output.splitlines() if "`" in x)
            marked.append(f"ehc {' '.join(path)}: {line.strip()}")
    assert not marked, "\n".join(marked)
    # the docstring said `ehc certify node`: the help says it plainly
    identities = runner.invoke(main, ["node", "client", "identities", "--help"]).output
    assert "identities ehc certify node needs" in " ".join(identities.split())


def test_a_bad_qr_length_says_what_the_length_must_be() -> None:
    result = CliRunner().invoke(main, ["qr", "parse", "ABCDEFG"])
    error = json.loads(result.stderr)["error"]
    assert result.exit_code == 1 and error["code"] == "QR_BAD_LENGTH"
    # the catalogue's rule: static = EHCID + 2, dynamic = EHCID + 35 (64-hex EHCID: 66 and 99)
    assert "7 characters" in error["message"]
    assert re.search(r"static .*EHCID \+ 2 \(66", error["message"]), error["message"]
    assert re.search(r"dynamic .*EHCID \+ 35 \(99", error["message"]), error["message"]


def test_what_the_readme_points_at_exists() -> None:
    """`--declaration`, `--driver` and the documents: the shipped examples the README names."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    modules = re.findall(r"python -m ([\w.]+)", readme)
    assert "conformance_tests.drivers.reference_terminal" in modules
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module
    paths = set(
        re.findall(r"\b((?:conformance_tests|docs|scripts|fixtures|load_tests)/[\w./-]+\.\w+)", readme)
    )
    assert "conformance_tests/examples/declaration-node.toml" in paths
    missing = [p for p in sorted(paths) if not (ROOT / p).exists()]
    assert not missing, missing
