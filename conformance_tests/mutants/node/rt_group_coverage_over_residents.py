"""A Sichuan vendor asked for the coverage of each of the five priority groups (seed 004 §三(一))
that divides the group's card holders by every resident of the area — the denominator it already
had for the province's 80 % — instead of by the group's registered members: a group every member
of which holds a card shows a tiny share, and one whose members lost their cards is never seen."""

from __future__ import annotations

from typing import Any

from ._proxy import Call, VendorNode


class GroupCoverageOverResidents(VendorNode):
    mutant_name = "rt-group-coverage-over-residents"
    description = "priority-group coverage computed as group holders / all residents"
    defect_class = "supervision: priority-group KPI over the wrong population"
    catches = ("SUP-012",)
    profile = "sichuan"

    def on_response(self, call: Call, response: Any) -> Any:
        if not call.method.endswith("/Kpis"):
            return response
        residents = response.summary.population
        values: dict[str, float] = {}
        for row in response.groups:
            row.coverage = row.holders / residents if residents else 0.0
            values[row.kpi] = row.coverage
            for mark in row.marks:
                if mark.has_value:
                    mark.value = row.coverage
        for mark in response.summary.marks:
            if mark.kpi in values and mark.has_value:
                mark.value = values[mark.kpi]
        return response


MUTANT = GroupCoverageOverResidents
