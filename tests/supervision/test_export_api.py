"""CSV export, population import, the signed REST API, the loopback JSON of the pages, bench scoring."""

from __future__ import annotations

import csv
import io
import json
import re

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sv_history import H3A, H3B, H3C

from ehc.errors import EhcError
from reference_node.auth import sign
from reference_node.supervision import bench, population
from reference_node.supervision.export import export_csv
from reference_node.supervision.kpis import KpiEngine, area_prefix
from reference_node.supervision.periods import Period
from reference_node.supervision.profile import SupervisionProfile

H2_2019 = ("2019-07-01", "2019-12-31")


def _rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())  # BOM: spreadsheet software keeps the Chinese names
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_hospitals_and_ratings(hand_node):
    eng = KpiEngine(hand_node.node.db, SupervisionProfile(min_visits=1))
    rows = {r["org_code"]: r for r in _rows(export_csv(eng, Period.parse(*H2_2019), "hospitals"))}
    # H3A: 5 visits, 3 e-card (0.6), 1 legacy (0.2), blue (see test_kpis_hand)
    assert (rows[H3A]["visits"], rows[H3A]["ecard_share"], rows[H3A]["physical_share"]) == ("5", "0.6", "0.2")
    assert rows[H3A]["org_name"] == "任城三级医院A(测试)"
    assert (rows[H3B]["rating"], rows[H3C]["rating"]) == ("yellow", "red")
    ratings = _rows(export_csv(eng, Period.parse(*H2_2019), "ratings"))
    red = [r for r in ratings if r["colour"] == "red"]
    assert {(r["entity"], r["code"], r["kpi"]) for r in red} >= {
        ("hospital", H3C, "ecard_share"),
        ("county", "370812", "coverage"),
    }
    assert all(r["comparison"] in (">=", "<=") for r in ratings)
    esc = _rows(export_csv(eng, Period.parse(*H2_2019), "escalations"))
    assert [r["code"] for r in esc] == ["370811", "370812", H3C]
    assert esc[2]["red_weeks"] == "2019-10-28 2019-11-04"
    counties = {r["area_code"]: r for r in _rows(export_csv(eng, Period.parse(*H2_2019), "counties"))}
    assert (counties["370811"]["holders"], counties["370811"]["coverage"]) == ("2", "0.5")
    with pytest.raises(EhcError):
        export_csv(eng, Period.parse(*H2_2019), "people")


def test_population_import_csv_and_jsonl(tmp_path, hand_node):
    db = hand_node.node.db
    (tmp_path / "pop.csv").write_text("area_code,population\n370811,1000\n370812,3000\n", encoding="utf-8")
    assert population.import_file(db, tmp_path / "pop.csv") == 2
    lines = [json.dumps({"area_code": a}) for a in ["370811"] * 3 + ["370826"] * 2]
    (tmp_path / "pop.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert population.import_file(db, tmp_path / "pop.jsonl") == 2
    table = population.load(db)
    assert (table["370811"], table["370812"], table["370826"]) == (3, 3000, 2)
    assert population.population_of(table, "370800") == 3 + 3000 + 2
    with pytest.raises(EhcError):
        population.set_population(db, {"999999": 5}, "bad")
    with pytest.raises(EhcError):
        population.set_population(db, {"370811": -1}, "bad")


def test_city_row_wins_over_its_counties():
    table = {"370800": 8_000_000, "370811": 1_000_000, "370812": 600_000, "370300": 4_000_000}
    assert population.population_of(table, "370800") == 8_000_000
    assert population.population_of(table, "370811") == 1_000_000
    # the province: city rows are the top-most rows inside it (counties not added twice)
    assert population.population_of(table, "370000") == 12_000_000
    assert population.population_of(table, "") == 12_000_000
    assert population.population_of(table, "510100") is None


@settings(max_examples=60)
@given(
    st.dates(),
    st.integers(0, 400),
    st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York", "Asia/Kolkata"]),
)
def test_period_bounds_are_exact_instants(start, days, tz):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from reference_node.config import CHINA_STANDARD_TIME

    if start.year < 1971 or start.year > 2999:
        return
    end = start + timedelta(days=days)
    if end.year > 2999:
        return
    p = Period.parse(start.isoformat(), end.isoformat(), tz)
    lo, hi = p.bounds()
    lo_dt = datetime.strptime(lo, "%Y%m%d%H%M%S").replace(tzinfo=CHINA_STANDARD_TIME)
    hi_dt = datetime.strptime(hi, "%Y%m%d%H%M%S").replace(tzinfo=CHINA_STANDARD_TIME)
    assert lo_dt == datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(tz))
    assert hi_dt - lo_dt >= timedelta(days=days + 1) - timedelta(hours=2)  # DST days may be 23 h
    weeks = p.weeks()
    assert weeks[0][0] == start and weeks[-1][1] == end
    assert all(b.weekday() == 6 or b == end for _, b in weeks)


def test_area_prefix():
    assert (area_prefix("370800"), area_prefix("370000"), area_prefix("370811"), area_prefix("")) == (
        "3708",
        "37",
        "370811",
        "",
    )


def _post(node, path: str, body: dict, role: str = "admin") -> httpx.Response:
    creds = node.admin_credentials if role == "admin" else node.credentials
    raw = json.dumps(body).encode()
    headers = sign(creds.secret, f"POST {path}", raw, terminal_id=creds.terminal_id)
    headers["content-type"] = "application/json"
    return httpx.post(f"http://127.0.0.1:{node.http_port}{path}", content=raw, headers=headers)


def test_signed_rest_api(hand_node):
    r = _post(
        hand_node,
        "/v1/supervision/kpis",
        {"start_date": H2_2019[0], "end_date": H2_2019[1], "area_code": "370811"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (int(body["summary"]["visits"]), int(body["summary"]["holders"])) == (9, 2)  # H3A 5 + H3B 4
    assert _post(hand_node, "/v1/supervision/kpis", {"start_date": "x", "end_date": "y"}).status_code == 400
    assert (
        _post(hand_node, "/v1/supervision/kpis", {"start_date": H2_2019[0]}, role="terminal").status_code
        == 403
    )
    unsigned = httpx.post(f"http://127.0.0.1:{hand_node.http_port}/v1/supervision/kpis", content=b"{}")
    assert unsigned.status_code == 401
    exp = _post(
        hand_node,
        "/v1/supervision/export",
        {"query": {"start_date": H2_2019[0], "end_date": H2_2019[1]}, "table": "trend"},
    )
    assert exp.status_code == 200
    import base64

    trend = _rows(base64.b64decode(exp.json()["content"]))
    assert len(trend) == 27 and trend[0]["week_start"] == "2019-07-01"


def test_loopback_pages_and_json(hand_node):
    base = f"http://127.0.0.1:{hand_node.http_port}"
    page = httpx.get(base + "/dashboard")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text  # no CDN
    kpis = httpx.get(
        base + "/dashboard/api/kpis", params={"start": H2_2019[0], "end": H2_2019[1], "area": "370812"}
    ).json()
    assert kpis["summary"]["visits"] == 5  # H3C 3 + H2 2
    assert httpx.get(base + "/dashboard/api/kpis", params={"start": "bad", "end": "x"}).status_code == 400
    meta = httpx.get(base + "/dashboard/api/meta").json()
    assert (meta["data_from"], meta["data_to"]) == ("2019-06-30", "2020-01-01")
    assert {"code": "370811", "name": "任城区"} in meta["cities"][0]["counties"]
    csv_resp = httpx.get(
        base + "/dashboard/api/export.csv",
        params={"start": H2_2019[0], "end": H2_2019[1], "table": "hospitals"},
    )
    assert csv_resp.headers["content-disposition"].endswith('.csv"')
    assert httpx.get(base + "/supervision-static/..%2Fdashboard.html").status_code == 404


def test_bench_scoring_is_done_by_the_node(hand_node):
    samples = bench.samples()
    by_id = {s.sample_id: s for s in samples}
    kinds = {s.kind for s in samples}
    assert kinds == {"valid", "invalid", "degraded"}
    results = [
        {"sample_id": "valid-1", "typed": by_id["valid-1"].text, "millis": 800},
        {"sample_id": "valid-2", "typed": by_id["valid-2"].text[:-1] + "Z", "millis": 900},
        {"sample_id": "invalid-2", "typed": "", "millis": 5000},
        {
            "sample_id": "degraded-blur-4",
            "typed": by_id["degraded-blur-4"].text,
            "millis": 1500,
            "correct": False,
        },
    ]
    base = f"http://127.0.0.1:{hand_node.http_port}"
    # the one write needs the page's same-origin token (CSRF guard, REL-F26)
    token = re.search(r'name="ehc-page-token" content="([^"]+)"', httpx.get(base + "/scanner-bench").text)[1]
    page = {"X-EHC-Page-Token": token}
    stored = httpx.post(
        base + "/scanner-bench/api/runs", json={"scanner": "TEST-ONLY", "results": results}, headers=page
    ).json()
    assert [r["verdict"] for r in stored["results"]] == ["correct", "misread", "missed", "correct"]
    # median of the timed (not missed) codes: 800, 900, 1500 → 900
    assert (stored["codes_total"], stored["codes_correct"], stored["misreads"], stored["median_millis"]) == (
        4,
        2,
        1,
        900.0,
    )
    again = httpx.get(base + f"/scanner-bench/api/runs/{stored['run_id']}").json()
    assert again == stored
    assert httpx.get(base + "/scanner-bench/api/runs/nope").status_code == 404
    bad = httpx.post(
        base + "/scanner-bench/api/runs", json={"results": [{"sample_id": "nope"}]}, headers=page
    )
    assert bad.status_code == 400
    png = httpx.get(base + "/scanner-bench/samples/valid-1.png")
    assert png.headers["content-type"] == "image/png"


def test_bench_samples_decode_with_zxing():
    """The clean samples decode to their expected text with a real decoder (zxing-cpp)."""
    import zxingcpp
    from PIL import Image

    for s in bench.samples():
        if s.kind == "degraded" and "blur-4" in s.sample_id:
            continue  # severe preset: may legitimately be unreadable
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(s.png)))
        if s.kind != "degraded":
            assert [b.text for b in found] == [s.text], s.sample_id


def test_pages_refuse_non_loopback_clients():
    from starlette.requests import Request

    from reference_node.supervision.gateway import _loopback

    def request(host: str) -> Request:
        return Request(
            {"type": "http", "method": "GET", "path": "/dashboard", "headers": [], "client": (host, 50000)}
        )

    _loopback(request("127.0.0.1"))
    _loopback(request("::1"))
    for host in ("10.1.2.3", "192.168.0.10", "2001:db8::1"):
        with pytest.raises(EhcError) as info:
            _loopback(request(host))
        assert info.value.code.name == "NODE_FORBIDDEN_ADMIN_ONLY"
