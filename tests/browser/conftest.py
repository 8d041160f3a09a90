"""Headless Chromium (Debian ``chromium`` + Python ``playwright``, never ``playwright install``)
against the node's pages served on loopback. Skips with a printed reason when either is absent."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "supervision"))

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _why_not() -> str:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return "chromium is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install playwright)"
    return ""


@pytest.fixture
def browser_page(tmp_path: Path):
    reason = _why_not()
    if reason:
        print(f"SKIP browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user-data-dir per test
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            headless=True,
            args=ARGS,
            viewport={"width": 1400, "height": 1000},
            accept_downloads=True,
            bypass_csp=True,  # lets the test harness evaluate its own probes; the header is checked in tests/supervision
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.console_errors = errors  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()


@pytest.fixture
def strict_browser(tmp_path: Path):
    """Chromium WITHOUT bypass_csp: a CSP violation (inline style/script, foreign source) is a
    console error the tests see. Yields a function that opens a page at a viewport."""
    reason = _why_not()
    if reason:
        print(f"SKIP browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        browser = p.chromium.launch(executable_path=exe, headless=True, args=ARGS)
        contexts = []

        def open_page(width: int = 1400, height: int = 1000):
            ctx = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
            contexts.append(ctx)
            page = ctx.new_page()
            page.console_errors = []  # type: ignore[attr-defined]
            page.requests = []  # type: ignore[attr-defined]
            page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
            page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: page.requests.append(r.url))
            return page

        try:
            yield open_page
        finally:
            for ctx in contexts:
                ctx.close()
            browser.close()


@pytest.fixture
def seeded_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A node with the hand-computed history; profile with min_visits 1 so tiny hospitals are rated."""
    from sv_history import build_hand_history

    from reference_node.config import NodeConfig
    from reference_node.testing import start_node

    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"min_visits": 1}), encoding="utf-8")
    monkeypatch.setenv("EHC_SUPERVISION_PROFILE", str(profile))
    # the hand history (2019-2021, synthetic EHCIDs) is an import: the node takes old uses of any card
    node = start_node(
        tmp_path, http=True, config=NodeConfig(usage_max_age_days=36500, usage_requires_known_card=False)
    )
    try:
        build_hand_history(node)
        yield node
    finally:
        node.stop()
