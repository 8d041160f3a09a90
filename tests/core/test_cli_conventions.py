"""The kit's one CLI convention (docs/cli.md), checked over the whole `ehc` command tree (issue #17).

A violation fails here: the same thing under two option names, a group option that only works
before the subcommand, a command that prints a record without ``--json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ehc.cli import main

# Spellings retired for one name per concept: each may live on only as a hidden deprecated alias.
RETIRED = {
    "--output": "--out",
    "--json-errors": "--json",
    "--credentials": "--client-file",
    "--db-url": "--db",
    "--region": "--area",
    "--client": "--client-file",
    "--data": "--data-dir",
    "--datadir": "--data-dir",
    "--outdir": "--out",
    "--out-dir": "--out",
    "--output-dir": "--out",
    "--host-port": "--target",
    "--node": "--target",
    "--server": "--target",
    "--silent": "--quiet",
    "--database": "--db",
    "--profile-name": "--profile",
    "--people": "--count",
}

# Commands that print no record (so no --json), each with the reason.
NO_RECORD = {
    "ehc certify card": "runs a suite: the verdict is the exit status, the record is --out/report.json",
    "ehc certify codec": "runs a suite: the verdict is the exit status, the record is --out/report.json",
    "ehc certify his": "runs a suite: the verdict is the exit status, the record is --out/report.json",
    "ehc certify node": "runs a suite: the verdict is the exit status, the record is --out/report.json",
    "ehc certify psam": "runs a suite: the verdict is the exit status, the record is --out/report.json",
    "ehc certify terminal": "runs a suite: the verdict is the exit status, the record is --out/report.json",
    "ehc fixtures institutions": "prints the data set itself (JSON lines)",
    "ehc fixtures keys": "prints the key file itself (JSON)",
    "ehc load echo-server": "a server in the foreground",
    "ehc load worker": "a Locust worker process in the foreground",
    "ehc node frontend": "a server; --status prints its JSON",
    "ehc node serve": "a server: the start-up lines name its addresses",
    "ehc qr render": "writes an image (or terminal text); prints its path",
}

# Names that are a flag in one command and take a value in another, each with the reason.
MIXED_KIND = {
    "--listen": "card emulate: reverse vpcd mode on --host/--port (a flag); certify his: the HOST:PORT "
    "the kit's node listens on for the HIS. Both mean 'listen instead of dial'",
    "--birth-certificate": "id check: treat NUMBER as a birth-certificate number (a flag); node client "
    "newborn: the certificate number itself",
}

# Hidden options that are not deprecated aliases, each with the reason.
HIDDEN = {("ehc demo", "--fail-stage"): "fault injection for the demo's own failure tests"}


def _walk(
    cmd: click.Command, path: str, parent: click.Context | None = None
) -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(cmd, info_name=path.split()[-1], parent=parent)
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            assert sub is not None and "unavailable" not in (sub.help or ""), (
                f"{path} {name}: {sub and sub.help}"
            )
            yield from _walk(sub, f"{path} {name}", ctx)


TREE = dict(_walk(main, "ehc"))


def _options(cmd: click.Command) -> list[click.Option]:
    return [p for p in cmd.params if isinstance(p, click.Option) and "--help" not in p.opts]


def test_the_tree_is_walked_whole() -> None:
    assert len(TREE) > 80 and "ehc node client register" in TREE and "ehc load bench" in TREE


def test_group_options_work_after_the_subcommand_too() -> None:
    problems = []
    for path, cmd in TREE.items():
        if not isinstance(cmd, click.Group):
            continue
        for opt in _options(cmd):
            if "--version" in opt.opts:
                continue
            for name, sub in cmd.commands.items():
                if not any(o.name == opt.name and set(o.opts) == set(opt.opts) for o in _options(sub)):
                    problems.append(f"{path} {opt.opts[0]} is not accepted after `{name}`")
    assert not problems, "\n".join(problems)


def test_a_group_option_typed_after_the_subcommand_is_used(tmp_path: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(
        main, ["node", "client", "--client-file", str(tmp_path / "a.json"), "get", "--ehcid", "X"]
    )
    after = runner.invoke(
        main, ["node", "client", "get", "--ehcid", "X", "--client-file", str(tmp_path / "b.json")]
    )
    both = runner.invoke(
        main, ["node", "client", "--client-file", str(tmp_path / "a.json"), "get", "--ehcid", "X", "--client-file",
               str(tmp_path / "c.json"), "--json"],
    )  # fmt: skip
    assert before.exit_code == after.exit_code == both.exit_code == 1
    assert "a.json" in before.output and "b.json" in after.output
    # typed after the subcommand wins; --json (a group option too) turns the error into JSON
    assert json.loads(both.output)["error"]["code"] == "NODE_CONFIG_INVALID" and "c.json" in both.output


def test_one_name_per_concept() -> None:
    problems = []
    for path, cmd in TREE.items():
        for opt in _options(cmd):
            if opt.hidden:
                continue
            for spelling in opt.opts + opt.secondary_opts:
                if spelling in RETIRED:
                    problems.append(f"{path}: {spelling} (the kit's name is {RETIRED[spelling]})")
    assert not problems, "\n".join(problems)


def test_a_name_means_one_kind_of_option() -> None:
    """--json is a flag everywhere, --out always takes a value: a name never switches between the two."""
    kinds: dict[str, dict[bool, str]] = {}
    for path, cmd in TREE.items():
        for opt in _options(cmd):
            for spelling in opt.opts:
                if spelling.startswith("--"):
                    kinds.setdefault(spelling, {}).setdefault(bool(opt.is_flag), path)
    mixed = {name: where for name, where in kinds.items() if len(where) > 1 and name not in MIXED_KIND}
    assert not mixed, mixed


def test_every_command_printing_a_record_takes_json() -> None:
    leaves = {path: cmd for path, cmd in TREE.items() if not isinstance(cmd, click.Group)}
    missing = [
        p
        for p, cmd in leaves.items()
        if p not in NO_RECORD and not any("--json" in o.opts for o in _options(cmd))
    ]
    assert not missing, f"add --json (ehc.clitools.json_option) or list with a reason in NO_RECORD: {missing}"
    stale = [p for p in NO_RECORD if p not in leaves or any("--json" in o.opts for o in _options(leaves[p]))]
    assert not stale, f"NO_RECORD entries to drop: {stale}"
    for path, cmd in leaves.items():
        for opt in _options(cmd):
            if "--json" in opt.opts:
                assert opt.is_flag and opt.name == "as_json", path


def test_hidden_options_are_deprecated_aliases_of_a_visible_option() -> None:
    problems = []
    for path, cmd in TREE.items():
        visible = {s for o in _options(cmd) if not o.hidden for s in o.opts}
        for opt in _options(cmd):
            if not opt.hidden or (path, opt.opts[0]) in HIDDEN:
                continue
            target = getattr(opt, "deprecated_alias_of", None)
            if target is None or target not in visible:
                problems.append(
                    f"{path} {opt.opts[0]}: hidden but not a deprecated alias of a visible option"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["fixtures", "population", "-n", "2", "--seed", "3", "--region", "370800"],
         ["fixtures", "population", "-n", "2", "--seed", "3", "--area", "370800"]),
        (["fixtures", "keys", "--seed", "1", "--output", "{tmp}/k.json"],
         ["fixtures", "keys", "--seed", "1", "--out", "{tmp}/k.json"]),
    ],
)  # fmt: skip
def test_a_deprecated_spelling_works_and_says_so_in_one_line(
    tmp_path: Path, old: list[str], new: list[str]
) -> None:
    runner = CliRunner()
    args_old = [a.replace("{tmp}", str(tmp_path / "old")) for a in old]
    args_new = [a.replace("{tmp}", str(tmp_path / "new")) for a in new]
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    a, b = runner.invoke(main, args_old), runner.invoke(main, args_new)
    assert a.exit_code == b.exit_code == 0, (a.output, a.stderr, b.stderr)
    assert a.stdout == b.stdout
    notices = [line for line in a.stderr.splitlines() if "is deprecated" in line]
    assert len(notices) == 1 and old[-2] in notices[0] and new[-2] in notices[0]
    assert "is deprecated" not in b.stderr
    if "keys" in old:
        assert (tmp_path / "old" / "k.json").read_text() == (tmp_path / "new" / "k.json").read_text()


def test_a_required_option_given_by_its_old_spelling_is_satisfied(tmp_path: Path) -> None:
    out = tmp_path / "code.svg"
    result = CliRunner().invoke(main, ["qr", "render", "AB" * 32 + ":1", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<") and "--output is deprecated, use --out" in result.stderr


def test_the_convention_is_written_down() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in ("--target", "--client-file", "--profile", "--out", "--json", "--data-dir", "EHC_NODE_HOME"):
        assert f"`{name}" in text, name


def test_certify_node_takes_the_client_file_by_the_kit_s_one_name(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = tmp_path / "no-such-client.json"
    spec = runner.invoke(
        main, ["certify", "node", "--target", f"127.0.0.1:5;client={missing}", "--out", str(tmp_path / "a")]
    )
    named = runner.invoke(
        main,
        [
            "certify",
            "node",
            "--target",
            "127.0.0.1:5",
            "--client-file",
            str(missing),
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert spec.exit_code == named.exit_code == 2 and str(missing) in named.stderr
    assert spec.stderr == named.stderr  # the same check of the same file, before any test
    both = runner.invoke(
        main,
        [
            "certify",
            "node",
            "--target",
            f"h:1;client={missing}",
            "--client-file",
            "x",
            "--out",
            str(tmp_path / "c"),
        ],
    )
    assert both.exit_code == 2 and "--client-file" in both.stderr


# Commands that run long and show progress: each can be quiet.
LONG_RUNNING = [
    "ehc certify card", "ehc certify codec", "ehc certify his", "ehc certify node", "ehc certify psam",
    "ehc certify terminal", "ehc load bench", "ehc load run", "ehc node import",
]  # fmt: skip


def test_every_long_running_command_can_be_quiet() -> None:
    loud = [p for p in LONG_RUNNING if not any("--quiet" in o.opts and o.is_flag for o in _options(TREE[p]))]
    assert not loud, loud


def test_a_deprecated_flag_spelling_sets_the_flag() -> None:
    result = CliRunner().invoke(
        main, ["fixtures", "population", "-n", "1", "--area", "123456", "--json-errors"]
    )
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and lines[0] == "ehc: --json-errors is deprecated, use --json"
    assert json.loads(lines[1])["error"]["code"] == "FIXTURES_BAD_REGION"
