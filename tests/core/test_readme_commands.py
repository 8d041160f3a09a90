"""Every command shown in README.md runs as written (issue #17: the README cannot drift again).

The commands of the README's ``sh`` blocks run in order, through bash, in a temporary directory,
against the node the README's own ``ehc node serve`` starts there. What the test changes, and why:

* placeholders: ``<EHCID>`` and ``<QR text>`` become the EHCID and the dynamic code the README's
  earlier commands returned, ``HOST:PORT`` and ``8080`` the running node's gRPC and HTTP ports;
* ``ehc node serve --http-port 8080`` gets ``--http-port 0 --grpc-port 0`` (any free ports: other
  programs on the machine may hold 8080/50051) and runs until the next ``ehc node serve`` or the end;
* repository paths the README names (``conformance_tests/examples/…``, ``scripts/…``) are linked
  into the temporary directory, as they are there for someone in a checkout;
* ``report/`` for ``ehc certify verify-report`` is a report signed here (a real certification run is
  allow-listed below and runs in another test).

Commands too long, or needing what a test machine lacks, are in ``PARSE_ONLY`` with the reason and
the test that runs them for real: they are parsed by the real click command tree (an unknown
option, a missing required one or a bad choice fails), not run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import pytest

from ehc.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent

# README command prefix -> (why it is only parsed here, where it runs for real)
PARSE_ONLY: dict[str, tuple[str, str]] = {
    "scripts/demo.sh": (
        "installs Debian packages, then `ehc demo` (minutes)",
        "tests/conformance/test_demo.py",
    ),
    "scripts/test.sh": ("the whole CI run", ".ci/run itself"),
    'ehc certify node --target "HOST:PORT': (
        "a full certification (minutes); needs a TLS node for ca=",
        "tests/conformance/test_certify_node_repeatable_tls.py, scripts/test.sh",
    ),
    "ehc certify card": (
        'needs a physical reader ("ACS ACR 00 00")',
        "tests/conformance/test_card_over_pcscd.py",
    ),
    "ehc certify terminal": (
        "my_driver.py is the vendor's own driver",
        "tests/conformance/test_terminal_v2.py",
    ),
    "ehc certify node --api tencent": (
        "a full certification through the envelope (minutes)",
        "tests/conformance/test_certify_node_api.py",
    ),
    "ehc certify his": (
        "my_his_driver.py is the vendor's own HIS driver",
        "tests/conformance/test_his_tencent.py",
    ),
    "ehc load bench": ("3 interleaved load pairs (minutes)", "tests/load_tests/test_load_bench.py"),
    "ehc card emulate": (
        "runs until Ctrl-C and needs pcscd with vpcd",
        "tests/card_emulators/pcsc/test_pcsc_cli.py",
    ),
    'ehc card read --reader "00 00"': (
        "needs the emulated card in pcscd",
        "tests/card_emulators/pcsc/test_pcsc_cli.py",
    ),
}


def _strip_comment(line: str) -> str:
    """The line without its shell comment (a # outside quotes, at a word start)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def readme_commands(text: str) -> list[str]:
    """The commands of the README's ``sh`` blocks, continuation lines joined, comments dropped."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        pending = ""
        for raw in block.splitlines():
            line = _strip_comment(raw) if not pending else _strip_comment(raw).strip()
            if line.endswith("\\"):
                pending += line[:-1].rstrip() + " "
                continue
            command = (pending + line).strip()
            pending = ""
            if command:
                commands.append(command)
    return commands


def parse_only(command: str) -> None:
    """Parse an ``ehc`` command line with the real command tree, without running it."""
    argv = shlex.split(command)
    if argv[0] != "ehc":
        assert Path(ROOT / argv[0]).is_file(), f"{argv[0]} does not exist"
        subprocess.run(["bash", "-n", str(ROOT / argv[0])], check=True)
        return
    cmd: click.Command = main
    ctx = main.make_context("ehc", argv[1:])
    while isinstance(cmd, click.Group):
        name, sub, rest = cmd.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        assert sub is not None, f"no command {name}"
        cmd, ctx = sub, sub.make_context(name or "", rest, parent=ctx)


class Readme:
    """Runs README commands in a temporary directory; keeps the values later commands refer to."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = dict(
            os.environ,
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            EHC_NODE_HOME=str(work / ".ehc-node"),
            PYTHONUNBUFFERED="1",
        )
        self.values: dict[str, str] = {}
        self.server: subprocess.Popen[str] | None = None
        self.drain: threading.Thread | None = None
        self.startup = ""

    def substitute(self, command: str) -> str:
        for placeholder, value in self.values.items():
            command = command.replace(placeholder, value)
        return command

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command], cwd=self.work, env=self.env, capture_output=True, text=True, timeout=120
        )

    def serve(self, command: str) -> None:
        self.stop()
        assert "--http-port 8080" in command, command
        command = command.replace("--http-port 8080", "--http-port 0 --grpc-port 0")
        self.server = subprocess.Popen(
            ["bash", "-c", "exec " + command], cwd=self.work, env=self.env, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert self.server.stderr is not None
        while time.monotonic() < deadline and self.server.poll() is None:
            lines.append(self.server.stderr.readline())
            if lines[-1].startswith("  API docs:"):  # the last line before the envelopes
                break
        for _ in range(command.split().count("--api")):  # one line per envelope follows
            lines.append(self.server.stderr.readline())
        self.startup = "".join(lines)
        # keep reading the node's log, or a full pipe would block it
        self.drain = threading.Thread(target=self.server.stderr.read, daemon=True)
        self.drain.start()
        found = re.search(r"grpc (\S+?)(?: \(\d+ processes\))?, http http://[^:]+:(\d+)", self.startup)
        assert found, f"{command}: no start-up line:\n{self.startup}"
        self.values["HOST:PORT"], self.values["8080"] = found.group(1), found.group(2)

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)
            if self.drain is not None:
                self.drain.join(timeout=10)  # the pipe ends with the node
                self.drain = None
            if self.server.stderr:
                self.server.stderr.close()
            self.server = None


@pytest.fixture
def readme(tmp_path: Path):
    for name in ("conformance_tests", "scripts"):
        (tmp_path / name).symlink_to(ROOT / name)
    r = Readme(tmp_path)
    try:
        yield r
    finally:
        r.stop()


def _sign_report(directory: Path) -> None:
    from conformance_tests.reportsign import load_lab_key, sign_directory

    directory.mkdir()
    (directory / "report.json").write_text(json.dumps({"verdict": "PASS", "note": "README test"}), "utf-8")
    key, label, test_only = load_lab_key(None)
    sign_directory(directory, key, label, test_only)


def test_every_readme_command_runs_as_written(readme: Readme) -> None:
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert len(commands) >= 25, commands
    used: set[str] = set()
    ran: list[str] = []
    for written in commands:
        prefix = next((p for p in PARSE_ONLY if written.startswith(p)), None)
        if prefix is not None:
            used.add(prefix)
            try:
                with contextlib.chdir(readme.work):  # the files earlier commands made
                    parse_only(readme.substitute(written))
            except (click.ClickException, subprocess.CalledProcessError, AssertionError) as exc:
                pytest.fail(f"README command does not parse: {written}\n{exc}")
            continue
        command = readme.substitute(written)
        if written.startswith("ehc node serve"):
            readme.serve(written)
            ran.append(written)
            if "--api" in written:  # "prints each envelope's URL"
                for api in ("tencent", "qinghai", "sichuan"):
                    assert f"{api} envelope: http://" in readme.startup, readme.startup
            continue
        if written.startswith("ehc certify verify-report"):
            _sign_report(readme.work / "report")
        result = readme.run(command)
        assert result.returncode == 0, f"README command failed: {written}\n{result.stdout}\n{result.stderr}"
        ran.append(written)
        _check_claim(readme, written, result.stdout)
    assert used == set(PARSE_ONLY), f"allow-list entries no README command uses: {set(PARSE_ONLY) - used}"
    assert len(ran) >= 14, ran


def _check_claim(readme: Readme, written: str, out: str) -> None:
    """What the README's comments say a command prints, and the values later commands use."""
    if written.startswith("ehc node client register"):
        card = json.loads(out)["card"]
        readme.values["<EHCID>"] = card["ehcid"]
        assert json.loads(out)["qr_text"] == card["ehcid"] + ":1"  # "→ EHCID, static QR text"
    elif written.startswith("ehc node client qr") and "--dynamic" in written:
        text = json.loads(out)["qr_text"]
        assert re.fullmatch(readme.values["<EHCID>"] + r":0:[0-9A-F]{32}", text), text  # sealed validity
        readme.values["<QR text>"] = text
    elif written.startswith("ehc node client suspend"):
        again = readme.run(f"ehc node client verify --qr '{readme.values['<QR text>']}' --scene 0101012")
        assert again.returncode == 1 and "NODE_CARD_SUSPENDED (4302)" in again.stderr, again.stderr
    elif written.startswith("ehc node client identities"):
        assert (readme.work / "certify-client.json").stat().st_mode & 0o077 == 0
    elif written.startswith("ehc card personalise"):
        assert {"card.json", "card.psam.json", "card.keys.json"} <= {p.name for p in readme.work.iterdir()}
    elif written.startswith("ehc qr render"):
        assert out.strip().splitlines()[-1] == readme.values["<EHCID>"] + ":1"  # qr read gives the text back


def test_each_parse_only_command_names_a_test_that_runs_it() -> None:
    for prefix, (reason, where) in PARSE_ONLY.items():
        files = re.findall(r"(?:tests|scripts)/[\w/.-]+\.(?:py|sh)", where)
        assert reason and (files or where == ".ci/run itself"), prefix
        assert all((ROOT / f).is_file() for f in files), (prefix, files)


def test_the_extraction_joins_continuations_and_drops_comments() -> None:
    text = '```sh\nehc a --x "1 # 2" \\\n    --y 3   # note\n# only a comment\nehc b\n```\n'
    assert readme_commands(text) == ['ehc a --x "1 # 2" --y 3', "ehc b"]


def test_a_drifted_command_is_caught() -> None:
    with pytest.raises(click.ClickException):
        parse_only("ehc node client register --no-such-option 1")
    with pytest.raises(click.ClickException):
        parse_only("ehc load bench --target HOST:PORT --scenario no-such-scenario --out load/")
