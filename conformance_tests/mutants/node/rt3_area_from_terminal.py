"""A vendor that files every registration under the area of the terminal that took it ("the
hospital's county") instead of the holder's residence: the holder's `area_code` is overwritten
with the terminal's use city. Coverage then counts cards where they were issued — a city hospital
raises the city's coverage with patients from every county, and the counties stay at zero."""

from __future__ import annotations

from ._proxy import Call, VendorNode


class AreaFromTerminal(VendorNode):
    mutant_name = "rt3-area-from-terminal"
    description = (
        "holder's residence area replaced by the registering terminal's use city (coverage by issuer)"
    )
    defect_class = "supervision: coverage counted where cards are issued, not where holders live"
    catches = ("SUP-001",)

    def on_request(self, call: Call) -> None:
        if call.name == "Register":
            creds = self.caller(call.signer)
            city = call.request.context.use_city or (creds.use_city if creds else "")
            if city:
                call.request.area_code = city


MUTANT = AreaFromTerminal
