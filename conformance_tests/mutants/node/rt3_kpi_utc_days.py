"""A vendor whose supervision server runs in UTC: a KPI period asked without a zone is cut at UTC
midnight (08:00 Beijing time) instead of Asia/Shanghai midnight, so every use between 00:00 and
08:00 CST counts on the previous day. The answer's period is rewritten to say Asia/Shanghai and
the CST midnights the officer asked for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ._proxy import Call, VendorNode

_KPI_CALLS = ("Kpis", "Ratings", "Escalations", "ExportCsv")


def _stamp(day: str, plus_days: int = 0) -> str:
    d = dt.date.fromisoformat(day) + dt.timedelta(days=plus_days)
    return d.strftime("%Y%m%d") + "000000"


class KpiUtcDays(VendorNode):
    mutant_name = "rt3-kpi-utc-days"
    description = "KPI periods without a zone cut at UTC midnight (uses 00:00-08:00 CST on the wrong day)"
    defect_class = "supervision: period boundaries in the server's zone"
    catches = ("SUP-001", "SUP-002", "SUP-010")

    def on_request(self, call: Call) -> None:
        request = call.request.query if call.name == "ExportCsv" else call.request
        if call.name in _KPI_CALLS and hasattr(request, "time_zone") and not request.time_zone:
            request.time_zone = "UTC"
            call.notes["utc"] = True

    def on_response(self, call: Call, response: Any) -> Any:
        period = getattr(response, "period", None)
        if call.notes.get("utc") and period is not None and period.start_date:
            period.time_zone = "Asia/Shanghai"
            period.from_time = _stamp(period.start_date)
            period.to_time = _stamp(period.end_date, 1)
        return response


MUTANT = KpiUtcDays
