"""The weekly notice (周通报) as a PDF: what a health commission prints and files every week.

Seed 001 §四: weekly red/yellow/blue notices, two red marks → interview of the head. The notice of
a request ``[start, end]`` covers the Monday-to-Sunday week that contains ``end`` (clipped to the
request, as the weekly ratings are), rates every hospital and county on that week alone, and lists
the entities with ``escalation_reds`` red weeks or more over the whole request (the campaign).

Rendered with reportlab (platypus tables split between rows and repeat their header on every
page; the CJK font is embedded as a subset, so the text prints and extracts without the reader's
fonts). Measured against fpdf2 for the same 150-row table: ~25 ms against ~580 ms warm
(docs/supervision.md, "Weekly notice as PDF").
"""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ehc.errors import EhcError
from reference_node.supervision.errors import NOTICE_FONT_MISSING
from reference_node.supervision.kpis import KpiEngine
from reference_node.supervision.periods import Period

FONT_ENV = "EHC_NOTICE_FONT"  # a TrueType font (.ttf/.ttc) with CJK glyphs, overriding the search
# TrueType outlines only (reportlab cannot embed CFF/OpenType-PS fonts such as Noto Sans CJK .otc)
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei (scripts/bootstrap.sh)
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian fonts-wqy-zenhei
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # Debian fonts-arphic-uming
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # Debian fonts-droid-fallback
)
FONT_NAME = "EhcNoticeCJK"

# the words officials use (seed 001 "红黄蓝通报", "红牌标识"; seed 003 "黄牌警示") and the page colours
COLOUR_WORDS = {"red": "红牌", "yellow": "黄牌", "blue": "蓝牌", "unrated": "未评级"}
COLOUR_HEX = {"red": "#d2342c", "yellow": "#e0a100", "blue": "#1f6fd1", "unrated": "#e5e9ee"}
KPI_WORDS = {
    "coverage": "发卡覆盖率",
    "coverage_poverty": "建档立卡贫困人口覆盖率",
    "ecard_share": "电子健康卡就诊占比",
    "physical_share": "实体就诊卡占比",
}
LEVEL_WORDS = {"3": "三级", "2": "二级", "1": "基层", "0": "村卫生室", "9": "其他"}
ENTITY_WORDS = {"hospital": "医疗机构", "county": "县市区"}
ORDER = {"red": 0, "yellow": 1, "blue": 2, "unrated": 3}


def find_font() -> Path:
    """The CJK font the notice embeds: $EHC_NOTICE_FONT, else the first Debian font found."""
    chosen = os.environ.get(FONT_ENV, "")
    for candidate in (chosen,) if chosen else FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise EhcError(
        NOTICE_FONT_MISSING,
        (f"{FONT_ENV}={chosen[:120]} is not a file" if chosen else "no CJK TrueType font found")
        + ": install Debian fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or set "
        + f"{FONT_ENV} to a .ttf/.ttc with Chinese glyphs",
    )


def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    path = find_font()
    name = f"{FONT_NAME}-{''.join(ch for ch in path.stem if ch.isalnum())}"
    if name not in pdfmetrics.getRegisteredFontNames():
        try:
            pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
        except (TTFError, OSError) as exc:
            raise EhcError(
                NOTICE_FONT_MISSING, f"{path.name} cannot be embedded ({str(exc)[:80]}): use a TrueType font"
            ) from None
    return name


def notice_week(period: Period) -> Period:
    """The week the notice rates: Monday..Sunday around ``period.end``, clipped to the request."""
    monday = period.end - timedelta(days=period.end.weekday())
    return Period(max(monday, period.start), period.end, period.tz)


def _pct(v: float) -> str:
    return f"{v * 100:.1f}%"


def _reason_zh(reason: str) -> str:
    if reason.startswith("fewer than"):
        return "门急诊人次少于 " + "".join(c for c in reason if c.isdigit())
    return {"no population figure": "无人口数", "no registered member of the group": "该人群无登记人员"}.get(
        reason, reason
    )


def mark_text(m: dict[str, Any]) -> str:
    """One mark in words: ``电子健康卡就诊占比 0.0%（目标 ≥ 30.0%）红牌``."""
    kpi = KPI_WORDS.get(m["kpi"], m["kpi"])
    value = _pct(m["value"]) if m.get("has_value") else "–"
    t = m.get("target")
    target = f"（目标 {'≥' if t['comparison'] == '>=' else '≤'} {_pct(t['threshold'])}）" if t else ""
    why = f"，{_reason_zh(m['reason'])}" if m.get("reason") else ""
    return f"{kpi} {value}{target}{COLOUR_WORDS.get(m['colour'], m['colour'])}{why}"


def rule_text_zh(eng: KpiEngine) -> str:
    p = eng.profile
    m = f"{round(p.yellow_margin * 100, 2):g}"
    return (
        f"蓝牌：达到目标；黄牌：未达目标但差距不超过 {m} 个百分点；红牌：差距超过 {m} 个百分点；"
        f"未评级：门急诊人次少于 {p.min_visits} 或无人口数。机构、县市区的评级取其各项指标中最差的一项；"
        f"目标取统计期末日有效的目标。红牌标识 {p.escalation_reds} 次，约谈县市区、医疗机构主要负责人。"
    )


def notice_data(eng: KpiEngine, period: Period, area_code: str = "") -> dict[str, Any]:
    """Everything the notice prints (also the test's oracle-free view of the PDF)."""
    week = notice_week(period)
    rep = eng.report(week, area_code)
    esc = eng.escalations(period, area_code)
    rows: list[dict[str, Any]] = []
    for h in rep["hospitals"]:
        rows.append({
            "entity": "hospital", "code": h["org_code"], "name": h["org_name"],
            "level": LEVEL_WORDS.get(h["level"], h["level"]), "area": h["area_name"] or h["area_code"],
            "visits": h["visits"], "ecard": _pct(h["ecard_share"]) if h["visits"] else "–",
            "physical": _pct(h["physical_share"]) if h["visits"] else "–", "coverage": "–",
            "rating": h["rating"], "marks": [mark_text(m) for m in h["marks"]],
        })  # fmt: skip
    for c in rep["counties"]:
        rows.append({
            "entity": "county", "code": c["area_code"], "name": c["area_name"] or c["area_code"],
            "level": "", "area": c["area_code"], "visits": c["visits"],
            "ecard": _pct(c["ecard_share"]) if c["visits"] else "–",
            "physical": _pct(c["physical_share"]) if c["visits"] else "–",
            "coverage": _pct(c["coverage"]) if c["population"] else "–",
            "rating": c["rating"], "marks": [mark_text(m) for m in c["marks"]],
        })  # fmt: skip
    rows.sort(key=lambda r: (ORDER.get(r["rating"], 9), r["entity"] != "county", r["code"]))
    counts = {k: sum(1 for r in rows if r["rating"] == k) for k in ORDER}
    monday = period.end - timedelta(days=period.end.weekday())
    iso = monday.isocalendar()
    return {
        "week": week.describe(),
        "campaign": period.describe(),
        "iso_year": iso[0],
        "iso_week": iso[1],
        "area_code": area_code,
        "area_name": rep["area_name"],
        "summary": rep["summary"],
        "rows": rows,
        "counts": counts,
        "escalations": esc["escalations"],
        "threshold_reds": esc["threshold_reds"],
        "rule": rule_text_zh(eng),
    }


def filename(period: Period, area_code: str = "") -> str:
    return f"weekly-notice-{area_code or 'all'}-{notice_week(period).start.isoformat()}.pdf"


def render_pdf(
    data: dict[str, Any], *, profile_title: str = "", node_area: str = "", today: date | None = None
) -> bytes:
    """The notice as an A4 landscape PDF (tables split between rows, headers repeated)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _register_font()
    base = ParagraphStyle("n", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    small = ParagraphStyle("s", parent=base, fontSize=8, leading=10)
    head = ParagraphStyle("h", parent=base, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("t", parent=base, fontSize=18, leading=24, alignment=TA_CENTER)
    sub = ParagraphStyle("u", parent=base, fontSize=10, leading=14, alignment=TA_CENTER)
    today = today or date.today()
    week, camp, s = data["week"], data["campaign"], data["summary"]
    place = data["area_name"] or "全部地区"  # the node's city is named below: a node may serve several

    def p(text: Any, style: ParagraphStyle = base) -> Paragraph:
        from xml.sax.saxutils import escape

        return Paragraph(escape(str(text)), style)

    def table(
        rows: list[list[Any]], widths: list[float], extra: list[tuple[Any, ...]] | None = None
    ) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c2cc")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"), *(extra or []),
        ]))  # fmt: skip
        return t

    def badge_style(col: int, row: int, colour: str) -> list[tuple[Any, ...]]:
        fg = colors.white if colour in ("red", "blue") else colors.HexColor("#1d2633")
        return [("BACKGROUND", (col, row), (col, row), colors.HexColor(COLOUR_HEX.get(colour, "#e5e9ee"))),
                ("TEXTCOLOR", (col, row), (col, row), fg)]  # fmt: skip

    story: list[Any] = [
        p(f"{place}电子健康卡推广应用周通报", title),
        p(
            f"{data['iso_year']}年第{data['iso_week']}周　{week['start_date']} 至 {week['end_date']}"
            f"（{week['time_zone']}）",
            sub,
        ),  # fmt: skip
        p(
            f"监管配置：{profile_title or '种子默认（济宁）'}　节点城市：{node_area or '–'}　"
            f"地区代码：{data['area_code'] or '全部'}　生成日期：{today.isoformat()}",
            sub,
        ),  # fmt: skip
        Spacer(1, 4 * mm),
        p("一、本周指标", head),
    ]
    marks = {m["kpi"]: m for m in s["marks"]}
    kpi_rows: list[list[Any]] = [[p("指标"), p("本周数值"), p("计算"), p("目标与评级")]]
    extra: list[tuple[Any, ...]] = []
    for kpi, value, how in (
        ("coverage", _pct(s["coverage"]) if s["population"] else "–", f"{s['holders']} / {s['population']} 人"),
        ("ecard_share", _pct(s["tertiary_ecard_share"]) if s["tertiary_visits"] else "–",
         f"三级医院 {s['tertiary_ecard_visits']} / {s['tertiary_visits']} 人次"),
        ("physical_share", _pct(s["physical_share"]) if s["visits"] else "–",
         f"{s['physical_visits']} / {s['visits']} 人次"),
    ):  # fmt: skip
        m = marks.get(kpi)
        kpi_rows.append([p(KPI_WORDS[kpi]), p(value), p(how), p(mark_text(m) if m else "无有效目标")])
        if m:
            extra += badge_style(3, len(kpi_rows) - 1, m["colour"])
    kpi_rows.append([p("门急诊人次"), p(f"{s['visits']:,}"), p(f"其中电子健康卡 {s['ecard_visits']:,}"),
                     p(f"拒绝医院自制就诊卡 {s.get('hospital_cards_refused', 0)} 次")])  # fmt: skip
    story.append(table(kpi_rows, [60 * mm, 30 * mm, 70 * mm, 110 * mm], extra))

    c = data["counts"]
    story.append(p(f"二、本周红黄蓝评级　红牌 {c['red']}　黄牌 {c['yellow']}　蓝牌 {c['blue']}　"
                   f"未评级 {c['unrated']}", head))  # fmt: skip
    rows: list[list[Any]] = [[p(h) for h in ("评级", "类别", "名称", "代码", "等级", "门急诊人次",
                                            "电子健康卡", "实体卡", "覆盖率", "说明")]]  # fmt: skip
    # plain strings where a cell never wraps (a Paragraph costs ~1 ms): only names and marks wrap
    extra = []
    for r in data["rows"]:
        rows.append([
            COLOUR_WORDS.get(r["rating"], r["rating"]), ENTITY_WORDS[r["entity"]], p(r["name"]),
            r["code"], r["level"], f"{r['visits']:,}", r["ecard"], r["physical"],
            r["coverage"], p("；".join(r["marks"]) or "–", small),
        ])  # fmt: skip
        extra += badge_style(0, len(rows) - 1, r["rating"])
    widths = [14 * mm, 18 * mm, 46 * mm, 22 * mm, 14 * mm, 20 * mm, 18 * mm, 16 * mm, 16 * mm, 83 * mm]
    story.append(table(rows, widths, extra))

    story.append(
        p(f"三、红牌 {data['threshold_reds']} 次约谈名单（{camp['start_date']} 至 {camp['end_date']}）", head)
    )
    if data["escalations"]:
        esc_rows: list[list[Any]] = [[p(h) for h in ("类别", "名称", "代码", "红牌周数", "红牌周（周一）")]]
        for e in data["escalations"]:
            esc_rows.append([ENTITY_WORDS.get(e["entity"], e["entity"]), p(e["name"] or e["code"]),
                             e["code"], str(e["reds"]), p(" ".join(e["red_weeks"]), small)])  # fmt: skip
        story.append(table(esc_rows, [20 * mm, 60 * mm, 26 * mm, 20 * mm, 141 * mm]))
    else:
        story.append(p("无县市区或医疗机构达到约谈条件。"))
    story += [p("四、评级规则", head), p(data["rule"], small)]

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawString(
            15 * mm, 8 * mm, f"{place}电子健康卡推广应用周通报 · {week['start_date']} 至 {week['end_date']}"
        )
        canvas.drawRightString(A4[1] - 15 * mm, 8 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm,
        bottomMargin=14 * mm, title=f"{place}电子健康卡推广应用周通报 {week['start_date']}",
        author="EHC reference node", subject="weekly red/yellow/blue notice",
    )  # fmt: skip
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def weekly_notice_pdf(
    eng: KpiEngine, period: Period, area_code: str = "", *, profile_title: str = "", node_area: str = ""
) -> bytes:
    """The PDF of the weekly notice of ``period`` (see the module docstring)."""
    return render_pdf(notice_data(eng, period, area_code), profile_title=profile_title, node_area=node_area)
