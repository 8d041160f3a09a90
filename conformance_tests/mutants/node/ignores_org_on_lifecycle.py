"""A vendor that checks only that a card exists before suspending, resuming, cancelling or
modifying it, minting its code, linking a medium, binding a family or merging its holder: the
card's issuing organisation is never compared with the caller's. Reads, usage and the registry
are right."""

from __future__ import annotations

from ._proxy import Call, VendorNode

LIFECYCLE = {
    "Suspend",
    "Resume",
    "Cancel",
    "Modify",
    "GetQrCode",
    "LinkMedium",
    "UnlinkMedium",
    "BindFamily",
    "UnbindFamily",
    "Merge",
    "Unmerge",
}


class IgnoresOrgOnLifecycle(VendorNode):
    mutant_name = "ignores-org-on-lifecycle"
    description = (
        "lets any terminal suspend, cancel, modify, mint codes for or link media to any organisation's card"
    )
    defect_class = "authorisation: card owner not checked"
    catches = ("NODE-AUTHZ-002",)

    def on_request(self, call: Call) -> None:
        creds = self.caller(call.signer)
        if call.name not in LIFECYCLE or creds is None:
            return
        ctx = getattr(call.request, "context", None)
        # the context is still checked against the signer (spoofing is refused) ...
        if ctx is not None and ctx.terminal_id not in ("", creds.terminal_id):
            return
        if ctx is not None and ctx.org_code not in ("", creds.org_code):
            return
        call.sign_as = self.admin  # ... but the card store is asked with the operator's rights


MUTANT = IgnoresOrgOnLifecycle
