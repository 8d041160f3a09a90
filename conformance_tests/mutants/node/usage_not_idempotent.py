"""A vendor that never tells a terminal its report was a repeat: every report is acknowledged as
new (and its statistics count the retries of flaky terminals twice)."""

from __future__ import annotations

from typing import Any

from ._proxy import Call, VendorNode


class UsageNotIdempotent(VendorNode):
    mutant_name = "usage-not-idempotent"
    description = "acknowledges a re-sent usage report as a new one"
    defect_class = "usage reports not idempotent"
    catches = ("NODE-USAGE-005",)

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "Report" and response.duplicate:
            response.duplicate, response.accepted = False, True
        return response


MUTANT = UsageNotIdempotent
