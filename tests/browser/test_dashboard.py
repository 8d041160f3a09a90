"""The supervision dashboard as an official reads it (issue #17), in headless Chromium with the
page's Content-Security-Policy enforced: Chinese first with a 中/EN switch that persists, ratings
as 红牌/黄牌/蓝牌 in their colours, Chart.js charts served by the node (titles, axes from zero),
no overlapping labels at three viewport sizes, dates YYYY-MM-DD, every table row on paper."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from sv_history import H3A, H3B, H3C

from reference_node.proto.ehc.node.v1 import registry_pb2

pytestmark = pytest.mark.browser

H2_2019 = "start=2019-07-01&end=2019-12-31"
RGB = {"red": "rgb(210, 52, 44)", "yellow": "rgb(224, 161, 0)", "blue": "rgb(31, 111, 209)"}
WORDS = {"red": "红牌", "yellow": "黄牌", "blue": "蓝牌"}
# a selector, not wait_for_function: the page's CSP (no 'unsafe-eval') refuses evaluated strings
LOADED = "body[data-loaded]:not([data-loaded=''])"
VIEWPORTS = [(1400, 1000), (1024, 768), (390, 844)]  # the tests' and screenshots' size, a laptop, a phone


def _open(page, node, query: str = H2_2019) -> str:
    base = f"http://127.0.0.1:{node.http_port}"
    page.goto(f"{base}/dashboard?{query}")
    page.wait_for_selector(LOADED, state="attached", timeout=30_000)
    return base


def _outside(page, base: str) -> list[str]:
    return [u for u in page.requests if not u.startswith(base + "/") and not u.startswith(("data:", "blob:"))]


def test_chinese_ratings_charts_dates_offline(seeded_node, strict_browser):
    page = strict_browser(1400, 1000)
    base = _open(page, seeded_node)
    assert page.console_errors == [], page.console_errors
    assert _outside(page, base) == [], "the dashboard fetched from outside the node"
    # Chinese first (the browser's own locale is en-US)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "电子健康卡推广应用监管看板"
    heads = page.eval_on_selector_all("#hospitals th", "els => els.map(e => e.textContent)")
    assert heads == ["医疗机构", "等级", "县市区", "门急诊人次", "电子健康卡占比", "实体就诊卡占比", "评级"]
    assert page.locator("#kpi-coverage h2").inner_text() == "发卡覆盖率"
    assert "2019-07-01 至 2019-12-31" in page.locator("#status").inner_text()
    # the profile and the node's city in the header
    line = page.locator("#profile-line").inner_text()
    assert "监管配置" in line and "节点城市：济宁市 370800" in line, line
    # ratings as the officials' words, each in its colour (hand history, 2019 H2: see test_pages.py)
    for org, colour in ((H3C, "red"), (H3B, "yellow"), (H3A, "blue")):
        b = page.locator(f'#hospitals tr[data-org="{org}"] .badge')
        assert b.inner_text() == WORDS[colour]
        assert b.evaluate("e => getComputedStyle(e).backgroundColor") == RGB[colour]
    assert page.locator("#kpi-coverage .badge").inner_text() == "红牌"  # coverage 3/9 against 50 %
    assert page.locator('#counties tr[data-area="370812"] .badge').inner_text() == "红牌"
    # Chart.js from the node (no CDN), the hand-written charts.js gone
    assert f"{base}/supervision-static/chart.umd.min.js" in page.requests
    assert httpx.get(f"{base}/supervision-static/charts.js").status_code == 404
    for cid in ("chart-trend", "chart-levels", "chart-notices"):
        info = page.evaluate(
            """id => { const c = Chart.getChart(id); const o = c.options.plugins.title;
                 const value = c.options.indexAxis === 'y' ? c.scales.x : c.scales.y;
                 return {title: o.display && o.text, min: value.min, ver: Chart.version,
                         labels: c.options.indexAxis === 'y' ? [] : c.scales.x.ticks.map(t => t.label)}; }""",
            cid,
        )
        assert info["title"], f"{cid} has no visible title"
        assert info["min"] == 0, f"{cid}: value axis starts at {info['min']}, not zero"
        assert info["ver"] == "4.6.1"
        if cid != "chart-levels":  # weekly charts: whole ISO dates under the x axis
            assert info["labels"] and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", x) for x in info["labels"])
    red = page.evaluate("Chart.getChart('chart-notices').data.datasets[0]")
    assert (red["label"], red["backgroundColor"]) == ("红牌", "#d2342c")  # reds drawn in red
    # every date on the page is YYYY-MM-DD (no 07/01/2019, 2019/7/1 or 07-01)
    text = page.locator("body").inner_text()
    dates = re.findall(r"\d+[-/.]\d+[-/.]\d+|(?<![\d-])\d{1,2}-\d{1,2}(?![\d-])", text)
    assert dates and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates), dates
    assert page.input_value("#f-start") == "2019-07-01"  # a text field: no locale date format
    # a date is never broken across lines (a browser may break after a hyphen)
    split = page.eval_on_selector_all(
        "#escalations td.mono .date",
        "els => els.filter(e => e.getClientRects().length > 1).map(e => e.textContent)",
    )
    assert page.locator("#escalations td.mono .date").count() >= 40 and split == [], split


def test_language_switch_persists(seeded_node, strict_browser):
    page = strict_browser()
    _open(page, seeded_node)
    page.click("#lang")
    assert page.locator("h1").inner_text() == "E-card roll-out supervision"
    assert page.evaluate("document.documentElement.lang") == "en"
    badge = page.locator(f'#hospitals tr[data-org="{H3C}"] .badge')
    assert badge.inner_text() == "红 red"  # the Chinese word stays beside the English one
    page.reload()
    page.wait_for_selector(LOADED, state="attached", timeout=30_000)
    assert page.locator("h1").inner_text() == "E-card roll-out supervision"  # kept across loads
    assert page.evaluate("Chart.getChart('chart-trend').options.plugins.title.text").startswith("Weekly")
    page.click("#lang")
    page.reload()
    page.wait_for_selector(LOADED, state="attached", timeout=30_000)
    assert page.locator("h1").inner_text() == "电子健康卡推广应用监管看板"
    assert page.console_errors == []


# every pair of text boxes that intersect, the text clipped in its cell, chart labels too close
OVERLAP_PROBE = """() => {
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const el = n.parentElement;
    if (el.closest('[hidden], option, script, style')) continue;
    // what the reader sees: the part of the text inside every scrolling ancestor's box
    const clips = [];
    for (let a = el; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') clips.push(a.getBoundingClientRect());
    }
    const r = document.createRange(); r.selectNodeContents(n);
    for (const raw of r.getClientRects()) {
      let b = {left: raw.left, right: raw.right, top: raw.top, bottom: raw.bottom};
      for (const c of clips) b = {left: Math.max(b.left, c.left), right: Math.min(b.right, c.right),
                                  top: Math.max(b.top, c.top), bottom: Math.min(b.bottom, c.bottom)};
      if (b.right - b.left > 0 && b.bottom - b.top > 0) boxes.push({b, t: n.textContent.trim().slice(0, 30), el});
    }
  }
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].b, c = boxes[j].b;
    const w = Math.min(a.right, c.right) - Math.max(a.left, c.left);
    const h = Math.min(a.bottom, c.bottom) - Math.max(a.top, c.top);
    if (w > 1 && h > 1) hits.push(boxes[i].t + ' × ' + boxes[j].t);
  }
  const clipped = [...document.querySelectorAll('h1, h2, h3, th, td, label, .badge, .status, .sub, button, .button')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
    .map(e => e.textContent.trim().slice(0, 30));
  const charts = [];
  for (const id of ['chart-trend', 'chart-levels', 'chart-notices']) {
    const ch = Chart.getChart(id);
    const ctx = ch.ctx;
    for (const scale of Object.values(ch.scales)) {
      const font = Chart.helpers.toFont(scale.options.ticks.font);
      ctx.save(); ctx.font = font.string;
      const items = scale.ticks.map((t, i) => ({p: scale.getPixelForTick(i), w: ctx.measureText(String(t.label)).width}));
      ctx.restore();
      for (let i = 1; i < items.length; i++) {
        const gap = Math.abs(items[i].p - items[i - 1].p);
        const need = scale.isHorizontal() ? (items[i].w + items[i - 1].w) / 2 : font.lineHeight;
        if (gap < need) charts.push(`${id}.${scale.id}: ${scale.ticks[i - 1].label} / ${scale.ticks[i].label}`);
      }
    }
    const hb = ch.legend.legendHitBoxes || [];
    for (let i = 0; i < hb.length; i++) for (let j = i + 1; j < hb.length; j++) {
      const a = hb[i], c = hb[j];
      if (a.left < c.left + c.width - 1 && c.left < a.left + a.width - 1 && a.top < c.top + c.height - 1 && c.top < a.top + a.height - 1)
        charts.push(`${id} legend ${i}/${j}`);
    }
  }
  return {hits, clipped, charts, n: boxes.length};
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_overlapping_labels(seeded_node, strict_browser, lang):
    for width, height in VIEWPORTS:
        page = strict_browser(width, height)
        _open(page, seeded_node)
        if lang == "en":
            page.click("#lang")
            page.wait_for_selector(f"{LOADED}[data-lang='en']", state="attached")
        found = page.evaluate(OVERLAP_PROBE)
        assert found["n"] > 100, found  # the probe saw the page's text
        assert found["hits"] == [], f"{lang} {width}x{height}: overlapping text {found['hits'][:10]}"
        assert found["clipped"] == [], f"{lang} {width}x{height}: clipped text {found['clipped'][:10]}"
        assert found["charts"] == [], f"{lang} {width}x{height}: chart labels collide {found['charts'][:10]}"
        assert page.console_errors == []


def _many_hospitals(node, n: int = 40) -> list[str]:
    """Enough organisations that the screen's scroll box hides some rows (a print must not)."""
    names = []
    with node.client("admin") as c:
        for i in range(n):
            name = f"济宁市第{i + 1}人民医院（打印测试用长名称）"
            c.registry.UpsertOrganisation(
                registry_pb2.Organisation(code=f"37081190{i:02d}", name=name, level="2", area_code="370811")
            )
            names.append(name)
    return names


def test_print_shows_every_row(seeded_node, strict_browser, tmp_path):
    pypdf = pytest.importorskip("pypdf", reason="pypdf (test extra) reads the printed page back")
    names = _many_hospitals(seeded_node)
    page = strict_browser(1400, 1000)
    _open(page, seeded_node)
    rows = page.locator("#hospitals tbody tr")
    assert rows.count() == len(names) + 5
    hidden = """() => { const box = document.querySelector('#hospitals').closest('.scroll').getBoundingClientRect();
      return [...document.querySelectorAll('#hospitals tbody tr')].filter(r => r.getBoundingClientRect().top >= box.bottom).length; }"""
    assert page.evaluate(hidden) > 0  # on screen the table scrolls inside its box: the test can fail
    page.emulate_media(media="print")
    assert page.evaluate(hidden) == 0  # on paper the box grows: no row below its edge
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.querySelector('.scroll'));
                   const tr = getComputedStyle(document.querySelector('#hospitals tbody tr'));
                   const th = getComputedStyle(document.querySelector('#hospitals thead'));
                   return [s.overflowY, s.maxHeight, tr.breakInside, th.display,
                           getComputedStyle(document.querySelector('#filters')).display]; }"""
    )
    assert style == ["visible", "none", "avoid", "table-header-group", "none"], style
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    missing = [n for n in names if re.sub(r"\s+", "", n) not in text]
    assert missing == [], f"rows missing from the printed page: {missing[:5]}"
    assert len(reader.pages) >= 2
    assert page.console_errors == []


def test_notice_pdf_link_follows_the_filter(seeded_node, strict_browser):
    pypdf = pytest.importorskip("pypdf", reason="pypdf (test extra) reads the notice back")
    page = strict_browser()
    base = _open(page, seeded_node, "start=2019-07-01&end=2019-11-10&city=370800")
    href = page.locator("#notice-pdf").get_attribute("href")
    assert (
        href.startswith("/dashboard/api/notice.pdf?") and "end=2019-11-10" in href and "area=370800" in href
    )
    r = httpx.get(base + href, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.content)).pages)
    assert "济宁市电子健康卡推广应用周通报" in text and "2019-11-04 至 2019-11-10" in text
