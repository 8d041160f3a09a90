"""A vendor whose organisation checks read an ACL table loaded when the node started: terminals
of an organisation registered since then have no entry and get the table's default — the
"hospital group" role, which may act on any card. The organisations that existed at start (the
client file's two) are isolated correctly; the first hospital the operator adds afterwards is
not. (The vendor learns the new terminals' secrets from the IssueCredential answers it relays.)"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reference_node.client import Credentials

from ._proxy import Call, VendorNode

_OWNER_CHECKED = {
    "Suspend", "Resume", "Cancel", "Modify", "GetCard", "Query", "UpgradeTemporary", "GetQrCode",
    "LinkMedium", "UnlinkMedium", "BindFamily", "UnbindFamily", "Merge", "Unmerge", "GetAudit", "QueryUsage",
}  # fmt: skip


class LateOrgFailOpen(VendorNode):
    mutant_name = "rt3-late-org-fail-open"
    description = (
        "organisation isolation from an ACL loaded at start: organisations added later act on any card"
    )
    defect_class = "authorisation: isolation only for the organisations known at start"
    catches = ("NODE-AUTHZ-002", "NODE-AUTHZ-003")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known_orgs = {c.org_code for c in self.identities.values()}
        self.pending: dict[str, str] = {}  # terminal id -> org code (UpsertTerminal seen)

    def on_request(self, call: Call) -> None:
        if call.name == "UpsertTerminal":
            self.pending[call.request.terminal_id] = call.request.org_code
            return
        creds = self.caller(call.signer)
        if creds is not None and creds.org_code not in self.known_orgs and call.name in _OWNER_CHECKED:
            call.sign_as = self.admin  # no ACL entry: the default "group" role

    def on_response(self, call: Call, response: Any) -> Any:
        if call.name == "IssueCredential" and response.secret_hex:
            tid = response.terminal_id or call.request.terminal_id
            org = self.pending.get(tid, "")
            base = self.identities["terminal"]
            with self.lock:
                self.by_terminal[tid] = replace(
                    base, terminal_id=tid, secret=bytes.fromhex(response.secret_hex), org_code=org
                )
        return response

    def caller(self, terminal_id: str) -> Credentials | None:
        with self.lock:
            return self.by_terminal.get(terminal_id)


MUTANT = LateOrgFailOpen
