"""A vendor whose QueryUsage has two code paths: by card and by organisation (org filter applied,
as the docs say), and "by time window" for the hospitals' daily export — a different SQL query
that forgot the organisation clause. A terminal asking for a time window (without naming an
organisation or a card) gets every organisation's usage records of that window."""

from __future__ import annotations

from ._proxy import Call, VendorNode


class UsageWindowAnyOrg(VendorNode):
    mutant_name = "rt3-usage-window-any-org"
    description = "QueryUsage by time window only: every organisation's records, to any terminal"
    defect_class = "authorisation: another organisation's usage readable on one query path"
    catches = ("NODE-AUTHZ-003",)

    def on_request(self, call: Call) -> None:
        req = call.request
        if (
            call.name == "QueryUsage"
            and (req.from_time or req.to_time)
            and not req.org_code
            and not req.ehcid
            and call.signer != self.admin.terminal_id
        ):
            call.sign_as = self.admin  # the export query runs with the service account


MUTANT = UsageWindowAnyOrg
