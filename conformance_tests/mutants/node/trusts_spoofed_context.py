"""A vendor that takes the terminal and organisation from the request's context (the documented
field) rather than from the signature: a terminal that names another in its context acts, and is
recorded, as that one."""

from __future__ import annotations

from ._proxy import Call, VendorNode


class TrustsSpoofedContext(VendorNode):
    mutant_name = "trusts-spoofed-context"
    description = "acts as the terminal/organisation named in the request context, not the signer"
    defect_class = "authorisation: identity taken from the request"
    catches = ("NODE-AUTHZ-004",)

    def on_request(self, call: Call) -> None:
        creds = self.caller(call.signer)
        if creds is None:
            return
        named = getattr(call.request, "context", None)
        if call.name in ("Report",):  # a usage record names its terminal and organisation itself
            named = call.request
        if named is None:
            return
        terminal_id, org_code = named.terminal_id, named.org_code
        if terminal_id and terminal_id != creds.terminal_id:
            call.sign_as = self.caller(terminal_id) or self.admin
        elif org_code and org_code != creds.org_code:
            same_org = [c for c in self.identities.values() if c.org_code == org_code]
            call.sign_as = same_org[0] if same_org else self.admin


MUTANT = TrustsSpoofedContext
