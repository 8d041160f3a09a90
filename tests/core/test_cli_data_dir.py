"""The node's data directory is per user, not per working directory (issue #17, docs/cli.md).

Every subprocess here gets its own XDG_DATA_HOME / EHC_NODE_HOME under tmp_path: nothing is written
into the real user's home (tests/conftest.py points the defaults at a temporary directory too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ehc import userdirs

ROOT = Path(__file__).resolve().parents[2]
EHC = [sys.executable, "-m", "ehc.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EHC_NODE_HOME", "EHC_FRONTEND_HOME")}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path / "home"), **extra)
    return env


def _ehc(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EHC, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def node_in(tmp_path: Path):
    """`ehc node serve` started in directory A with the default data directory; yields (env, A)."""
    started_in = tmp_path / "a"
    started_in.mkdir()
    env = _env(tmp_path)
    proc = subprocess.Popen(
        [*EHC, "node", "serve", "--grpc-port", "0", "--processes", "1"],
        cwd=started_in, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    drain = None
    try:
        deadline, seen = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            line = proc.stderr.readline() if proc.stderr else ""
            seen.append(line)
            if "ehc node listening" in line or proc.poll() is not None:
                break
        assert any("ehc node listening" in s for s in seen), "".join(seen)
        drain = threading.Thread(target=proc.stderr.read, daemon=True)  # a full pipe would block the node
        drain.start()
        yield env, started_in, "".join(seen)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if drain is not None:
            drain.join(timeout=10)
        if proc.stderr:
            proc.stderr.close()


def test_node_client_finds_the_running_node_from_another_directory(tmp_path: Path, node_in) -> None:
    env, started_in, startup = node_in
    home = tmp_path / "xdg" / "ehc" / "node"
    assert f"client file {home / 'client.json'}" in startup  # per-user, not ./var/ehc-node
    elsewhere = tmp_path / "b"
    elsewhere.mkdir()
    reg = _ehc(
        ["node", "client", "register", "--id-number", "370802198001010013", "--name", "张三"], elsewhere, env
    )
    assert reg.returncode == 0, reg.stderr
    ehcid = json.loads(reg.stdout)["card"]["ehcid"]
    got = _ehc(["node", "client", "get", "--ehcid", ehcid, "--json"], elsewhere, env)
    assert got.returncode == 0 and ehcid in got.stdout, got.stderr
    assert not (started_in / "var").exists() and not (elsewhere / "var").exists()
    assert not (tmp_path / "home").exists()  # nothing outside the per-user data location


def test_ehc_node_home_and_data_dir_override_the_default(tmp_path: Path) -> None:
    env = _env(tmp_path, EHC_NODE_HOME=str(tmp_path / "by-env"))
    assert _ehc(["node", "keys", "init"], tmp_path, env).returncode == 0
    assert (tmp_path / "by-env" / "keys.json").is_file()
    assert (
        _ehc(["node", "keys", "init", "--data-dir", str(tmp_path / "by-option")], tmp_path, env).returncode
        == 0
    )
    assert (tmp_path / "by-option" / "keys.json").is_file()
    assert not (tmp_path / "xdg").exists()


def test_an_old_var_directory_is_reported_in_one_line_never_moved(tmp_path: Path) -> None:
    legacy = tmp_path / "var" / "ehc-node"
    legacy.mkdir(parents=True)
    (legacy / "node.db").write_bytes(b"old")
    env = _env(tmp_path)
    first = _ehc(["node", "keys", "init"], tmp_path, env)
    assert first.returncode == 0, first.stderr
    notices = [line for line in first.stderr.splitlines() if "old default data directory" in line]
    assert len(notices) == 1 and "--data-dir var/ehc-node" in notices[0]
    assert (legacy / "node.db").read_bytes() == b"old" and sorted(p.name for p in legacy.iterdir()) == [
        "node.db"
    ]
    assert (tmp_path / "xdg" / "ehc" / "node" / "keys.json").is_file()
    # the new location is in use now: no notice any more
    again = _ehc(["node", "keys", "init", "--force"], tmp_path, env)
    assert again.returncode == 0 and "old default data directory" not in again.stderr


def test_the_test_suite_itself_never_uses_the_real_home() -> None:
    home = Path(os.environ["EHC_NODE_HOME"])
    assert not home.is_relative_to(Path.home()) or Path.home().is_relative_to(Path("/tmp"))
    assert userdirs.node_home() == home
    assert str(userdirs.user_data_home()).startswith(os.environ["XDG_DATA_HOME"])


def test_no_code_reads_the_old_var_directory() -> None:
    """Only ehc/userdirs.py names ./var/ehc-* (to report it); docs and scripts do not send users there."""
    offenders = []
    for folder in ("ehc", "reference_node", "conformance_tests", "load_tests", "card_emulators", "qr_codec",
                   "fixtures", "scripts", "docs"):  # fmt: skip
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".sh", ".md", ".toml") or path.name == "userdirs.py":
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if "var/ehc-node" in text or "var/ehc-frontend" in text:
                offenders.append(str(path.relative_to(ROOT)))
    offenders = [o for o in offenders if o != "docs/cli.md"]  # the migration note
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not offenders and "var/ehc-node" not in readme, offenders
