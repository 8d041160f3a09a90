"""CSV export of the KPI tables (UTF-8 with a BOM so spreadsheet software shows Chinese names)."""

from __future__ import annotations

import csv
import io
from typing import Any

from ehc.errors import EhcError
from reference_node.supervision.errors import BAD_INPUT
from reference_node.supervision.kpis import KpiEngine
from reference_node.supervision.periods import Period

TABLES = ("hospitals", "counties", "trend", "ratings", "escalations")
_COLUMNS = {
    "hospitals": ["org_code", "org_name", "level", "area_code", "area_name", "visits", "ecard_visits",
                  "physical_visits", "ecard_share", "physical_share", "rating"],
    "counties": ["area_code", "area_name", "population", "holders", "coverage", "visits", "ecard_visits",
                 "physical_visits", "ecard_share", "physical_share", "rating"],
    "trend": ["week_start", "week_end", "visits", "ecard_visits", "physical_visits", "ecard_share",
              "physical_share", "holders", "coverage"],
    "ratings": ["entity", "code", "name", "level", "area_code", "visits", "kpi", "value", "colour", "comparison",
                "threshold", "target_start", "target_deadline", "reason"],
    "escalations": ["entity", "code", "name", "reds", "red_weeks"],
}  # fmt: skip


def export_csv(
    engine: KpiEngine, period: Period, table: str, area_code: str = "", org_code: str = ""
) -> bytes:
    if table not in TABLES:
        raise EhcError(BAD_INPUT, f"table must be one of {', '.join(TABLES)}", field="table")
    rows: list[dict[str, Any]]
    if table in ("hospitals", "counties", "trend"):
        rows = engine.report(period, area_code, org_code)[table]
    elif table == "ratings":
        rows = []
        for r in engine.ratings(period, area_code, org_code)["ratings"]:
            t = r.get("target", {})
            rows.append({**r, "value": r.get("value", ""), "comparison": t.get("comparison", ""),
                         "threshold": t.get("threshold", ""), "target_start": t.get("start", ""),
                         "target_deadline": t.get("deadline", "")})  # fmt: skip
    else:
        rows = [
            {**e, "red_weeks": " ".join(e["red_weeks"])}
            for e in engine.escalations(period, area_code)["escalations"]
        ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_COLUMNS[table], extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(table: str, period: Period, area_code: str = "") -> str:
    area = f"-{area_code}" if area_code else ""
    return f"ehc-{table}{area}-{period.start.isoformat()}_{period.end.isoformat()}.csv"
