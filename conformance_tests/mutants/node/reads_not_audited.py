"""A vendor that audits changes (suspend, link, merge …) but not reads: who looked at a holder's
name and ID number leaves no trace. Seen from outside, its audit trail holds no read entries."""

from __future__ import annotations

from typing import Any

from ._proxy import Call, VendorNode

_CHANGES = (
    "merge",
    "unmerge",
    "link",
    "unlink",
    "suspend",
    "resume",
    "cancel",
    "modify",
    "upgrade",
    "bind",
    "unbind",
    "register",
    "issue",
    "newborn",
)


class ReadsNotAudited(VendorNode):
    mutant_name = "reads-not-audited"
    description = "audits card and identity changes, not reads of personal data"
    defect_class = "personal-data reads without audit"
    catches = ("SEC-005",)

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "GetAudit":
            kept = [
                e
                for e in response.entries
                if e.action.startswith(_CHANGES) and not e.action.startswith("read")
            ]
            del response.entries[:]
            response.entries.extend(kept)
        return response


MUTANT = ReadsNotAudited
