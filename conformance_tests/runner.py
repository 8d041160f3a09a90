"""Run a role's suites in process (``pytest.main`` with the plugin) and return the outcome."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .plugin import ConformanceRun

SUITES_DIR = Path(__file__).with_name("suites")

#: The suite packages run for each role (a node is also checked on the QR text layer it parses).
ROLE_SUITES: dict[str, tuple[str, ...]] = {
    "codec": ("codec",),
    "card": ("card",),
    "psam": ("psam",),
    "node": ("node",),
    "terminal": ("terminal",),
    "his": ("his",),
    "node-tencent": ("tencent",),
    "node-qinghai": ("qinghai",),
    "node-sichuan": ("sichuan",),
}


@dataclass
class RunOptions:
    role: str
    dut: str = "reference"
    profile: str = "national"
    declaration: str | None = None
    waivers: str | None = None
    out: str | None = None
    certification: bool = False
    seed: int | None = None
    max_examples: int | None = None
    lab_key: str | None = None
    replay: str | None = None
    today: str | None = None
    select: str | None = None  # pytest -k expression (development only)
    quiet: bool = False
    shrink: bool = True  # False: failing Hypothesis examples are not shrunk (the self-test)
    extra: list[str] = field(default_factory=list)


def suite_paths(role: str) -> list[str]:
    paths = [SUITES_DIR / name for name in ROLE_SUITES.get(role, ())]
    return [str(p) for p in paths if p.is_dir()]


def pytest_args(opts: RunOptions) -> list[str]:
    args = [
        *suite_paths(opts.role),
        "-p",
        "conformance_tests.plugin",
        "-p",
        "no:cacheprovider",
        "-c",
        os.devnull,  # ignore the caller's pytest configuration: the run is defined by its options
        "--rootdir",
        str(SUITES_DIR.parent.parent),
        "-q",
        "--no-header",
        "-rN",
        "--tb=short" if not opts.quiet else "--tb=line",
        "-p",
        "no:warnings",
        "-p",
        "no:randomly",
        f"--ehc-role={opts.role}",
        f"--ehc-dut={opts.dut}",
        f"--ehc-profile={opts.profile}",
    ]
    for flag, value in (
        ("--ehc-declaration", opts.declaration),
        ("--ehc-waivers", opts.waivers),
        ("--ehc-out", opts.out),
        ("--ehc-seed", opts.seed),
        ("--ehc-max-examples", opts.max_examples),
        ("--ehc-lab-key", opts.lab_key),
        ("--ehc-replay", opts.replay),
        ("--ehc-today", opts.today),
    ):
        if value is not None:
            args.append(f"{flag}={value}")
    if opts.certification:
        args.append("--ehc-certification")
    if opts.quiet:
        args.append("--ehc-quiet")
    if not opts.shrink:
        args.append("--ehc-no-shrink")
    if opts.select:
        args += ["-k", opts.select]
    return args + list(opts.extra)


def _forget_suite_modules() -> None:
    """Re-import the suites on every in-process run: Hypothesis binds settings (profile, example
    database, seeds) to test functions when they are decorated, i.e. at import."""
    for name in [m for m in sys.modules if m.startswith("conformance_tests.suites.")]:
        del sys.modules[name]


class _Capture:
    """Keeps the finished run (verdicts) for callers such as the self-test."""

    def __init__(self) -> None:
        self.run: ConformanceRun | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from .plugin import get_run

        self.run = get_run(session.config)


def run_with_result(opts: RunOptions, plugins: Sequence[object] = ()) -> tuple[int, object | None]:
    """(exit code, the plugin's ConformanceRun or None). Exit 0 = pass, 1 = fail, >1 = not run.
    ``plugins``: more pytest plugin objects for this run (the self-test's early stop)."""
    if not suite_paths(opts.role):
        return 5, None
    _forget_suite_modules()
    capture = _Capture()
    code = pytest.main(pytest_args(opts), plugins=[capture, *plugins])
    return int(code), capture.run


def run(opts: RunOptions) -> int:
    """Exit code: 0 = the run passes, 1 = it fails, >1 = the run itself could not be done."""
    return run_with_result(opts)[0]
