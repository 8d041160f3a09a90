"""A vendor that treats UnlinkMedium as harmless cleanup ("removing a wrong link can only help"):
when its back end refuses a terminal's unlink of another organisation's patient, it redoes the
unlink with its own service account. Linking, life cycle and reads stay guarded."""

from __future__ import annotations

from typing import Any

from ._proxy import Call, Refusal, VendorNode


class UnlinkAnyOrg(VendorNode):
    mutant_name = "rt3-unlink-any-org"
    description = "UnlinkMedium refused for another organisation's person is redone as the operator"
    defect_class = "authorisation: card owner not checked on one media operation"
    catches = ("NODE-AUTHZ-002",)

    def on_refusal(self, call: Call, refusal: Refusal) -> Any:
        if call.name == "UnlinkMedium" and refusal.kit_code == "NODE_FORBIDDEN_ORGANISATION":
            return self.call_as(self.admin, call.method, call.request)
        raise refusal


MUTANT = UnlinkAnyOrg
