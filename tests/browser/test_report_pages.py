"""The report pages in headless Chromium, from real runs: the certification report of a codec run
(a kit mutant, so it has failures) and the load bench page of the reference node against the echo
baseline, with one of its run reports. Each page: no console error, no request leaving the
machine, Chinese text shown, charts drawn (canvas pixels), and under print media every table row
on paper. The certification report still verifies after it has been opened.

Screenshots: ``EHC_SAVE_SCREENSHOTS=1`` writes them to docs/screenshots/ (the committed ones);
otherwise they go to the test's temporary directory, so a test run never dirties the tree.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 1000}

# JS probes: rows of every table not rendered (a closed <details> skips its content, which keeps
# its layout box: checkVisibility() sees that), and canvases with drawn pixels
HIDDEN_ROWS = """() => [...document.querySelectorAll('table tr')]
    .filter(tr => !tr.checkVisibility() || tr.getBoundingClientRect().height === 0)
    .map(tr => tr.innerText.slice(0, 60))"""
DRAWN_CANVASES = """() => [...document.querySelectorAll('canvas')].map(c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) ink++; }
    return {id: c.id, ink, chart: !!Chart.getChart(c)};
})"""


def _shot_dir(tmp_path: Path) -> Path:
    if os.environ.get("EHC_SAVE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SHOTS
    return tmp_path


def _save_png(page: Any, path: Path) -> None:
    """A fixed-viewport screenshot, quantised to a 256-colour palette and optimised (small in git)."""
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot(full_page=False)))
    image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"screenshot: {path} ({path.stat().st_size:,} bytes)")


def _watch_requests(page: Any) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url))
    return urls


def _local_only(urls: list[str]) -> None:
    leaving = [u for u in urls if not u.startswith(("file://", "data:", "about:", "blob:"))]
    assert urls and not leaving, leaving


def _print_shows_every_row(page: Any) -> tuple[int, int]:
    """(rows, rows folded away on screen); fails if any row is not laid out under print media."""
    page.emulate_media(media="screen")
    rows = page.locator("table tr").count()
    folded = len(page.evaluate(HIDDEN_ROWS))
    page.emulate_media(media="print")
    hidden = page.evaluate(HIDDEN_ROWS)
    page.emulate_media(media="screen")
    assert rows > 0 and hidden == [], hidden[:5]
    return rows, folded


@pytest.fixture(scope="module")
def codec_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real certification run: the codec suite against a kit mutant that accepts lower-case hex,
    under a declaration that names the product and relaxes one optional requirement."""
    from conformance_tests.runner import RunOptions, run

    tmp = tmp_path_factory.mktemp("cert")
    ics = tmp / "ics.toml"
    ics.write_text(
        '[dut]\nname = "Acme QR SDK (TEST-ONLY: kit mutant accepts-lowercase)"\nvendor = "Acme Medical"\n'
        'version = "2.4.1"\n\n[claims]\nroles = ["codec"]\n\n'
        '[not_claimed]\n"QR-TEXT-011" = "opaque tokens go to the wallet app, not this SDK"\n',
        encoding="utf-8",
    )
    out = tmp / "report"
    code = run(
        RunOptions(
            role="codec", dut="mutant:accepts-lowercase", declaration=str(ics), out=str(out),
            max_examples=5, quiet=True, seed=1,
        )
    )  # fmt: skip
    assert code == 1, "the mutant must fail the run"
    return out


def test_certification_report_page(codec_report: Path, browser_page: Any, tmp_path: Path) -> None:
    from conformance_tests.reportsign import verify_directory

    page = browser_page
    page.set_viewport_size(VIEWPORT)
    urls = _watch_requests(page)
    page.goto((codec_report / "report.html").as_uri())
    report = json.loads((codec_report / "report.json").read_text(encoding="utf-8"))
    manifest = json.loads((codec_report / "manifest.json").read_text(encoding="utf-8"))

    # summary first: verdict, product, the signing key (TEST-ONLY here) with the manifest's fingerprint
    text = page.locator("body").inner_text()
    assert "一致性检测报告" in text and "结论：不通过" in text and "Verdict: FAIL" in text
    assert page.locator("#signature[data-test-only=true]").is_visible()
    assert manifest["signer"]["public_key_sm3"] in page.locator("#signature").inner_text()
    summary = page.locator("#summary").inner_text()
    assert "Acme QR SDK" in summary and "2.4.1" in summary and report["report_id"] in summary
    started = dt.datetime.fromisoformat(report["started_at"]).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert f"{started:%Y-%m-%d} (北京时间" in summary  # YYYY-MM-DD, the Beijing calendar day
    headings = page.eval_on_selector_all("section[id]", "s => s.map(x => x.id)")
    assert headings[:3] == ["summary", "failures", "passes"]
    # every gating failure is a finding with its text, evidence and how to reproduce
    for rid in report["summary"]["gating_failures"]:
        finding = page.locator(f'#failures .finding[data-requirement="{rid}"]')
        assert finding.count() == 1, rid
        assert "--replay REPORT_DIR" in finding.inner_text()
    assert "QR-TEXT-011" in page.locator("#failures").inner_text()  # relaxed should, with its reason
    # not-applicable rows are folded on screen
    na_rows = page.locator("#not-applicable tr[data-requirement]")
    n_na = sum(1 for r in report["requirements"] if r["verdict"] == "not-applicable")
    assert na_rows.count() == n_na and not na_rows.first.is_visible()
    _save_png(page, _shot_dir(tmp_path) / "certification-report.png")  # the top: banners, summary
    page.evaluate("document.getElementById('failures').scrollIntoView()")
    _save_png(page, _shot_dir(tmp_path) / "certification-report-failures.png")
    page.locator("#not-applicable summary").first.click()
    assert na_rows.first.is_visible()

    rows, folded = _print_shows_every_row(page)
    # the other not-applicable groups were still folded on screen, and print laid them all out
    assert rows > n_na and folded > 0
    # and the PDF Chromium prints holds them: every requirement id of the report is on paper
    from pypdf import PdfReader

    page.emulate_media(media="print")  # what "Save as PDF" uses (the fixture left screen media set)
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    on_paper = "".join(p.extract_text() for p in pdf.pages).replace("\n", "")
    missing = [r["id"] for r in report["requirements"] if r["id"] not in on_paper]
    assert len(pdf.pages) > 3 and missing == [], missing[:10]
    assert page.console_errors == []
    _local_only(urls)
    assert verify_directory(codec_report).ok  # the page is a signed file; opening it changed nothing


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, tiny `ehc load bench`: the reference node against the echo baseline, 2 pairs."""
    out = tmp_path_factory.mktemp("bench") / "bench"
    proc = subprocess.run(
        [
            sys.executable, "-m", "ehc.cli", "load", "bench", "--target", "reference", "--scenario",
            "verify-only", "--pairs", "2", "--duration", "1s", "--users", "2", "--spawn-rate", "50",
            "--population", "300", "--quiet", "--out", str(out),
        ],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _charts_drawn(page: Any) -> list[dict[str, Any]]:
    page.wait_for_function("document.body.dataset.charts !== undefined", timeout=20_000)
    canvases = page.evaluate(DRAWN_CANVASES)
    assert canvases and int(page.evaluate("document.body.dataset.charts")) == len(canvases)
    assert all(c["chart"] and c["ink"] > 500 for c in canvases), canvases
    return canvases


def test_load_bench_page_and_a_run_report(bench_dir: Path, browser_page: Any, tmp_path: Path) -> None:
    page = browser_page
    page.set_viewport_size(VIEWPORT)
    urls = _watch_requests(page)
    bench = json.loads((bench_dir / "bench.json").read_text(encoding="utf-8"))
    page.goto((bench_dir / "bench.html").as_uri())
    canvases = _charts_drawn(page)
    assert {"chart-pair-throughput", "chart-pair-p99", "chart-node-time", "chart-echo-time"} <= {
        c["id"] for c in canvases
    }
    # the ratio at the top, node and echo side by side
    ratio = page.locator("#throughput-ratio").inner_text()
    assert f"{bench['throughput_ratio']['median']:.3f}×" in ratio and "吞吐量比" in ratio
    node_box = page.locator("#side-node").bounding_box()
    echo_box = page.locator("#side-echo").bounding_box()
    assert node_box and echo_box and abs(node_box["y"] - echo_box["y"]) < 2 and node_box["x"] < echo_box["x"]
    assert page.locator("#ratios").bounding_box()["y"] < node_box["y"]
    # the chart titles are drawn by Chart.js itself (visible on the canvas, not only in the markup)
    titles = page.evaluate(
        "() => [...document.querySelectorAll('canvas')].map(c => Chart.getChart(c).options.plugins.title)"
    )
    assert all(t["display"] and t["text"] for t in titles)
    y_min = page.evaluate(
        "() => [...document.querySelectorAll('canvas')].map(c => Chart.getChart(c).scales.y.min)"
    )
    assert y_min == [0] * len(canvases)  # axes from zero
    _save_png(page, _shot_dir(tmp_path) / "load-bench.png")
    _print_shows_every_row(page)

    # one run's own report, through the bench page's link
    page.click("#pair-table a >> nth=0")
    page.wait_for_load_state()
    assert page.url.endswith(bench["runs"][0]["echo"]["report"])
    run_canvases = _charts_drawn(page)
    assert [c["id"] for c in run_canvases] == ["chart-latency", "chart-throughput", "chart-histogram"]
    assert "不是精确值" in page.locator("#precision").inner_text()
    page.evaluate("document.getElementById('endpoints').scrollIntoView()")
    _save_png(page, _shot_dir(tmp_path) / "load-run.png")
    _print_shows_every_row(page)
    assert page.console_errors == []
    _local_only(urls)
