"""A Hengyang vendor whose kiosks and windows register a resident who names no residence as a
resident of the city (430400): the pilot county's plan (seed 003 §一: 祁东县, every resident by
end-2018) registers its people at its own kiosks, but they are counted for the city, so the
county's own coverage — the target the plan rates — never moves."""

from __future__ import annotations

from ._proxy import Call, VendorNode

CITY = "430400"


class PilotAreaAsCity(VendorNode):
    mutant_name = "rt-pilot-area-as-city"
    description = "a registration without a residence code is filed under the city, not the pilot county"
    defect_class = "pilot county/district ignored at issuance"
    catches = ("NODE-PILOT-001",)
    profile = "hunan-hengyang"

    def on_request(self, call: Call) -> None:
        if call.name == "Register" and not call.request.area_code:
            call.request.area_code = CITY


MUTANT = PilotAreaAsCity
