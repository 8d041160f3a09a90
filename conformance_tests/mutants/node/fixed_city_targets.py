"""A vendor that built its supervision module for its first customer, Jining, and sells the same
build to every province: coverage is rated against Jining's fixed plan (80 % by end 2020)
whatever the province's own target says (Sichuan: 80 % by end 2017)."""

from __future__ import annotations

from typing import Any

from ._proxy import Call, VendorNode

JINING_COVERAGE = {"start": "2020-01-01", "deadline": "2020-12-31", "source": "seed 000 §四(六)"}


class FixedCityTargets(VendorNode):
    mutant_name = "fixed-city-targets"
    description = "rates coverage against Jining's built-in targets under every profile"
    defect_class = "supervision: province targets ignored"
    catches = ("SUP-008",)
    profile = "sichuan"

    def on_response(self, call: Call, response: Any) -> Any:
        if call.method.endswith("/Kpis"):
            for mark in response.summary.marks:
                if mark.kpi == "coverage":
                    for key, value in JINING_COVERAGE.items():
                        setattr(mark.target, key, value)
        return response


MUTANT = FixedCityTargets
