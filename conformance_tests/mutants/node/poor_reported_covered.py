"""A vendor asked for a separate poverty coverage figure that fills it in from the list of poor
households the county sent (everyone on it "has been handed a card"), not from the cards the node
holds: the poor always appear 100 % covered, cancelled cards and all."""

from __future__ import annotations

from typing import Any

from ._proxy import Call, VendorNode


class PoorReportedCovered(VendorNode):
    mutant_name = "poor-reported-covered"
    description = "reports the coverage of the poor as 100 % (blue) whatever cards they hold"
    defect_class = "supervision: self-reported KPI not computed from the node's records"
    catches = ("SUP-009",)
    profile = "hunan-hengyang"

    def on_response(self, call: Call, response: Any) -> Any:
        if call.method.endswith("/Kpis"):
            for mark in response.summary.marks:
                if mark.kpi == "coverage_poverty":
                    mark.value, mark.has_value, mark.colour, mark.reason = 1.0, True, "blue", ""
        return response


MUTANT = PoorReportedCovered
