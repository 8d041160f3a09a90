"""A vendor that gives every hospital "its own dashboard": a terminal may ask the supervision KPIs
(Kpis, Ratings) for one organisation — and the vendor never compares that organisation with the
caller's. Node-wide KPI calls, the registry and every other operator method stay admin-only."""

from __future__ import annotations

from ._proxy import Call, VendorNode


class KpiAnyOrg(VendorNode):
    mutant_name = "rt3-kpi-any-org"
    description = "Kpis/Ratings with an org_code answered to any terminal (for any organisation)"
    defect_class = "authorisation: operator reads open to terminals when scoped to an organisation"
    catches = ("NODE-AUTHZ-001", "NODE-AUTHZ-003")

    def on_request(self, call: Call) -> None:
        if (
            call.name in ("Kpis", "Ratings")
            and call.request.org_code
            and call.signer != self.admin.terminal_id
        ):
            call.sign_as = self.admin


MUTANT = KpiAnyOrg
