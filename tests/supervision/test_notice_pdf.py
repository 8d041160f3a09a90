"""The weekly notice (周通报) as PDF: signed REST and loopback routes, Chinese text extracted back
from the PDF with pypdf, the hand history's ratings in it, refusals with their codes."""

from __future__ import annotations

import io
import json
import re

import httpx
import pytest
from sv_history import H3A, H3C

from ehc.errors import EhcError
from reference_node.auth import sign
from reference_node.supervision import notice
from reference_node.supervision.kpis import KpiEngine
from reference_node.supervision.periods import Period
from reference_node.supervision.profile import SupervisionProfile

pypdf = pytest.importorskip("pypdf", reason="pypdf (test extra) reads the notice back")

# campaign 2019-07-01 .. 2019-11-10: the notice is for the week 2019-11-04 .. 2019-11-10 (ISO week 45)
CAMPAIGN = {"start_date": "2019-07-01", "end_date": "2019-11-10"}


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _post(node, path: str, body: dict, role: str = "admin") -> httpx.Response:
    creds = node.admin_credentials if role == "admin" else node.credentials
    raw = json.dumps(body).encode()
    headers = sign(creds.secret, f"POST {path}", raw, terminal_id=creds.terminal_id)
    headers["content-type"] = "application/json"
    return httpx.post(f"http://127.0.0.1:{node.http_port}{path}", content=raw, headers=headers, timeout=30)


@pytest.fixture
def min1(tmp_path, monkeypatch):
    """Rate hospitals with a single visit (the hand history is tiny)."""
    path = tmp_path / "sv-profile.json"
    path.write_text(json.dumps({"min_visits": 1}), encoding="utf-8")
    monkeypatch.setenv("EHC_SUPERVISION_PROFILE", str(path))


def test_notice_data_of_the_hand_history(hand_node):
    eng = KpiEngine(hand_node.node.db, SupervisionProfile(min_visits=1))
    data = notice.notice_data(eng, Period.parse(CAMPAIGN["start_date"], CAMPAIGN["end_date"]))
    assert (data["week"]["start_date"], data["week"]["end_date"]) == ("2019-11-04", "2019-11-10")
    assert (data["iso_year"], data["iso_week"]) == (2019, 45)
    rated = {r["code"]: r["rating"] for r in data["rows"]}
    # week of 11-04: H3C one legacy-card visit (#20) → e-card share 0 % < 30 % − 10 → red; the others
    # have no visit that week (unrated); 370811 coverage 1/4 (P1) and 370812 1/5 (P5; P6 cancelled
    # 11-01) against 50 % → red
    assert rated[H3C] == "red" and rated[H3A] == "unrated"
    assert (rated["370811"], rated["370812"]) == ("red", "red")
    # unrated: H3A, H3B, H2 and the node's own demo hospital 370800001 (no visit that week)
    assert data["counts"] == {"red": 3, "yellow": 0, "blue": 0, "unrated": 4}
    assert [r["rating"] for r in data["rows"]][:3] == ["red"] * 3  # red first
    # red weeks over the campaign: H3C 10-28 and 11-04 (the two weeks it had visits)
    h3c = next(e for e in data["escalations"] if e["code"] == H3C)
    assert h3c["red_weeks"] == ["2019-10-28", "2019-11-04"]
    # a notice whose end is mid-week covers Monday..end only
    mid = notice.notice_week(Period.parse("2019-11-06", "2019-11-07"))
    assert (mid.start.isoformat(), mid.end.isoformat()) == ("2019-11-06", "2019-11-07")


def test_signed_rest_notice_pdf_has_the_chinese_text(hand_node, min1):
    r = _post(hand_node, "/v1/supervision/notice.pdf", {**CAMPAIGN, "area_code": "370800"})
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == "application/pdf"
    assert "weekly-notice-370800-2019-11-04.pdf" in r.headers["content-disposition"]
    text = _text(r.content)
    assert "济宁市电子健康卡推广应用周通报" in text
    assert "2019年第45周" in text and "2019-11-04 至 2019-11-10" in text
    assert "红牌 3" in text and "黄牌 0" in text  # the week's colour counts
    assert "兖州三级医院C(测试)" in text and "任城三级医院A(测试)" in text  # every hospital listed
    assert "电子健康卡就诊占比 0.0%（目标 ≥ 30.0%）红牌" in text  # H3C's mark in words
    assert "约谈名单" in text and "2019-10-28 2019-11-04" in text
    assert "蓝牌：达到目标" in text  # the rule, in Chinese
    # every date printed is YYYY-MM-DD (no 2019/11/4, no 11-04 alone)
    assert not re.search(r"\d{4}/\d{1,2}/\d{1,2}", text)


def test_loopback_notice_and_refusals(hand_node, min1):
    base = f"http://127.0.0.1:{hand_node.http_port}"
    r = httpx.get(f"{base}/dashboard/api/notice.pdf", params={"start": "2019-07-01", "end": "2019-11-10"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    whole = _text(r.content)  # no area: every area of the node; the node's city is named below the title
    assert (
        "全部地区电子健康卡推广应用周通报" in whole
        and "节点城市：济宁市" in whole
        and "地区代码：全部" in whole
    )
    bad = httpx.get(f"{base}/dashboard/api/notice.pdf", params={"start": "2019-07-01", "end": "11/10/2019"})
    assert bad.status_code == 400 and bad.json()["code"] == "NODE_FIELD_BAD_FORMAT"
    # hospital terminals are refused (notices about other hospitals are not theirs)
    assert _post(hand_node, "/v1/supervision/notice.pdf", CAMPAIGN, role="terminal").status_code == 403
    assert (
        _post(hand_node, "/v1/supervision/notice.pdf", {**CAMPAIGN, "area_code": "999999"}).status_code == 400
    )
    org = _post(hand_node, "/v1/supervision/notice.pdf", {**CAMPAIGN, "org_code": H3A})
    assert org.status_code == 400 and org.json()["field"] == "org_code"
    unsigned = httpx.post(f"{base}/v1/supervision/notice.pdf", content=json.dumps(CAMPAIGN).encode())
    assert unsigned.status_code == 401


def test_missing_font_is_a_coded_error(hand_node, min1, monkeypatch, tmp_path):
    monkeypatch.setenv(notice.FONT_ENV, str(tmp_path / "no-such-font.ttc"))
    with pytest.raises(EhcError) as err:
        notice.find_font()
    assert err.value.code.name == "NODE_SUPERVISION_NOTICE_FONT_MISSING"
    assert "fonts-wqy-microhei" in err.value.message
    r = _post(hand_node, "/v1/supervision/notice.pdf", CAMPAIGN)
    assert r.status_code == 503 and r.json()["code"] == "NODE_SUPERVISION_NOTICE_FONT_MISSING"


def test_cli_writes_the_notice(hand_node, min1, tmp_path, db_url):
    from click.testing import CliRunner

    from reference_node.supervision.cli import supervision

    out = tmp_path / "notice.pdf"
    store = ["--db", db_url] if db_url else []
    args = ["notice", "--start", "2019-07-01", "--end", "2019-11-10", "--area", "370812", "--out", str(out)]
    res = CliRunner().invoke(supervision, [*args, "--data-dir", str(tmp_path / "ehc-node"), *store])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["week_start"] == "2019-11-04"
    text = _text(out.read_bytes())
    assert "兖州区电子健康卡推广应用周通报" in text and "兖州三级医院C(测试)" in text
    assert "任城三级医院A(测试)" not in text  # another county
    bad = CliRunner().invoke(supervision, ["notice", "--start", "2019-07-01", "--end", "x", "--out", str(out),
                                           "--data-dir", str(tmp_path / "ehc-node"), *store])  # fmt: skip
    assert bad.exit_code != 0 and "NODE_FIELD_BAD_FORMAT" in bad.output
