"""End to end in headless Chromium: the dashboard shows the hand-computed numbers and a filter
changes them; the scanner bench records what a keyboard-wedge "scanner" types and reports it."""

from __future__ import annotations

import json

import httpx
import pytest
from sv_history import H3A, H3C

pytestmark = pytest.mark.browser


def _loaded(page, timeout: float = 20_000) -> None:
    page.wait_for_function("document.body.dataset.loaded", timeout=timeout)


def _value(page, card: str) -> str:
    return page.locator(f"#{card} .value").inner_text().strip()


def test_dashboard_numbers_and_filter(seeded_node, browser_page):
    page = browser_page
    base = f"http://127.0.0.1:{seeded_node.http_port}"
    page.goto(f"{base}/dashboard?start=2019-07-01&end=2019-12-31")
    _loaded(page)
    # whole node, 2019 H2 (tests/supervision/sv_history.py): coverage 3/9, tertiary e-card 4/12,
    # legacy 5/14, 14 visits
    assert _value(page, "kpi-coverage") == "33.3%"
    assert _value(page, "kpi-ecard") == "33.3%"
    assert _value(page, "kpi-physical") == "35.7%"
    assert _value(page, "kpi-visits") == "14"
    assert page.locator("#kpi-coverage").get_attribute("data-rating") == "red"
    assert page.locator(f'#hospitals tr[data-org="{H3C}"]').get_attribute("data-rating") == "red"
    assert page.locator(f'#hospitals tr[data-org="{H3A}"]').get_attribute("data-rating") == "blue"
    assert page.locator(f'#escalations tr[data-code="{H3C}"]').count() == 1
    # Chart.js charts (vendored, served by the node): three series + target lines, weekly notices
    series = page.evaluate("Chart.getChart('chart-trend').data.datasets.map(d => d.label)")
    assert series[:3] == ["电子健康卡就诊占比", "实体就诊卡占比", "发卡覆盖率（周末）"], series
    reds = page.evaluate("Chart.getChart('chart-notices').data.datasets[0].data.reduce((a, b) => a + b, 0)")
    assert reds > 0  # weekly notice columns, reds included

    # filter: city 济宁 → county 任城区 370811 (H3A, H3B): 9 visits, coverage 2/4, e-card 4/9
    page.select_option("#f-city", "370800")
    _loaded(page)
    page.select_option("#f-county", "370811")
    page.wait_for_function("document.body.dataset.loaded && document.body.dataset.loaded.includes('370811')")
    assert _value(page, "kpi-visits") == "9"
    assert _value(page, "kpi-coverage") == "50.0%"
    assert _value(page, "kpi-ecard") == "44.4%"
    assert page.locator(f'#hospitals tr[data-org="{H3C}"]').count() == 0
    # period preset changes the numbers again: 2020 H2 has no visits in this history
    page.click('[data-preset="2020-07-01,2020-12-31"]')
    page.wait_for_function(
        "document.body.dataset.loaded && document.body.dataset.loaded.includes('2020-07-01')"
    )
    assert _value(page, "kpi-visits") == "0"
    # the CSV link points at the loopback export with the current filter
    href = page.locator("#csv-hospitals").get_attribute("href")
    assert "area=370811" in href and "table=hospitals" in href
    assert page.console_errors == []


def test_scanner_bench_records_wedge_input(seeded_node, browser_page, tmp_path):
    page = browser_page
    base = f"http://127.0.0.1:{seeded_node.http_port}"
    samples = httpx.get(f"{base}/scanner-bench/api/samples").json()["samples"]
    page.goto(f"{base}/scanner-bench")
    page.fill("#scanner", "TEST-ONLY wedge emulator")
    page.click("#start")
    plan = []
    for i, s in enumerate(samples):
        page.wait_for_function(f"document.querySelector('#code').dataset.sample === '{s['sample_id']}'")
        assert page.evaluate("document.activeElement.id") == "wedge"  # the capture field keeps focus
        if i == 1:
            page.keyboard.type(s["expected"][:-1] + "#")  # a substitution error
            page.keyboard.press("Enter")
            plan.append("misread")
        elif s["sample_id"] == "invalid-2":
            page.click("#skip")  # the operator skips a code the scanner would not read
            plan.append("missed")
        else:
            page.keyboard.type(s["expected"])  # what a keyboard-wedge scanner types
            page.keyboard.press("Enter")
            plan.append("correct")
    page.wait_for_function("document.body.dataset.report", timeout=20_000)
    n = len(samples)
    assert page.locator("#r-correct .value").inner_text() == f"{n - 2} / {n}"
    assert page.locator("#r-misreads .value").inner_text() == "1"
    assert page.locator("#r-missed .value").inner_text() == "1"
    verdicts = page.eval_on_selector_all("#results tbody tr", "rows => rows.map(r => r.dataset.verdict)")
    assert verdicts == plan
    run_id = page.evaluate("document.body.dataset.report")
    with page.expect_download() as info:
        page.click("#download")
    report = json.loads(info.value.path().read_text(encoding="utf-8"))
    assert report["run_id"] == run_id and report["codes_correct"] == n - 2
    stored = httpx.get(f"{base}/scanner-bench/api/runs/{run_id}").json()
    assert stored == report
    assert stored["results"][1]["typed"].endswith("#")
    assert all(r["millis"] >= 0 for r in stored["results"])
    assert page.console_errors == []
